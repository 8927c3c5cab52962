"""The Kubernetes release kmodel models, and what its API server serves.

``KUBERNETES_VERSION`` is the one place the target release is named: manifests are validated
against its OpenAPI schemas (``kmodel.schemas``), and the tables below say which API versions it
no longer serves. 1.34 is the newest release consistent with what the model states elsewhere:
the node lifecycle controller's ``nodeMonitorGracePeriod`` default of 50s holds from 1.32, and
the HPA lacks the AmbiguousSelector check added after 1.34 (``kmodel.k8s.controllers.hpa``).

Removed API versions follow the Deprecated API Migration Guide
(https://kubernetes.io/docs/reference/using-api/deprecation-guide/, "Removed APIs by release"):
each (apiVersion, kind) the guide lists as no longer served, with the release that stopped
serving it and the version to use instead. A removed version is an input error naming both,
as ``kubectl apply`` against a 1.34 cluster fails (``no matches for kind ... in version ...``).
"""

from __future__ import annotations

KUBERNETES_VERSION = "1.34"


def _removed(release: str, old: str, new: str, *kinds: str) -> dict[tuple[str, str], tuple[str, str]]:
    return {(old, kind): (release, new) for kind in kinds}


# (apiVersion, kind) → (release that stopped serving it, the apiVersion to use instead; "" if none)
REMOVED: dict[tuple[str, str], tuple[str, str]] = {
    # v1.16
    **_removed("1.16", "extensions/v1beta1", "apps/v1", "Deployment", "DaemonSet", "ReplicaSet"),
    **_removed("1.16", "apps/v1beta1", "apps/v1", "Deployment", "StatefulSet", "ControllerRevision"),
    **_removed(
        "1.16", "apps/v1beta2", "apps/v1", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision"
    ),
    **_removed("1.16", "extensions/v1beta1", "networking.k8s.io/v1", "NetworkPolicy"),
    **_removed("1.16", "extensions/v1beta1", "policy/v1beta1", "PodSecurityPolicy"),
    # v1.22
    **_removed("1.22", "extensions/v1beta1", "networking.k8s.io/v1", "Ingress"),
    **_removed("1.22", "networking.k8s.io/v1beta1", "networking.k8s.io/v1", "Ingress", "IngressClass"),
    **_removed(
        "1.22",
        "admissionregistration.k8s.io/v1beta1",
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
    ),
    **_removed("1.22", "apiextensions.k8s.io/v1beta1", "apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    **_removed("1.22", "apiregistration.k8s.io/v1beta1", "apiregistration.k8s.io/v1", "APIService"),
    **_removed("1.22", "authentication.k8s.io/v1beta1", "authentication.k8s.io/v1", "TokenReview"),
    **_removed(
        "1.22",
        "authorization.k8s.io/v1beta1",
        "authorization.k8s.io/v1",
        "LocalSubjectAccessReview",
        "SelfSubjectAccessReview",
        "SubjectAccessReview",
        "SelfSubjectRulesReview",
    ),
    **_removed("1.22", "certificates.k8s.io/v1beta1", "certificates.k8s.io/v1", "CertificateSigningRequest"),
    **_removed("1.22", "coordination.k8s.io/v1beta1", "coordination.k8s.io/v1", "Lease"),
    **_removed(
        "1.22",
        "rbac.authorization.k8s.io/v1beta1",
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
    ),
    **_removed("1.22", "scheduling.k8s.io/v1beta1", "scheduling.k8s.io/v1", "PriorityClass"),
    **_removed(
        "1.22",
        "storage.k8s.io/v1beta1",
        "storage.k8s.io/v1",
        "CSIDriver",
        "CSINode",
        "StorageClass",
        "VolumeAttachment",
    ),
    # v1.25
    **_removed("1.25", "batch/v1beta1", "batch/v1", "CronJob"),
    **_removed("1.25", "discovery.k8s.io/v1beta1", "discovery.k8s.io/v1", "EndpointSlice"),
    **_removed("1.25", "events.k8s.io/v1beta1", "events.k8s.io/v1", "Event"),
    **_removed("1.25", "autoscaling/v2beta1", "autoscaling/v2", "HorizontalPodAutoscaler"),
    **_removed("1.25", "policy/v1beta1", "policy/v1", "PodDisruptionBudget"),
    **_removed("1.25", "policy/v1beta1", "", "PodSecurityPolicy"),  # replaced by Pod Security Admission
    **_removed("1.25", "node.k8s.io/v1beta1", "node.k8s.io/v1", "RuntimeClass"),
    # v1.26
    **_removed("1.26", "flowcontrol.apiserver.k8s.io/v1beta1", "flowcontrol.apiserver.k8s.io/v1", "FlowSchema"),
    **_removed(
        "1.26", "flowcontrol.apiserver.k8s.io/v1beta1", "flowcontrol.apiserver.k8s.io/v1", "PriorityLevelConfiguration"
    ),
    **_removed("1.26", "autoscaling/v2beta2", "autoscaling/v2", "HorizontalPodAutoscaler"),
    # v1.27
    **_removed("1.27", "storage.k8s.io/v1beta1", "storage.k8s.io/v1", "CSIStorageCapacity"),
    # v1.29
    **_removed(
        "1.29",
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "flowcontrol.apiserver.k8s.io/v1",
        "FlowSchema",
        "PriorityLevelConfiguration",
    ),
    # v1.32
    **_removed(
        "1.32",
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "flowcontrol.apiserver.k8s.io/v1",
        "FlowSchema",
        "PriorityLevelConfiguration",
    ),
}


def removed_message(api_version: str, kind: str) -> str | None:
    """``policy/v1beta1 PodDisruptionBudget was removed in Kubernetes 1.25; use policy/v1`` for a
    removed (apiVersion, kind), else None."""
    got = REMOVED.get((api_version, kind))
    if got is None:
        return None
    release, new = got
    instead = f"use {new}" if new else "it has no replacement API (see the deprecation guide)"
    return f"{api_version} {kind} was removed in Kubernetes {release}; {instead} (kmodel models {KUBERNETES_VERSION})"


# Built-in kinds that are cluster-scoped (``kubectl api-resources --namespaced=false`` on 1.34):
# their objects have no namespace. Every other built-in kind is namespaced.
CLUSTER_SCOPED = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterTrustBundle",
        "ComponentStatus",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "DeviceClass",
        "FlowSchema",
        "IngressClass",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "SelfSubjectAccessReview",
        "SelfSubjectReview",
        "SelfSubjectRulesReview",
        "StorageClass",
        "StorageVersionMigration",
        "SubjectAccessReview",
        "TokenReview",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
        "VolumeAttributesClass",
        "IPAddress",
        "ServiceCIDR",
    }
)
