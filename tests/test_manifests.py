"""Manifests → API objects: upstream defaults, ignored unknown fields, precise error locations."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from kmodel.core.fmap import FMap
from kmodel.errors import InputError
from kmodel.k8s.objects import Node, Pod, ReplicaSet
from kmodel.manifests import parse_documents


def pod_doc(**spec_extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec_extra},
    }


def rs_doc() -> dict[str, Any]:
    return yaml.safe_load(
        """
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web, labels: {app: web}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx
          resources: {requests: {cpu: 500m, memory: 256Mi}}
"""
    )


def parse_one(doc: Any) -> Any:
    (obj,) = parse_documents([doc], "app.yaml")
    return obj


def error_of(docs: list[Any], label: str = "app.yaml") -> str:
    with pytest.raises(InputError) as info:
        parse_documents(docs, label)
    return str(info.value)


# -- defaults ----------------------------------------------------------------------------------


def test_pod_defaults() -> None:
    pod = parse_one(pod_doc())
    assert isinstance(pod, Pod)
    assert pod.meta.namespace == "default"
    assert pod.spec.termination_grace_period_seconds == 30
    assert pod.spec.restart_policy == "Always"
    assert pod.spec.scheduler_name == "default-scheduler"
    assert pod.spec.node_name == ""
    assert pod.spec.containers[0].requests == FMap()
    assert pod.key == ("Pod", "default", "p")


def test_replicaset_defaults_and_values() -> None:
    rs = parse_one(rs_doc())
    assert isinstance(rs, ReplicaSet)
    assert rs.spec.replicas == 1
    assert rs.spec.min_ready_seconds == 0
    assert rs.meta.namespace == "default"
    assert rs.meta.labels == FMap({"app": "web"})
    assert rs.spec.template.labels == FMap({"app": "web"})
    assert rs.spec.template.spec.containers[0].requests == FMap({"cpu": 500, "memory": 256 * 2**20})
    assert rs.spec.template.spec.termination_grace_period_seconds == 30


def test_explicit_values_kept() -> None:
    doc = pod_doc(restartPolicy="Never", terminationGracePeriodSeconds=0, nodeName="n1", schedulerName="mine")
    doc["metadata"]["namespace"] = "prod"
    pod = parse_one(doc)
    assert pod.meta.namespace == "prod"
    assert pod.spec.restart_policy == "Never"
    assert pod.spec.termination_grace_period_seconds == 0
    assert pod.spec.node_name == "n1"
    assert pod.spec.scheduler_name == "mine"


def test_requests_default_from_limits() -> None:
    doc = pod_doc()
    doc["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "250m"}}
    pod = parse_one(doc)
    # cpu request given; memory request defaults to its limit (SetDefaults_Pod).
    assert pod.spec.containers[0].requests == FMap({"cpu": 250, "memory": 2**30})


def test_request_above_limit_is_an_error() -> None:
    doc = pod_doc()
    doc["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "1"}, "requests": {"cpu": "2"}}
    msg = error_of([doc])
    assert "spec.containers[0].resources.requests" in msg
    assert "cpu request must be ≤ its limit" in msg


def test_toleration_operator_defaults_to_equal() -> None:
    pod = parse_one(pod_doc(tolerations=[{"key": "k", "value": "v", "effect": "NoSchedule"}]))
    (t,) = pod.spec.tolerations
    assert t.operator == "Equal"
    assert (t.key, t.value, t.effect, t.toleration_seconds) == ("k", "v", "NoSchedule", None)


def test_node_defaults() -> None:
    node = parse_one(
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": "n1", "namespace": "ignored", "labels": {"zone": "a"}},
            "status": {"capacity": {"cpu": "4", "memory": "8Gi"}},
        }
    )
    assert isinstance(node, Node)
    assert node.meta.namespace == ""
    assert node.status.capacity == FMap(
        {"cpu": 4000, "memory": 8 * 2**30, "pods": 110, "ephemeral-storage": 100 * 2**30}
    )
    assert node.status.allocatable == node.status.capacity
    assert dict(node.meta.labels) == {  # pkg/kubelet/kubelet_node_status.go: initialNode
        "kubernetes.io/hostname": "n1",
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
        "zone": "a",
    }
    assert node.ready_status() == "True"


def test_unknown_fields_are_ignored() -> None:
    doc = pod_doc(hostNetwork=True, volumes=[{"name": "v"}])
    doc["metadata"]["uid"] = "from-the-manifest"
    doc["status"] = {"phase": "Running"}
    doc["spec"]["containers"][0]["ports"] = [{"containerPort": 80}]
    assert parse_one(doc) == parse_one(pod_doc())


def test_documents_parse_in_order() -> None:
    objs = parse_documents([pod_doc(), rs_doc()], "app.yaml")
    assert [o.KIND for o in objs] == ["Pod", "ReplicaSet"]


def test_input_is_not_mutated() -> None:
    doc = rs_doc()
    before = copy.deepcopy(doc)
    parse_documents([doc], "app.yaml")
    assert doc == before


def test_generate_name_accepted() -> None:
    doc = pod_doc()
    doc["metadata"] = {"generateName": "web-"}
    pod = parse_one(doc)
    assert pod.meta.name == ""
    assert pod.meta.generate_name == "web-"


def test_match_expressions() -> None:
    doc = rs_doc()
    doc["spec"]["selector"] = {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]}
    rs = parse_one(doc)
    assert rs.spec.selector.matches({"app": "api"})
    assert not rs.spec.selector.matches({"app": "db"})


# -- errors ------------------------------------------------------------------------------------


def test_bad_replicas_names_document_and_path() -> None:
    bad = rs_doc()
    bad["spec"]["replicas"] = "three"
    msg = error_of([pod_doc(), bad])
    assert msg == "app.yaml: document 2: spec.replicas: expected an integer, got the string 'three'"


def test_error_document_index_from_first_index() -> None:
    bad = rs_doc()
    bad["spec"]["replicas"] = "three"
    with pytest.raises(InputError) as info:
        parse_documents([bad], "x.yaml", first_index=4)
    assert info.value.document == 4
    assert info.value.file == "x.yaml"
    assert info.value.path == ("spec", "replicas")


@pytest.mark.parametrize(("value", "what"), [(True, "a boolean"), (1.5, "a number"), (-1, "must be ≥ 0")])
def test_bad_replicas_values(value: Any, what: str) -> None:
    bad = rs_doc()
    bad["spec"]["replicas"] = value
    msg = error_of([bad])
    assert "document 1: spec.replicas:" in msg
    assert what in msg


def test_unknown_kind_in_a_builtin_group() -> None:
    """A kind that no built-in API group of the modelled release serves is an error, with the
    closest kind of that group: a typo in ``kind`` never passes as an inert object."""
    msg = error_of([{"apiVersion": "v1", "kind": "Frobnicator", "metadata": {"name": "x"}}])
    assert msg == "app.yaml: document 1: kind: unknown kind 'Frobnicator' in v1 (Kubernetes 1.34)"
    msg = error_of([{"apiVersion": "apps/v1", "kind": "Deploymnet", "metadata": {"name": "x"}}])
    assert msg.endswith("unknown kind 'Deploymnet' in apps/v1 (Kubernetes 1.34) (did you mean 'Deployment'?)")


def test_custom_kind_without_a_crd() -> None:
    """A kind of a group that is not built in loads as an inert object even without its CRD in the
    input (the cluster has it installed: real input is never refused); a kind nobody serves in a
    built-in group, or in a group a CRD of the input defines, is still a typo."""
    from kmodel.manifests import GenericObject, parse_documents

    doc = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "gw"}}
    (gw,) = parse_documents([doc], "app.yaml")
    assert isinstance(gw, GenericObject) and gw.kind == "Gateway" and gw.meta.namespace == "default"
    msg = error_of([{"apiVersion": "apps/v1", "kind": "Gateway", "metadata": {"name": "gw"}}])
    assert "unknown kind 'Gateway' in apps/v1" in msg


@pytest.mark.parametrize("kind", ["EndpointSlice", "Lease"])
def test_model_owned_kinds_are_refused(kind: str) -> None:
    api = {"EndpointSlice": "discovery.k8s.io/v1", "Lease": "coordination.k8s.io/v1"}[kind]
    msg = error_of([pod_doc(), {"apiVersion": api, "kind": kind, "metadata": {"name": "x"}}])
    assert msg.startswith("app.yaml: document 2: kind: ")
    assert "kmodel's own components" in msg


def test_builtin_kind_at_another_version() -> None:
    msg = error_of([pod_doc(), {"apiVersion": "v1", "kind": "ControllerRevision", "metadata": {"name": "x"}}])
    assert (
        msg
        == "app.yaml: document 2: apiVersion: ControllerRevision is served as 'apps/v1' in Kubernetes 1.34, got 'v1'"
    )


def test_removed_api_version() -> None:
    """Deprecated API Migration Guide: ``extensions/v1beta1`` stopped serving ReplicaSet in 1.16."""
    doc = rs_doc()
    doc["apiVersion"] = "extensions/v1beta1"
    msg = error_of([doc])
    assert msg == (
        "app.yaml: document 1: apiVersion: extensions/v1beta1 ReplicaSet was removed in Kubernetes 1.16; "
        "use apps/v1 (kmodel models 1.34)"
    )


def test_missing_kind() -> None:
    msg = error_of([{"apiVersion": "v1"}])
    assert msg == "app.yaml: document 1: kind: is required"


def test_document_not_a_mapping() -> None:
    msg = error_of([["a", "list"]])
    assert "document 1" in msg and "got a list" in msg


def test_selector_must_match_template_labels() -> None:
    doc = rs_doc()
    doc["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    msg = error_of([doc])
    assert "spec.template.metadata" in msg
    assert "do not match the selector" in msg


def test_empty_selector_is_an_error() -> None:
    doc = rs_doc()
    doc["spec"]["selector"] = {}
    msg = error_of([doc])
    assert "spec.selector" in msg and "must not be empty" in msg


def test_bad_quantity_path() -> None:
    doc = rs_doc()
    doc["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "5 cores"
    msg = error_of([doc])
    assert "document 1: spec.template.spec.containers[0].resources.requests.cpu:" in msg
    assert "'5 cores'" in msg


def test_bad_quantity_in_second_container_limits() -> None:
    doc = pod_doc()
    doc["spec"]["containers"].append({"name": "b", "resources": {"limits": {"memory": "lots"}}})
    msg = error_of([doc])
    assert "spec.containers[1].resources.limits.memory:" in msg


def test_boolean_quantity_rejected() -> None:
    doc = pod_doc()
    doc["spec"]["containers"][0]["resources"] = {"requests": {"cpu": True}}
    msg = error_of([doc])
    assert "spec.containers[0].resources.requests.cpu:" in msg


def test_negative_quantity_rejected() -> None:
    doc = pod_doc()
    doc["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "-1"}}
    msg = error_of([doc])
    assert "spec.containers[0].resources.requests.cpu: must not be negative" in msg


def test_no_containers() -> None:
    msg = error_of([pod_doc() | {"spec": {"containers": []}}])
    assert "spec.containers: must list at least one container" in msg
    msg = error_of([pod_doc() | {"spec": {}}])
    assert "spec.containers: is required" in msg


def test_bad_restart_policy() -> None:
    msg = error_of([pod_doc(restartPolicy="Sometimes")])
    assert "spec.restartPolicy:" in msg and "Always" in msg


def test_negative_grace_period() -> None:
    msg = error_of([pod_doc(terminationGracePeriodSeconds=-5)])
    assert "spec.terminationGracePeriodSeconds: must be ≥ 0" in msg


def test_bad_name() -> None:
    doc = pod_doc()
    doc["metadata"]["name"] = "Web_1"
    msg = error_of([doc])
    assert "metadata.name:" in msg and "not a valid name" in msg


def test_missing_name() -> None:
    doc = pod_doc()
    doc["metadata"] = {"labels": {"a": "b"}}
    assert "metadata.name: is required" in error_of([doc])


def test_numeric_label_value_must_be_quoted() -> None:
    doc = pod_doc()
    doc["metadata"]["labels"] = {"version": 2}
    msg = error_of([doc])
    assert "metadata.labels.version:" in msg and "quote it" in msg


def test_bad_toleration_effect_path() -> None:
    msg = error_of([pod_doc(tolerations=[{"key": "a", "effect": "NoExecute"}, {"key": "b", "effect": "Never"}])])
    assert "spec.tolerations[1].effect:" in msg


def test_bad_match_expression_operator() -> None:
    doc = rs_doc()
    doc["spec"]["selector"] = {"matchExpressions": [{"key": "app", "operator": "Is", "values": ["web"]}]}
    msg = error_of([doc])
    assert "spec.selector.matchExpressions[0].operator:" in msg


def test_in_operator_needs_values() -> None:
    doc = rs_doc()
    doc["spec"]["selector"] = {"matchExpressions": [{"key": "app", "operator": "In"}]}
    msg = error_of([doc])
    assert "spec.selector.matchExpressions[0].values: must be non-empty" in msg


def test_annotations_are_kept() -> None:
    doc = pod_doc()
    doc["metadata"]["annotations"] = {"a": "b"}
    assert dict(parse_one(doc).meta.annotations) == {"a": "b"}


# -- inert objects: valid, stored, used by no component ------------------------------------------------


INERT_YAML = """
apiVersion: v1
kind: ServiceAccount
metadata: {name: web}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:web-reader"}
rules: [{apiGroups: [""], resources: [pods], verbs: [get, list]}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: shop, creationTimestamp: 2024-01-02T03:04:05Z}
data: {a: "1"}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: kubernetes.io/no-provisioner
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
    - http:
        paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Cluster
  names: {kind: Widget, plural: widgets}
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec: {size: 3}
"""


def test_unmodelled_kinds_load_as_inert_objects() -> None:
    from kmodel.k8s.objects import GenericObject
    from kmodel.manifests import not_modelled

    objs = parse_documents(list(yaml.safe_load_all(INERT_YAML)), "app.yaml")
    assert all(isinstance(o, GenericObject) for o in objs)
    sa, role, cm, sc, ing, _crd, widget = objs
    assert (sa.meta.namespace, role.meta.namespace, sc.meta.namespace, widget.meta.namespace) == ("default", "", "", "")
    assert role.spec["rules"][0]["verbs"] == ("get", "list")  # frozen: tuples and FMaps
    assert cm.spec["data"] == FMap({"a": "1"})
    assert sc.spec["provisioner"] == "kubernetes.io/no-provisioner"
    assert ing.spec["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"]["number"] == 80
    assert widget.spec == FMap({"size": 3})
    assert hash(objs[0]) == hash(parse_documents(list(yaml.safe_load_all(INERT_YAML)), "app.yaml")[0])
    assert not_modelled(objs, owned=()) == (
        "ServiceAccount default/web",
        "ClusterRole system:web-reader",
        "ConfigMap shop/cfg",
        "StorageClass fast",
        "Ingress default/web",
        "CustomResourceDefinition widgets.example.com",
        "Widget w",
    )
    assert not_modelled(objs, owned=("ConfigMap",))[2] == "StorageClass fast"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "x"}, "secretz": []},
            "app.yaml: document 1: secretz: unknown field (did you mean 'secrets'?) "
            "(Kubernetes 1.34 API schema of ServiceAccount)",
        ),
        (
            {"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget", "metadata": {"name": "x"}},
            "app.yaml: document 1: apiVersion: policy/v1beta1 PodDisruptionBudget was removed in Kubernetes 1.25; "
            "use policy/v1 (kmodel models 1.34)",
        ),
        (
            {**rs_doc(), "spec": {**rs_doc()["spec"], "replicass": 2}},
            "app.yaml: document 1: spec.replicass: unknown field (did you mean 'replicas'?) "
            "(Kubernetes 1.34 API schema of ReplicaSet)",
        ),
        (
            pod_doc(containers=[{"name": "c", "image": "nginx", "ports": [{"containerPort": "80"}]}]),
            "app.yaml: document 1: spec.containers[0].ports[0].containerPort: expected an integer, got the string "
            "'80' (Kubernetes 1.34 API schema of Pod)",
        ),
    ],
)
def test_schema_and_version_errors(doc: Any, message: str) -> None:
    assert error_of([doc]) == message


def test_kubelet_labels_keep_identical_nodes_interchangeable() -> None:
    """The labels added by ``make_node`` are the same on every node but the hostname, which
    symmetry's node signature leaves out: identical nodes stay one class."""
    from kmodel.k8s.symmetry import _signature
    from kmodel.manifests import make_node

    cap = FMap({"cpu": 4000, "memory": 2**30})
    assert _signature(make_node("node-1", cap)) == _signature(make_node("node-2", cap))
    assert _signature(make_node("node-1", cap)) != _signature(make_node("node-2", cap, labels={"zone": "b"}))


CRD_YAML = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer, minimum: 1}
                port: {x-kubernetes-int-or-string: true}
                note: {type: string, nullable: true}
                extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"size": 3, "port": "http", "note": None, "extra": {"any": {"thing": 1}}}, None),
        ({"size": 3, "port": 8080}, None),
        ({"size": 3, "sise": 4}, "spec.sise: unknown field (did you mean 'size'?)"),
        ({"size": "3"}, "spec.size: expected an integer, got the string '3'"),
        ({"size": 0}, "spec.size: 0 is less than the minimum of 1"),
        ({}, "spec.size: is required"),
    ],
)
def test_objects_of_a_crd_kind_are_checked_against_its_schema(spec: dict[str, Any], message: str | None) -> None:
    """With strict field validation (kubectl's default) the API server refuses a custom resource
    that does not match its CRD's openAPIV3Schema, unknown fields included."""
    docs = [
        *yaml.safe_load_all(CRD_YAML),
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec},
    ]
    if message is None:
        assert parse_documents(docs, "app.yaml")[1].kind == "Widget"
        return
    assert error_of(docs) == f"app.yaml: document 2: {message} (schema of Widget's CustomResourceDefinition)"
