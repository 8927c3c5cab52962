"""Kubernetes YAML manifests → frozen API objects, with upstream defaults.

Ordinary multi-document YAML as ``kubectl apply -f`` takes it. Fields the model does not use are
ignored; fields it uses are type-checked, and a bad one is reported as
``app.yaml: document 2: spec.replicas: expected an integer, got the string 'three'``.

Defaults applied (``pkg/apis/core/v1/defaults.go``, ``pkg/apis/apps/v1/defaults.go``):
``metadata.namespace: default``; pod ``restartPolicy: Always``,
``terminationGracePeriodSeconds: 30``, ``schedulerName: default-scheduler``; container
``resources.requests`` taken from ``limits`` where unset (``SetDefaults_Pod``); toleration
``operator: Equal``; ReplicaSet ``replicas: 1``. Node allocatable defaults to capacity and
``pods`` to 110 (kubelet ``maxPods``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

import attrs

from kmodel import schemas
from kmodel.core.fmap import FMap
from kmodel.errors import InputError
from kmodel.fields import INT32_MAX, MAX_REPLICAS, MAX_WAIT_SECONDS, Fields
from kmodel.k8s.labels import OPERATORS, LabelSelector, Requirement
from kmodel.k8s.objects import (
    HPA_POLICY_TYPES,
    HPA_SELECT_POLICIES,
    POD_FAILURE_ACTIONS,
    READY,
    UNHEALTHY_POD_EVICTION_POLICIES,
    Condition,
    Container,
    CronJob,
    CronJobSpec,
    DaemonSet,
    DaemonSetSpec,
    Deployment,
    DeploymentSpec,
    GenericObject,
    HorizontalPodAutoscaler,
    HorizontalPodAutoscalerSpec,
    HPABehavior,
    HPAScalingPolicy,
    HPAScalingRules,
    Job,
    JobSpec,
    Node,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    NodeSpec,
    NodeStatus,
    ObjectMeta,
    Pod,
    PodDisruptionBudget,
    PodDisruptionBudgetSpec,
    PodFailurePolicyRule,
    PodSpec,
    PodTemplateSpec,
    ReplicaSet,
    ReplicaSetSpec,
    ReplicationController,
    Service,
    ServicePort,
    ServiceSpec,
    StatefulSet,
    StatefulSetSpec,
    Taint,
    Toleration,
    TopologySpreadConstraint,
    freeze,
)
from kmodel.k8s.quantity import QuantityError, parse_quantity, to_model_units
from kmodel.k8s.version import CLUSTER_SCOPED, KUBERNETES_VERSION, removed_message

SUPPORTED = {
    "Pod": "v1",
    "ReplicaSet": "apps/v1",
    "ReplicationController": "v1",
    "Node": "v1",
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "Service": "v1",
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "PodDisruptionBudget": "policy/v1",
    "DaemonSet": "apps/v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
}
RESTART_POLICIES = ("Always", "OnFailure", "Never")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
DEFAULT_MAX_PODS = 110
DEFAULT_EPHEMERAL_STORAGE = 100 * 2**30  # bytes
# initialNode: runtime.GOOS / GOARCH of the kubelet, stable and deprecated keys
KUBELET_LABELS = {
    "kubernetes.io/os": "linux",
    "kubernetes.io/arch": "amd64",
    "beta.kubernetes.io/os": "linux",
    "beta.kubernetes.io/arch": "amd64",
}


WORKLOAD_KINDS: tuple[str, ...] = ()  # every workload kind of KUBERNETES_VERSION is modelled now
"""Inert kinds whose controllers would create pods upstream: kmodel stores them and creates none."""
MODEL_OWNED = ("Lease", "EndpointSlice")
"""Kinds kmodel's own components write (leader election, the EndpointSlice controller): a manifest
may not add objects of them beside the model's."""


@attrs.frozen
class CRDVersion:
    """A kind a CustomResourceDefinition in the input serves at one version: whether it is
    namespaced, and that version's ``schema.openAPIV3Schema`` (None if it has none)."""

    namespaced: bool
    schema: Any = attrs.field(default=None, eq=False, repr=False)


CRDKinds = Mapping[tuple[str, str], CRDVersion]
"""(apiVersion, kind) → its CRDVersion, of the kinds CustomResourceDefinitions in the input define."""


def parse_documents(
    docs: list[Any],
    label: str,
    first_index: int = 1,
    custom_kinds: Collection[str] = (),
    crd_kinds: CRDKinds | None = None,
) -> list[Any]:
    """Objects of every document, in order; errors name ``label`` and the 1-based document.
    ``custom_kinds``: kinds a user controller owns, parsed as ``GenericObject``. ``crd_kinds``:
    the kinds CRDs define (``defined_kinds``; default: those of ``docs``)."""
    crds = defined_kinds(docs) if crd_kinds is None else crd_kinds
    out = []
    for i, doc in enumerate(docs, start=first_index):
        try:
            out.append(parse_object(doc, custom_kinds, crds))
        except InputError as err:
            raise err.within(file=label, document=i) from None
    return out


def defined_kinds(docs: Iterable[Any]) -> dict[tuple[str, str], CRDVersion]:
    """The kinds the ``apiextensions.k8s.io/v1`` CustomResourceDefinitions among ``docs`` define:
    (``spec.group``/version, ``spec.names.kind``) for each served version, → whether
    ``spec.scope`` is Namespaced and the version's schema. Malformed CRDs are skipped here;
    parsing them reports why."""
    out: dict[tuple[str, str], CRDVersion] = {}
    for doc in docs:
        if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
            continue
        if doc.get("apiVersion") != "apiextensions.k8s.io/v1" or not isinstance(doc.get("spec"), dict):
            continue
        spec = doc["spec"]
        names = spec.get("names")
        kind = names.get("kind") if isinstance(names, dict) else None
        versions = spec.get("versions")
        if not isinstance(kind, str) or not isinstance(spec.get("group"), str) or not isinstance(versions, list):
            continue
        for v in versions:
            if isinstance(v, dict) and isinstance(v.get("name"), str) and v.get("served", True) is not False:
                schema = v.get("schema")
                openapi = schema.get("openAPIV3Schema") if isinstance(schema, dict) else None
                namespaced = spec.get("scope", "Namespaced") != "Cluster"
                out[(f"{spec['group']}/{v['name']}", kind)] = CRDVersion(namespaced, openapi)
    return out


def parse_object(doc: Any, custom_kinds: Collection[str] = (), crd_kinds: CRDKinds | None = None) -> Any:
    """One object: a modelled kind as its frozen class, any other valid object as an inert
    ``GenericObject`` (``parse_inert``). Built-in kinds are checked against the OpenAPI schema of
    ``KUBERNETES_VERSION`` (``kmodel.schemas``); a removed API version, an apiVersion that does not
    serve the kind and a kind nobody defines are errors, but for an object of an API group that is
    neither built in nor defined by a CRD in the input: the cluster it is applied to has that CRD
    installed, so it loads as an inert object whose schema is not checked (Gateway API objects
    without the Gateway CRDs in the same files)."""
    f = Fields(doc, what="a Kubernetes object (a mapping with apiVersion and kind)")
    kind = f.str("kind")
    api_version = f.str("apiVersion")
    removed = removed_message(api_version, kind)
    if removed:
        raise f.error("apiVersion", removed)
    if kind in custom_kinds and kind not in SUPPORTED:
        obj = parse_generic(f)
        schemas.validate(schemas.jsonable(doc), api_version, kind)
        return obj
    if kind in SUPPORTED:
        return _parse_modelled(f, kind, api_version)
    if kind in MODEL_OWNED:
        raise f.error("kind", f"{kind} objects come from kmodel's own components; a manifest cannot add them (yet)")
    if schemas.is_builtin(api_version, kind):
        schemas.validate(schemas.jsonable(doc), api_version, kind)
        return parse_inert(f, kind not in CLUSTER_SCOPED, name_error=_name_check(kind))
    crds = crd_kinds or {}
    crd = crds.get((api_version, kind))
    if crd is not None:
        obj = parse_inert(f, crd.namespaced)
        if isinstance(crd.schema, dict):
            schemas.validate_custom(schemas.jsonable(doc), crd.schema, kind)
        return obj
    if _foreign_group(api_version) and not schemas.served_versions(kind) and not _crd_group(api_version, crds):
        # a custom resource whose CRD the cluster already has (Gateway API, cert-manager, ...):
        # real input, so it loads (inert, its schema unchecked) rather than being refused
        return parse_inert(f, True)
    raise _unknown_kind(f, kind, api_version, crds)


def _foreign_group(api_version: str) -> bool:
    """Whether ``api_version``'s API group is none of the built-in groups of ``KUBERNETES_VERSION``
    (where a kind nobody serves is a typo: ``apps/v1 Deploymnet``)."""
    group = api_version.rpartition("/")[0]
    return group != "" and all(v.rpartition("/")[0] != group for v, _ in schemas.builtin_gvks())


def _crd_group(api_version: str, crds: CRDKinds) -> bool:
    """Whether a CRD in the input defines kinds of ``api_version``'s group (then another kind of
    that group is a typo too)."""
    group = api_version.rpartition("/")[0]
    return any(v.rpartition("/")[0] == group for v, _ in crds)


def _parse_modelled(f: Fields, kind: str, api_version: str) -> Any:
    """A kind kmodel models, in its served version (an ``autoscaling/v1`` HPA converted to v2 as
    the API server does), then checked against its schema for fields the model does not read."""
    if kind == "HorizontalPodAutoscaler" and api_version == "autoscaling/v1":
        schemas.validate(schemas.jsonable(f.data), api_version, kind)
        return parse_hpa(Fields(hpa_v1_to_v2(f)))
    if api_version != SUPPORTED[kind]:
        served = " or ".join(repr(v) for v in schemas.served_versions(kind)) or repr(SUPPORTED[kind])
        raise f.error("apiVersion", f"{kind} is served as {served}, got {api_version!r}")
    obj = _PARSERS[kind](f)
    schemas.validate(schemas.jsonable(f.data), api_version, kind)
    return obj


def _unknown_kind(f: Fields, kind: str, api_version: str, crds: CRDKinds) -> InputError:
    """Why (``api_version``, ``kind``) is nobody's kind, with what it may have meant."""
    where = f"Kubernetes {KUBERNETES_VERSION}"
    served = schemas.served_versions(kind)
    if served:
        versions = " or ".join(repr(v) for v in served)
        return f.error("apiVersion", f"{kind} is served as {versions} in {where}, got {api_version!r}")
    defined = sorted(v for v, k in crds if k == kind)
    if defined:
        versions = " or ".join(repr(v) for v in defined)
        return f.error(
            "apiVersion", f"{kind} is served as {versions} by its CustomResourceDefinition, got {api_version!r}"
        )
    group_kinds = [k for v, k in schemas.builtin_gvks() if v == api_version] + [k for v, k in crds if v == api_version]
    if group_kinds:
        close = difflib.get_close_matches(kind, group_kinds, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f.error("kind", f"unknown kind {kind!r} in {api_version} ({where}){hint}")
    close = difflib.get_close_matches(kind, schemas.builtin_kinds(), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f.error(
        "kind",
        f"unknown kind {kind!r} in {api_version}: not a built-in kind of {where}, and no CustomResourceDefinition "
        f"in the input defines it nor does a controller own it{hint}; add its CRD to the manifests",
    )


_RBAC_KINDS = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")


def _name_check(kind: str) -> Callable[[str], str | None]:
    """The name rule of ``kind``'s ``ValidateObjectMeta`` call: RBAC objects take path segment
    names (``pkg/apis/rbac/validation: ValidateRBACName`` = ``path.IsValidPathSegmentName``, so
    ``system:controller:x`` is valid), every other kind here a DNS-1123 subdomain."""
    return path_segment_error if kind in _RBAC_KINDS else dns1123_subdomain_error


def path_segment_error(value: str) -> str | None:
    """``staging/src/k8s.io/apimachinery/pkg/api/validation/path/name.go: IsValidPathSegmentName``."""
    if value in (".", ".."):
        return f"may not be {value!r}"
    for bad in ("/", "%"):
        if bad in value:
            return f"may not contain {bad!r}"
    return None


def not_modelled(objects: Iterable[Any], owned: Collection[str]) -> tuple[str, ...]:
    """``Kind namespace/name`` of each inert object among ``objects`` (a ``GenericObject`` of a kind
    no user controller owns), in input order; a workload kind notes that its pods are not created."""
    out = []
    for o in objects:
        if isinstance(o, GenericObject) and o.kind not in owned:
            name = f"{o.meta.namespace}/{o.meta.name}" if o.meta.namespace else o.meta.name
            note = " (its pods are not created)" if o.kind in WORKLOAD_KINDS else ""
            out.append(f"{o.kind} {name}{note}")
    return tuple(out)


def parse_inert(f: Fields, namespaced: bool, name_error: Callable[[str], str | None] | None = None) -> GenericObject:
    """A valid object of a kind kmodel does not model (ServiceAccount, Role, ConfigMap, Ingress, a
    CRD, an object of a CRD's kind, ...): stored as a ``GenericObject`` and used by no component
    (the report lists it as "present, not modelled"). ``spec`` holds the object's ``spec`` and
    every other top-level field (a ConfigMap's ``data``, a Role's ``rules``), frozen."""
    meta = parse_meta(f, namespaced=namespaced, name_error=name_error or dns1123_subdomain_error)
    data = schemas.jsonable(f.data)
    try:
        spec = dict(freeze(Fields(data).map("spec").data, "spec"))
        for key, value in data.items():
            if key in ("apiVersion", "kind", "metadata", "spec", "status") or value is None:
                continue
            if key in spec:
                raise f.error(key, "given twice (top-level and in spec)")
            spec[key] = freeze(value, key)  # errors name the field where it is in the manifest
        return GenericObject(data["apiVersion"], data["kind"], meta, spec, Fields(data).map("status").data)
    except TypeError as err:
        raise f.error(None, str(err)) from None


def parse_generic(f: Fields) -> GenericObject:
    """An object of a kind a user controller owns (``Controller.owns``): apiVersion, kind,
    metadata (namespaced; defaults as for built-in kinds), and free-form ``spec`` and
    ``status`` mappings. A ConfigMap's or Secret's top-level ``data`` goes in ``spec.data`` (where
    ``GenericObject`` keeps other top-level fields). Other top-level fields are errors, so a typo
    is not silently dropped."""
    data_kind = f.raw("kind") in ("ConfigMap", "Secret")
    f.only(("apiVersion", "kind", "metadata", "spec", "status", *(("data",) if data_kind else ())))
    api_version = f.str("apiVersion")
    if not api_version:
        raise f.error("apiVersion", "must not be empty")
    meta = parse_meta(f)
    try:
        spec = dict(f.map("spec").data)
        if data_kind and f.raw("data") is not None:
            if "data" in spec:
                raise f.error("data", "given twice (top-level and in spec)")
            spec["data"] = f.map("data").data
        return GenericObject(api_version, f.str("kind"), meta, spec, f.map("status").data)
    except TypeError as err:
        raise f.error(None, str(err)) from None


def parse_meta(f: Fields, namespaced: bool = True, name_error: Callable[[str], str | None] | None = None) -> ObjectMeta:
    """``metadata`` as ``ValidateObjectMeta`` checks it: ``name`` (or ``generateName``, whose
    generated suffix adds 5 characters) a DNS-1123 subdomain, ``namespace`` a DNS-1123 label,
    labels and annotation keys as ``ValidateLabels`` / ``ValidateAnnotations``."""
    m = f.map("metadata", required=True)
    name = m.str("name", "")
    generate_name = m.str("generateName", "")
    if not name and not generate_name:
        raise m.error("name", "is required")
    for key, value in (("name", name), ("generateName", generate_name)):
        if not value:
            continue
        # generateName: the API server appends 5 random characters (names.SimpleNameGenerator),
        # so a prefix of at most 248 characters, and a trailing '-' is fine.
        check = name_error or dns1123_subdomain_error
        problem = check(value.rstrip("-") + "x" * 5 if key == "generateName" else value)
        if problem:
            raise m.error(key, f"{shown(value)} is not a valid name: {problem}")
    namespace = m.str("namespace", "default") if namespaced else ""
    if namespaced:
        problem = dns1123_label_error(namespace)
        if problem:
            raise m.error("namespace", f"{shown(namespace)} is not a valid namespace: {problem}")
    return ObjectMeta(
        name=name,
        namespace=namespace,
        generate_name=generate_name,
        labels=FMap(label_map(m, "labels")),
        annotations=FMap(label_map(m, "annotations", values=False)),
    )


# Kubernetes' own limits and messages, from ``staging/src/k8s.io/apimachinery/pkg/util/validation/
# validation.go`` (IsDNS1123Subdomain, IsDNS1123Label, MaxLenError, RegexError) and
# ``staging/src/k8s.io/apimachinery/pkg/api/validate/content/kube.go`` (IsLabelKey, IsLabelValue).
_DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = _DNS1123_LABEL + "(\\." + _DNS1123_LABEL + ")*"
_LABEL_KEY_NAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = "(" + _LABEL_KEY_NAME + ")?"
_DNS1123_LABEL_RE = re.compile(_DNS1123_LABEL)
_DNS1123_SUBDOMAIN_RE = re.compile(_DNS1123_SUBDOMAIN)
_LABEL_KEY_NAME_RE = re.compile(_LABEL_KEY_NAME)
DNS1123_SUBDOMAIN_MAX = 253
DNS1123_LABEL_MAX = 63
LABEL_VALUE_MAX = 63


def _max_len(n: int) -> str:
    return f"must be no more than {n} characters"


def dns1123_subdomain_error(value: str) -> str | None:
    """``IsDNS1123Subdomain``: the upstream message, or None for a valid name."""
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        return _max_len(DNS1123_SUBDOMAIN_MAX)
    if not _DNS1123_SUBDOMAIN_RE.fullmatch(value):
        return (
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
            f"and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
            f"validation is '{_DNS1123_SUBDOMAIN}')"
        )
    return None


def dns1123_label_error(value: str) -> str | None:
    """``IsDNS1123Label``: the upstream message, or None for a valid label."""
    if len(value) > DNS1123_LABEL_MAX:
        return _max_len(DNS1123_LABEL_MAX)
    if not _DNS1123_LABEL_RE.fullmatch(value):
        if _DNS1123_SUBDOMAIN_RE.fullmatch(value):
            return "must not contain dots"
        return (
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
            f"start and end with an alphanumeric character (e.g. 'my-name' or '123-abc', regex used for "
            f"validation is '{_DNS1123_LABEL}')"
        )
    return None


def label_key_error(key: str) -> str | None:
    """``IsLabelKey`` (also annotation keys): an optional DNS-1123 subdomain prefix and ``/``,
    then a name of at most 63 characters."""
    parts = key.split("/")
    name_re = (
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
        f"alphanumeric character (e.g. 'MyName' or 'my.name' or '123-abc', regex used for validation is "
        f"'{_LABEL_KEY_NAME}')"
    )
    if len(parts) > 2:
        return f"a valid label key {name_re} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
    name = parts[-1]
    if len(parts) == 2:
        if not parts[0]:
            return "prefix part must be non-empty"
        problem = dns1123_subdomain_error(parts[0])
        if problem:
            return f"prefix part {problem}"
    if not name:
        return "name part must be non-empty"
    if len(name) > DNS1123_LABEL_MAX:
        return f"name part {_max_len(DNS1123_LABEL_MAX)}"
    if not _LABEL_KEY_NAME_RE.fullmatch(name):
        return f"name part {name_re}"
    return None


def label_value_error(value: str) -> str | None:
    """``IsLabelValue``: empty, or at most 63 characters of the label-name form."""
    if len(value) > LABEL_VALUE_MAX:
        return _max_len(LABEL_VALUE_MAX)
    if value and not _LABEL_KEY_NAME_RE.fullmatch(value):
        return (
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
            "must start and end with an alphanumeric character (e.g. 'MyValue' or 'my_value' or '12345', regex "
            f"used for validation is '{_LABEL_VALUE}')"
        )
    return None


def label_map(f: Fields, key: str, values: bool = True) -> dict[str, str]:
    """``f.str_map(key)`` with every key a valid label key and, when ``values``, every value a
    valid label value (labels, selectors' ``matchLabels``, ``nodeSelector``); ``values=False``
    for annotations, whose values are free text."""
    out = f.str_map(key)
    sub = (*f.path, key)
    for k, v in out.items():
        problem = label_key_error(k)
        if problem:
            raise InputError(f"{shown(k)} is not a valid label key: {problem}", path=sub)
        if values:
            problem = label_value_error(v)
            if problem:
                raise InputError(f"{shown(v)} is not a valid label value: {problem}", path=(*sub, k))
    return out


def shown(value: str) -> str:
    return repr(value) if len(value) <= 64 else repr(value[:60] + "...") + f" ({len(value)} characters)"


def parse_resources(f: Fields, key: str) -> FMap[str, int]:
    sub = f.map(key)
    out: dict[str, int] = {}
    for name, value in sub.data.items():
        try:
            out[name] = to_model_units(name, parse_quantity(value))
        except QuantityError as err:
            raise sub.error(name, str(err)) from None
        if out[name] < 0:
            raise sub.error(name, "must not be negative")
    return FMap(out)


def parse_container(f: Fields) -> Container:
    name = f.str("name")
    image = f.str("image", "")
    res = f.map("resources")
    requests = parse_resources(res, "requests")
    limits = parse_resources(res, "limits")
    merged = dict(limits)
    merged.update(requests)  # SetDefaults_Pod: requests default to limits
    for r, v in requests.items():
        if r in limits and v > limits[r]:
            raise res.error("requests", f"{r} request must be ≤ its limit")
    container = Container(name=name, image=image, requests=FMap(merged))
    if f.has("readinessProbe"):
        probe = f.map("readinessProbe")
        container = attrs.evolve(
            container,
            # SetDefaults_Probe: an unset (0) periodSeconds is 10 and successThreshold is 1.
            readiness_initial_delay=probe.int("initialDelaySeconds", 0, minimum=0, maximum=MAX_WAIT_SECONDS),
            readiness_period=probe.int("periodSeconds", 0, minimum=0, maximum=MAX_WAIT_SECONDS) or 10,
            readiness_success_threshold=probe.int("successThreshold", 0, minimum=0, maximum=INT32_MAX) or 1,
        )
    pre_stop = f.map("lifecycle").map("preStop")
    if pre_stop.data:
        # validation.go: exactly one handler; tcpSocket is kept only for compatibility and fails
        # at once when run (``pkg/kubelet/lifecycle/handlers.go``), so it holds nothing up.
        kinds = [k for k in ("exec", "httpGet", "sleep", "tcpSocket") if pre_stop.has(k)]
        if len(kinds) != 1:
            raise pre_stop.error(None, "must specify exactly one of exec, httpGet, sleep, tcpSocket")
        if kinds[0] == "sleep":
            seconds = pre_stop.map("sleep").int("seconds", minimum=0, maximum=MAX_WAIT_SECONDS)
            container = attrs.evolve(container, pre_stop="sleep", pre_stop_sleep=seconds)
        elif kinds[0] != "tcpSocket":
            container = attrs.evolve(container, pre_stop=kinds[0])
    return container


def parse_toleration(f: Fields) -> Toleration:
    operator = f.str("operator", "Equal")
    if operator not in ("Equal", "Exists"):
        raise f.error("operator", f"expected Equal or Exists, got {operator!r}")
    effect = f.str("effect", "")
    if effect and effect not in TAINT_EFFECTS:
        raise f.error("effect", f"expected one of {', '.join(TAINT_EFFECTS)}, got {effect!r}")
    return Toleration(
        key=f.str("key", ""),
        operator=operator,
        value=f.str("value", ""),
        effect=effect,
        toleration_seconds=f.int("tolerationSeconds", None, maximum=MAX_WAIT_SECONDS),
    )


NODE_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")
WHEN_UNSATISFIABLE = ("DoNotSchedule", "ScheduleAnyway")
NODE_INCLUSION_POLICIES = ("Honor", "Ignore")


def parse_node_selector_requirement(f: Fields, field_selector: bool) -> NodeSelectorRequirement:
    """``pkg/apis/core/validation/validation.go: ValidateNodeSelectorRequirement`` (label keys) and
    ``ValidateNodeFieldSelectorRequirement`` (``matchFields``: key ``metadata.name``, In/NotIn with
    exactly one value). A Gt/Lt value that is not an integer passes API validation upstream; the
    scheduler then cannot parse the term and it matches no node, which the model reproduces."""
    key = f.str("key")
    op = f.str("operator")
    values = tuple(f.str_list("values"))
    if field_selector:
        if key != "metadata.name":
            raise f.error("key", f"{key!r} is not a valid field selector key (supported: metadata.name)")
        if op not in ("In", "NotIn"):
            raise f.error("operator", f"expected In or NotIn for a node field selector, got {op!r}")
        if len(values) != 1:
            raise f.error("values", f"must be exactly one value when operator is {op} for a node field selector")
        return NodeSelectorRequirement(key, op, values)
    if not key:
        raise f.error("key", "is required")
    if op not in NODE_SELECTOR_OPERATORS:
        raise f.error("operator", f"expected one of {', '.join(NODE_SELECTOR_OPERATORS)}, got {op!r}")
    if op in ("In", "NotIn") and not values:
        raise f.error("values", f"must be non-empty for operator {op}")
    if op in ("Exists", "DoesNotExist") and values:
        raise f.error("values", f"must be empty for operator {op}")
    if op in ("Gt", "Lt") and len(values) != 1:
        raise f.error("values", f"must be exactly one value for operator {op}")
    return NodeSelectorRequirement(key, op, values)


def parse_node_affinity_required(f: Fields) -> tuple[NodeSelectorTerm, ...]:
    """``spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution``, validated as
    ``ValidateNodeSelector`` does (at least one term). ``preferredDuringScheduling...``, podAffinity
    and podAntiAffinity are not modelled and are ignored."""
    na = f.map("affinity").map("nodeAffinity")
    if not na.has("requiredDuringSchedulingIgnoredDuringExecution"):
        return ()
    req = na.map("requiredDuringSchedulingIgnoredDuringExecution")
    terms = []
    for path, item in req.list("nodeSelectorTerms", required=True):
        t = Fields(item, path)
        terms.append(
            NodeSelectorTerm(
                match_expressions=tuple(
                    parse_node_selector_requirement(Fields(e, ep), False) for ep, e in t.list("matchExpressions")
                ),
                match_fields=tuple(
                    parse_node_selector_requirement(Fields(e, ep), True) for ep, e in t.list("matchFields")
                ),
            )
        )
    if not terms:
        raise req.error("nodeSelectorTerms", "must have at least one node selector term")
    return tuple(terms)


def parse_topology_spread_constraints(f: Fields) -> tuple[TopologySpreadConstraint, ...]:
    """``spec.topologySpreadConstraints`` validated as ``validateTopologySpreadConstraints``:
    maxSkew > 0, topologyKey required, whenUnsatisfiable DoNotSchedule or ScheduleAnyway, minDomains
    > 0 and only with DoNotSchedule, node inclusion policies Honor or Ignore, and no two constraints
    with the same {topologyKey, whenUnsatisfiable}. ``matchLabelKeys`` is not modelled (ignored)."""
    out: list[TopologySpreadConstraint] = []
    seen: dict[tuple[str, str], int] = {}
    for path, item in f.list("topologySpreadConstraints"):
        c = Fields(item, path)
        max_skew = c.int("maxSkew", minimum=1, maximum=INT32_MAX)
        key = c.str("topologyKey")
        if not key:
            raise c.error("topologyKey", "is required")
        when = c.str("whenUnsatisfiable")
        if when not in WHEN_UNSATISFIABLE:
            raise c.error("whenUnsatisfiable", f"expected one of {', '.join(WHEN_UNSATISFIABLE)}, got {when!r}")
        min_domains = c.int("minDomains", None, minimum=1, maximum=INT32_MAX)
        if min_domains is not None and when != "DoNotSchedule":
            raise c.error("minDomains", f"can only be set when whenUnsatisfiable is DoNotSchedule, not {when}")
        policies = []
        for name, default in (("nodeAffinityPolicy", "Honor"), ("nodeTaintsPolicy", "Ignore")):
            value = c.str(name, default)
            if value not in NODE_INCLUSION_POLICIES:
                raise c.error(name, f"expected Honor or Ignore, got {value!r}")
            policies.append(value)
        if (key, when) in seen:
            raise c.error(
                "topologyKey",
                f"duplicate {{topologyKey, whenUnsatisfiable}} ({key}, {when}) of constraint {seen[(key, when)]}",
            )
        seen[(key, when)] = len(out)
        selector = parse_selector(c.map("labelSelector")) if c.has("labelSelector") else None
        out.append(TopologySpreadConstraint(max_skew, key, when, selector, min_domains, policies[0], policies[1]))
    return tuple(out)


def parse_pod_spec(f: Fields) -> PodSpec:
    containers = tuple(parse_container(Fields(c, p)) for p, c in f.list("containers", required=True))
    if not containers:
        raise f.error("containers", "must list at least one container")
    init = tuple(parse_container(Fields(c, p)) for p, c in f.list("initContainers"))
    restart = f.str("restartPolicy", "Always")
    if restart not in RESTART_POLICIES:
        raise f.error("restartPolicy", f"expected one of {', '.join(RESTART_POLICIES)}, got {restart!r}")
    return PodSpec(
        containers=containers,
        init_containers=init,
        node_name=f.str("nodeName", ""),
        node_selector=FMap(label_map(f, "nodeSelector")),
        tolerations=tuple(parse_toleration(Fields(t, p)) for p, t in f.list("tolerations")),
        restart_policy=restart,
        termination_grace_period_seconds=f.int(
            "terminationGracePeriodSeconds", 30, minimum=0, maximum=MAX_WAIT_SECONDS
        ),
        scheduler_name=f.str("schedulerName", "default-scheduler"),
        affinity_required=parse_node_affinity_required(f),
        topology_spread_constraints=parse_topology_spread_constraints(f),
    )


def parse_pod(f: Fields) -> Pod:
    return Pod(meta=parse_meta(f), spec=parse_pod_spec(f.map("spec", required=True)))


def parse_selector(f: Fields) -> LabelSelector:
    match_labels = tuple(sorted(label_map(f, "matchLabels").items()))
    exprs = []
    for path, item in f.list("matchExpressions"):
        e = Fields(item, path)
        op = e.str("operator")
        if op not in OPERATORS:
            raise e.error("operator", f"expected one of {', '.join(OPERATORS)}, got {op!r}")
        values = tuple(e.str_list("values"))
        if op in ("In", "NotIn") and not values:
            raise e.error("values", f"must be non-empty for operator {op}")
        if op in ("Exists", "DoesNotExist") and values:
            raise e.error("values", f"must be empty for operator {op}")
        key = e.str("key")
        problem = label_key_error(key)
        if problem:
            raise e.error("key", f"{shown(key)} is not a valid label key: {problem}")
        for i, value in enumerate(values):
            problem = label_value_error(value)
            if problem:
                raise InputError(f"{shown(value)} is not a valid label value: {problem}", path=(*e.path, "values", i))
        exprs.append(Requirement(key, op, values))
    return LabelSelector(match_labels, tuple(exprs))


def parse_workload_template(spec: Fields, kind: str) -> tuple[LabelSelector, FMap[str, str], PodSpec]:
    """The selector and pod template every apps/v1 workload has, with the checks of
    ``pkg/apis/apps/validation`` the model relies on: a non-empty selector that matches the
    template's labels, and pods with ``restartPolicy: Always``."""
    selector_f = spec.map("selector", required=True)
    selector = parse_selector(selector_f)
    if not selector.match_labels and not selector.match_expressions:
        raise selector_f.error(None, "must not be empty (apps/v1 requires a non-empty selector)")
    template = spec.map("template", required=True)
    labels = FMap(label_map(template.map("metadata"), "labels"))
    return selector, labels, _selected_pods(template, labels, selector, kind)


def _selected_pods(template: Fields, labels: FMap[str, str], selector: LabelSelector, kind: str) -> PodSpec:
    """A workload template's pod spec, once its labels match the workload's selector, with
    ``restartPolicy: Always`` (the workload validations of ``pkg/apis/apps/validation`` and
    ``pkg/apis/core/validation: ValidateReplicationControllerSpec``)."""
    if not selector.matches(labels):
        raise template.error("metadata", f"labels {dict(labels)} do not match the selector {selector}")
    pod_spec = parse_pod_spec(template.map("spec", required=True))
    if pod_spec.restart_policy != "Always":
        raise template.map("spec").error("restartPolicy", f"a {kind}'s pods must use restartPolicy Always")
    return pod_spec


def replicas(spec: Fields, key: str = "replicas", default: int | None = 1, minimum: int = 0) -> int:
    """``spec.replicas`` (an ``*int32``; default 1), also bounded by kmodel's scope: at most
    ``MAX_REPLICAS`` (a load with 1000 replicas took 25 s before any check began, and an int32's
    2147483647 would never finish)."""
    if default is None:  # required
        value = spec.int(key, minimum=minimum, maximum=INT32_MAX)
    else:
        value = spec.int(key, default, minimum=minimum, maximum=INT32_MAX)
    if value > MAX_REPLICAS:
        raise spec.error(key, f"at most {MAX_REPLICAS} replicas (kmodel checks small scopes), got {value}")
    return value


def parse_replicaset(f: Fields) -> ReplicaSet:
    meta = parse_meta(f)
    spec = f.map("spec", required=True)
    selector, labels, pod_spec = parse_workload_template(spec, "ReplicaSet")  # ValidateReplicaSetSpec
    return ReplicaSet(
        meta=meta,
        spec=ReplicaSetSpec(
            selector=selector,
            template=PodTemplateSpec(labels=labels, spec=pod_spec),
            replicas=replicas(spec),
            min_ready_seconds=spec.int("minReadySeconds", 0, minimum=0, maximum=MAX_WAIT_SECONDS),
        ),
    )


def parse_replication_controller(f: Fields) -> ReplicationController:
    """A ``v1`` ReplicationController with ``SetDefaults_ReplicationController``
    (``pkg/apis/core/v1/defaults.go``, Kubernetes 1.34: an empty selector becomes the template's
    labels, empty labels become the template's labels, replicas 1) and the checks of
    ``pkg/apis/core/validation: ValidateReplicationControllerSpec`` the model relies on: a
    template is required, the (defaulted) selector is non-empty and matches the template's labels,
    and the pods use ``restartPolicy: Always``. The map selector is held as ``matchLabels``, as the
    replication manager's conversion layer does (``pkg/controller/replication/conversion.go``)."""
    spec = f.map("spec", required=True)
    template = spec.map("template", required=True)
    labels = FMap(label_map(template.map("metadata"), "labels"))
    selector_map = label_map(spec, "selector") or dict(labels)
    if not selector_map:
        raise spec.error("selector", "must not be empty (set it, or labels on the template to default it from)")
    selector = LabelSelector(match_labels=tuple(sorted(selector_map.items())))
    pod_spec = _selected_pods(template, labels, selector, "ReplicationController")
    meta = parse_meta(f)
    if not meta.labels:
        meta = attrs.evolve(meta, labels=labels)
    return ReplicationController(
        meta=meta,
        spec=ReplicaSetSpec(
            selector=selector,
            template=PodTemplateSpec(labels=labels, spec=pod_spec),
            replicas=replicas(spec),
            min_ready_seconds=spec.int("minReadySeconds", 0, minimum=0, maximum=MAX_WAIT_SECONDS),
        ),
    )


POD_MANAGEMENT_POLICIES = ("OrderedReady", "Parallel")
STATEFULSET_STRATEGIES = ("RollingUpdate", "OnDelete")


def parse_statefulset(f: Fields) -> StatefulSet:
    """An ``apps/v1`` StatefulSet with ``SetDefaults_StatefulSet`` (``pkg/apis/apps/v1/defaults.go``:
    podManagementPolicy OrderedReady, updateStrategy RollingUpdate with partition 0, replicas 1,
    revisionHistoryLimit 10) and the checks of ``pkg/apis/apps/validation: ValidateStatefulSetSpec``
    the model relies on: the policy is OrderedReady or Parallel, the strategy RollingUpdate or
    OnDelete (``rollingUpdate`` only with RollingUpdate), a non-empty selector that matches the
    template labels, and restartPolicy Always. ``volumeClaimTemplates``, ``ordinals`` and
    ``persistentVolumeClaimRetentionPolicy`` are not modelled (ignored)."""
    meta = parse_meta(f)
    spec = f.map("spec", required=True)
    selector, labels, pod_spec = parse_workload_template(spec, "StatefulSet")
    policy = spec.str("podManagementPolicy", "OrderedReady")
    if policy not in POD_MANAGEMENT_POLICIES:
        raise spec.error("podManagementPolicy", f"must be 'OrderedReady' or 'Parallel', got {policy!r}")
    strategy = spec.map("updateStrategy")
    stype = strategy.str("type", "RollingUpdate")
    if stype not in STATEFULSET_STRATEGIES:
        raise strategy.error("type", f"expected RollingUpdate or OnDelete, got {stype!r}")
    if stype == "OnDelete" and strategy.has("rollingUpdate"):
        raise strategy.error("rollingUpdate", "only allowed for updateStrategy 'RollingUpdate'")
    partition = strategy.map("rollingUpdate").int("partition", 0, minimum=0, maximum=INT32_MAX)
    return StatefulSet(
        meta=meta,
        spec=StatefulSetSpec(
            selector=selector,
            template=PodTemplateSpec(labels=labels, spec=pod_spec),
            replicas=replicas(spec),
            service_name=spec.str("serviceName", ""),
            pod_management_policy=policy,
            update_strategy_type=stype,
            partition=partition,
            min_ready_seconds=spec.int("minReadySeconds", 0, minimum=0, maximum=MAX_WAIT_SECONDS),
            revision_history_limit=spec.int("revisionHistoryLimit", 10, minimum=0, maximum=INT32_MAX),
        ),
    )


RUN_SECONDS_ANNOTATION = "kmodel.io/run-seconds"
JOB_RUN_SECONDS = 10  # how long a Job's containers run when the template does not say
JOB_RESTART_POLICIES = ("OnFailure", "Never")
COMPLETION_MODES = ("NonIndexed",)  # Indexed: not modelled
POD_REPLACEMENT_POLICIES = ("TerminatingOrFailed", "Failed")
EXIT_OPERATORS = ("In", "NotIn")
CONCURRENCY_POLICIES = ("Allow", "Forbid", "Replace")
MAX_BACKOFF_LIMIT = 100  # kmodel's scope: more failures than this never settle in a run


def run_seconds(template: Fields, default: int | None) -> int | None:
    """kmodel's input for how long a pod's containers run before exiting 0: the pod template's
    annotation ``kmodel.io/run-seconds`` (whole seconds), else ``default``."""
    meta = template.map("metadata")
    annotations = meta.str_map("annotations") if meta.has("annotations") else {}
    raw = annotations.get(RUN_SECONDS_ANNOTATION)
    if raw is None:
        return default
    if not raw.isdigit() or not 0 < int(raw) <= MAX_WAIT_SECONDS:
        raise InputError(
            f"{RUN_SECONDS_ANNOTATION}: expected whole seconds from 1 to {MAX_WAIT_SECONDS}, got {raw!r}",
            path=(*meta.path, "annotations", RUN_SECONDS_ANNOTATION),
        )
    return int(raw)


def parse_pod_failure_policy(f: Fields) -> tuple[PodFailurePolicyRule, ...]:
    """``spec.podFailurePolicy.rules`` with the checks of ``pkg/apis/batch/validation:
    validatePodFailurePolicyRule`` the model relies on: an action FailJob, Ignore or Count
    (FailIndex needs backoffLimitPerIndex, not modelled), exactly one of ``onExitCodes`` and
    ``onPodConditions``, operator In or NotIn with a non-empty list of values."""
    rules = []
    for path, item in f.list("rules", required=True):
        r = Fields(item, path)
        action = r.str("action")
        if action not in POD_FAILURE_ACTIONS:
            raise r.error("action", f"expected one of {', '.join(POD_FAILURE_ACTIONS)}, got {action!r}")
        if r.has("onExitCodes") == r.has("onPodConditions"):
            raise r.error(None, "specify exactly one of onExitCodes and onPodConditions")
        if r.has("onExitCodes"):
            codes = r.map("onExitCodes")
            op = codes.str("operator")
            if op not in EXIT_OPERATORS:
                raise codes.error("operator", f"expected In or NotIn, got {op!r}")
            values = []
            for vpath, v in codes.list("values", required=True):
                if not isinstance(v, int) or isinstance(v, bool):
                    raise InputError(f"expected an integer exit code, got {v!r}", path=vpath)
                values.append(v)
            if not values:
                raise codes.error("values", "must list at least one exit code")
            rules.append(
                PodFailurePolicyRule(
                    action, op, tuple(sorted(set(values))), container_name=codes.str("containerName", "")
                )
            )
        else:
            conds = []
            for cpath, c in r.list("onPodConditions"):
                cf = Fields(c, cpath)
                conds.append((cf.str("type"), cf.str("status", "True")))
            if not conds:
                raise r.error("onPodConditions", "must list at least one condition")
            rules.append(PodFailurePolicyRule(action, pod_conditions=tuple(conds)))
    return tuple(rules)


def parse_job_spec(spec: Fields, kind: str = "Job") -> JobSpec:
    """A ``batch/v1`` JobSpec with ``pkg/apis/batch/v1/defaults.go: SetDefaults_Job`` (Kubernetes
    1.34; completions and parallelism 1 when both are unset, a set parallelism alone leaves
    completions unset; backoffLimit 6; completionMode NonIndexed; podReplacementPolicy
    TerminatingOrFailed, or Failed with a podFailurePolicy) and the checks of
    ``pkg/apis/batch/validation: ValidateJobSpec`` the model relies on: restartPolicy OnFailure or
    Never; a selector only with ``manualSelector: true`` and then non-empty and matching the
    template's labels (otherwise the API server generates it: ``kmodel.k8s.store``); a
    podFailurePolicy only with restartPolicy Never and podReplacementPolicy Failed. Not
    modelled (refused): Indexed completion mode, ``backoffLimitPerIndex``, ``successPolicy``,
    ``managedBy``."""
    for unsupported in ("backoffLimitPerIndex", "maxFailedIndexes", "successPolicy", "managedBy"):
        if spec.has(unsupported):
            raise spec.error(unsupported, f"kmodel does not model {unsupported} (yet)")
    mode = spec.str("completionMode", "NonIndexed")
    if mode not in COMPLETION_MODES:
        raise spec.error("completionMode", f"kmodel models NonIndexed Jobs only, got {mode!r}")
    template = spec.map("template", required=True)
    labels = FMap(label_map(template.map("metadata"), "labels"))
    pod_spec = parse_pod_spec(template.map("spec", required=True))
    if not template.map("spec").has("restartPolicy"):
        raise template.map("spec").error("restartPolicy", "is required: a Job's pods use OnFailure or Never")
    if pod_spec.restart_policy not in JOB_RESTART_POLICIES:
        raise template.map("spec").error(
            "restartPolicy",
            f"a {kind}'s pods must use restartPolicy OnFailure or Never, got {pod_spec.restart_policy!r}",
        )
    pod_spec = attrs.evolve(pod_spec, run_seconds=run_seconds(template, JOB_RUN_SECONDS))
    manual = spec.bool("manualSelector", False)
    selector = None
    if spec.has("selector"):
        if not manual:
            raise spec.error("selector", "set only with manualSelector: true (the API server generates it)")
        selector_f = spec.map("selector")
        selector = parse_selector(selector_f)
        if not selector.match_labels and not selector.match_expressions:
            raise selector_f.error(None, "must not be empty")
        if not selector.matches(labels):
            raise template.error("metadata", f"labels {dict(labels)} do not match the selector {selector}")
    elif manual:
        raise spec.error("selector", "is required with manualSelector: true")
    has_parallelism, has_completions = spec.has("parallelism"), spec.has("completions")
    parallelism = replicas(spec, "parallelism", 1)
    completions: int | None = replicas(spec, "completions", 1) if has_completions or not has_parallelism else None
    if spec.has("completions") and spec.raw("completions") is None:
        completions = None
    policy = parse_pod_failure_policy(spec.map("podFailurePolicy")) if spec.has("podFailurePolicy") else None
    replacement = spec.str("podReplacementPolicy", "Failed" if policy is not None else "TerminatingOrFailed")
    if replacement not in POD_REPLACEMENT_POLICIES:
        raise spec.error("podReplacementPolicy", f"expected TerminatingOrFailed or Failed, got {replacement!r}")
    if policy is not None:
        if pod_spec.restart_policy != "Never":
            raise template.map("spec").error("restartPolicy", "must be Never with a podFailurePolicy")
        if replacement != "Failed":
            raise spec.error("podReplacementPolicy", "must be Failed with a podFailurePolicy")
    deadline = spec.raw("activeDeadlineSeconds")
    return JobSpec(
        selector=selector,
        template=PodTemplateSpec(labels=labels, spec=pod_spec),
        parallelism=parallelism,
        completions=completions,
        backoff_limit=spec.int("backoffLimit", 6, minimum=0, maximum=MAX_BACKOFF_LIMIT),
        active_deadline_seconds=None
        if deadline is None
        else spec.int("activeDeadlineSeconds", minimum=1, maximum=MAX_WAIT_SECONDS),
        suspend=spec.bool("suspend", False),
        manual_selector=manual,
        completion_mode=mode,
        pod_replacement_policy=replacement,
        pod_failure_policy=policy,
    )


def parse_job(f: Fields) -> Job:
    """A ``batch/v1`` Job (``parse_job_spec``)."""
    meta = parse_meta(f)
    return Job(meta=meta, spec=parse_job_spec(f.map("spec", required=True)))


def parse_cronjob(f: Fields) -> CronJob:
    """A ``batch/v1`` CronJob with ``SetDefaults_CronJob`` (concurrencyPolicy Allow, suspend false,
    successfulJobsHistoryLimit 3, failedJobsHistoryLimit 1) and the checks of
    ``pkg/apis/batch/validation: ValidateCronJobSpec`` the model relies on: a schedule that
    parses as five cron fields (``kmodel.k8s.controllers.cronjob.parse_schedule``; no
    ``TZ=``/``timeZone``: the model clock is UTC), a concurrencyPolicy Allow, Forbid or Replace,
    and a valid ``jobTemplate.spec``."""
    from kmodel.k8s.controllers.cronjob import ScheduleError, parse_schedule

    meta = parse_meta(f)
    spec = f.map("spec", required=True)
    schedule = spec.str("schedule")
    try:
        parse_schedule(schedule)
    except ScheduleError as e:
        raise spec.error("schedule", str(e)) from None
    if spec.has("timeZone"):
        raise spec.error("timeZone", "kmodel's clock is UTC: time zones are not modelled")
    policy = spec.str("concurrencyPolicy", "Allow")
    if policy not in CONCURRENCY_POLICIES:
        raise spec.error("concurrencyPolicy", f"expected one of {', '.join(CONCURRENCY_POLICIES)}, got {policy!r}")
    template = spec.map("jobTemplate", required=True)
    deadline = spec.raw("startingDeadlineSeconds")
    return CronJob(
        meta=meta,
        spec=CronJobSpec(
            schedule=schedule,
            job_template=parse_job_spec(template.map("spec", required=True), "CronJob"),
            job_labels=FMap(label_map(template.map("metadata"), "labels")),
            concurrency_policy=policy,
            suspend=spec.bool("suspend", False),
            starting_deadline_seconds=None
            if deadline is None
            else spec.int("startingDeadlineSeconds", minimum=0, maximum=MAX_WAIT_SECONDS),
            successful_jobs_history_limit=spec.int("successfulJobsHistoryLimit", 3, minimum=0, maximum=INT32_MAX),
            failed_jobs_history_limit=spec.int("failedJobsHistoryLimit", 1, minimum=0, maximum=INT32_MAX),
        ),
    )


SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")
SERVICE_PROTOCOLS = ("TCP", "UDP", "SCTP")


def parse_service(f: Fields) -> Service:
    """A ``v1`` Service with ``SetDefaults_Service`` (type ClusterIP, port protocol TCP, ``targetPort``
    = ``port``) and the checks of ``pkg/apis/core/validation: ValidateService`` the model relies on: at
    least one port unless headless, names on every port when there are several, ports in 1–65535,
    ``clusterIP`` "None" (headless), empty (allocated on create) or an IPv4 address. NodePort and
    LoadBalancer Services are modelled as their ClusterIP part (node ports and load balancers are
    not); ExternalName has no endpoints and is not modelled. An empty ``selector`` is no selector
    (the API server does not keep an empty map)."""
    meta = parse_meta(f)
    spec = f.map("spec", required=True)
    stype = spec.str("type", "ClusterIP")
    if stype == "ExternalName":
        raise spec.error("type", "ExternalName Services are not modelled by kmodel")
    if stype not in SERVICE_TYPES:
        raise spec.error("type", f"expected one of ClusterIP, NodePort, LoadBalancer, got {stype!r}")
    cluster_ip = spec.str("clusterIP", "")
    if cluster_ip not in ("", "None"):
        octets = cluster_ip.split(".")
        if len(octets) != 4 or not all(o.isdigit() and o.isascii() and len(o) <= 3 and int(o) <= 255 for o in octets):
            raise spec.error("clusterIP", f"must be 'None', empty or an IPv4 address, got {shown(cluster_ip)}")
    ports = []
    for path, item in spec.list("ports"):
        pf = Fields(item, path)
        port = pf.int("port", minimum=1, maximum=65535)
        target = pf.raw("targetPort", port)
        if isinstance(target, bool) or not isinstance(target, int | str) or target in ("", 0):
            raise pf.error("targetPort", f"expected a port number or name, got {target!r}")
        if isinstance(target, int) and not 1 <= target <= 65535:
            raise pf.error("targetPort", "must be between 1 and 65535")
        protocol = pf.str("protocol", "TCP")
        if protocol not in SERVICE_PROTOCOLS:
            raise pf.error("protocol", f"expected one of TCP, UDP, SCTP, got {protocol!r}")
        ports.append(ServicePort(port=port, target_port=target, name=pf.str("name", ""), protocol=protocol))
    if not ports and cluster_ip != "None":
        raise spec.error("ports", "is required (only a headless Service may have no ports)")
    if len(ports) > 1 and not all(p.name for p in ports):
        raise spec.error("ports", "every port must have a name when there is more than one")
    selector = label_map(spec, "selector")
    return Service(
        meta=meta,
        spec=ServiceSpec(
            selector=FMap(selector) if selector else None,
            cluster_ip=cluster_ip,
            ports=tuple(ports),
            publish_not_ready_addresses=spec.bool("publishNotReadyAddresses", False),
        ),
    )


def parse_pdb(f: Fields) -> PodDisruptionBudget:
    """A ``policy/v1`` PodDisruptionBudget, checked as ``pkg/apis/policy/validation/validation.go:
    ValidatePodDisruptionBudgetSpec`` does: ``minAvailable`` and ``maxUnavailable`` cannot be both
    set; each is an integer ≥ 0 or a percentage of at most 100% (``ValidatePositiveIntOrPercent``,
    ``IsNotMoreThan100Percent``); ``unhealthyPodEvictionPolicy`` is IfHealthyBudget or AlwaysAllow
    (``supportedUnhealthyPodEvictionPolicies``). A missing selector is a null selector (selects no
    pods); ``selector: {}`` selects every pod in the namespace (policy/v1 semantics). kmodel applies
    no default when neither budget field is set: the disruption controller then counts 0 expected
    pods and allows no disruption (``getExpectedPodCount``, ``updatePdbStatus``). ``status`` in the
    manifest is ignored (the controller computes it)."""
    meta = parse_meta(f)
    spec = f.map("spec", required=True)
    selector = parse_selector(spec.map("selector")) if spec.has("selector") else None
    min_available = _int_or_percent(spec, "minAvailable", None) if spec.has("minAvailable") else None
    max_unavailable = _int_or_percent(spec, "maxUnavailable", None) if spec.has("maxUnavailable") else None
    if min_available is not None and max_unavailable is not None:
        raise spec.error("maxUnavailable", "minAvailable and maxUnavailable cannot be both set")
    for key, value in (("minAvailable", min_available), ("maxUnavailable", max_unavailable)):
        if isinstance(value, str) and int(value[:-1]) > 100:
            raise spec.error(key, "must not be greater than 100%")
    policy = spec.str("unhealthyPodEvictionPolicy", "")
    if policy and policy not in UNHEALTHY_POD_EVICTION_POLICIES:
        raise spec.error(
            "unhealthyPodEvictionPolicy",
            f"expected one of {', '.join(UNHEALTHY_POD_EVICTION_POLICIES)}, got {policy!r}",
        )
    return PodDisruptionBudget(
        meta=meta,
        spec=PodDisruptionBudgetSpec(
            selector=selector,
            min_available=min_available,
            max_unavailable=max_unavailable,
            unhealthy_pod_eviction_policy=policy,
        ),
    )


DEPLOYMENT_STRATEGIES = ("RollingUpdate", "Recreate")


def parse_deployment(f: Fields) -> Deployment:
    """An ``apps/v1`` Deployment with ``SetDefaults_Deployment`` (replicas 1, RollingUpdate with
    maxSurge/maxUnavailable 25%, revisionHistoryLimit 10, progressDeadlineSeconds 600) and the
    checks of ``pkg/apis/apps/validation: ValidateDeploymentSpec`` that the model relies on."""
    meta = parse_meta(f)
    spec = f.map("spec", required=True)
    selector, labels, pod_spec = parse_workload_template(spec, "Deployment")
    strategy = spec.map("strategy")
    stype = strategy.str("type", "RollingUpdate")
    if stype not in DEPLOYMENT_STRATEGIES:
        raise strategy.error("type", f"expected RollingUpdate or Recreate, got {stype!r}")
    surge: int | str | None = None
    unavailable: int | str | None = None
    if stype == "Recreate":
        if strategy.has("rollingUpdate"):
            raise strategy.error("rollingUpdate", "may not be specified when strategy `type` is 'Recreate'")
    else:
        ru = strategy.map("rollingUpdate")
        surge = _int_or_percent(ru, "maxSurge")
        unavailable = _int_or_percent(ru, "maxUnavailable")
        if isinstance(unavailable, str) and int(unavailable[:-1]) > 100:
            raise ru.error("maxUnavailable", "must not be greater than 100%")
        if _int_or_percent_value(surge) == 0 and _int_or_percent_value(unavailable) == 0:
            raise ru.error("maxUnavailable", "may not be 0 when `maxSurge` is 0")
    min_ready = spec.int("minReadySeconds", 0, minimum=0, maximum=MAX_WAIT_SECONDS)
    deadline = spec.int("progressDeadlineSeconds", 600, minimum=0, maximum=INT32_MAX)
    if deadline <= min_ready:
        raise spec.error("progressDeadlineSeconds", "must be greater than minReadySeconds")
    return Deployment(
        meta=meta,
        spec=DeploymentSpec(
            selector=selector,
            template=PodTemplateSpec(labels=labels, spec=pod_spec),
            replicas=replicas(spec),
            strategy_type=stype,
            max_surge=surge,
            max_unavailable=unavailable,
            revision_history_limit=spec.int("revisionHistoryLimit", 10, minimum=0, maximum=INT32_MAX),
            progress_deadline_seconds=deadline,
            min_ready_seconds=min_ready,
            paused=spec.bool("paused", False),
        ),
    )


DAEMONSET_STRATEGIES = ("RollingUpdate", "OnDelete")


def parse_daemonset(f: Fields) -> DaemonSet:
    """An ``apps/v1`` DaemonSet with ``SetDefaults_DaemonSet`` (``pkg/apis/apps/v1/defaults.go``,
    Kubernetes 1.34: updateStrategy RollingUpdate with maxUnavailable 1 and maxSurge 0,
    revisionHistoryLimit 10) and the checks of ``pkg/apis/apps/validation: ValidateDaemonSetSpec``
    the model relies on: a non-empty selector that matches the template labels, restartPolicy
    Always (``parse_workload_template``), the strategy RollingUpdate or OnDelete
    (``ValidateDaemonSetUpdateStrategy``; ``rollingUpdate`` only with RollingUpdate), and
    ``ValidateRollingUpdateDaemonSet``: maxUnavailable and maxSurge each an integer ≥ 0 or a
    percentage of at most 100%, exactly one of them non-zero."""
    meta = parse_meta(f)
    spec = f.map("spec", required=True)
    selector, labels, pod_spec = parse_workload_template(spec, "DaemonSet")
    if pod_spec.node_name:
        # the controller creates one pod per node; a template pinned to one node is legal upstream
        # (NodeShouldRunDaemonPod only runs it there), but the model's pods are scheduled, not bound
        raise spec.map("template").map("spec").error("nodeName", "a DaemonSet template with nodeName is not modelled")
    strategy = spec.map("updateStrategy")
    stype = strategy.str("type", "RollingUpdate")
    if stype not in DAEMONSET_STRATEGIES:
        raise strategy.error("type", f"expected RollingUpdate or OnDelete, got {stype!r}")
    surge: int | str | None = None
    unavailable: int | str | None = None
    if stype == "OnDelete":
        if strategy.has("rollingUpdate"):
            raise strategy.error("rollingUpdate", "only allowed for updateStrategy 'RollingUpdate'")
    else:
        ru = strategy.map("rollingUpdate")
        unavailable = _int_or_percent(ru, "maxUnavailable", 1)
        surge = _int_or_percent(ru, "maxSurge", 0)
        for key, value in (("maxUnavailable", unavailable), ("maxSurge", surge)):
            if isinstance(value, str) and int(value[:-1]) > 100:
                raise ru.error(key, "must not be greater than 100%")
        has_unavailable = _int_or_percent_value(unavailable) != 0
        has_surge = _int_or_percent_value(surge) != 0
        if has_unavailable and has_surge:
            raise ru.error("maxSurge", "may not be set when maxUnavailable is non-zero")
        if not has_unavailable and not has_surge:
            raise ru.error("maxUnavailable", "cannot be 0 when maxSurge is 0")
    return DaemonSet(
        meta=meta,
        spec=DaemonSetSpec(
            selector=selector,
            template=PodTemplateSpec(labels=labels, spec=pod_spec),
            update_strategy_type=stype,
            max_unavailable=unavailable,
            max_surge=surge,
            min_ready_seconds=spec.int("minReadySeconds", 0, minimum=0, maximum=MAX_WAIT_SECONDS),
            revision_history_limit=spec.int("revisionHistoryLimit", 10, minimum=0, maximum=INT32_MAX),
        ),
    )


def _int_or_percent(f: Fields, key: str, default: int | str | None = "25%") -> int | str:
    """An IntOrString that ``ValidatePositiveIntOrPercent`` accepts: an integer ≥ 0 or a
    string ``"N%"``; absent → ``default`` (the Deployment's ``25%``)."""
    value = f.raw(key, default)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise f.error(key, f"expected an integer or a percentage like '25%', got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise f.error(key, "must be greater than or equal to 0")
        if value > INT32_MAX:  # IntOrString's IntVal is an int32
            raise f.error(key, f"must be ≤ {INT32_MAX} (an int32), got {value}")
        return value
    digits = value[:-1]
    if not value.endswith("%") or not digits.isdigit() or not digits.isascii():
        raise f.error(key, f"a string must be a percentage like '25%', got {shown(value)}")
    if len(digits.lstrip("0")) > 10 or int(digits) > INT32_MAX:
        # intstr.GetScaledValueFromIntOrPercent: strconv.Atoi, then scaled as an int32 field
        raise f.error(key, f"the percentage must be at most {INT32_MAX}%, got {shown(value)}")
    return value


def _int_or_percent_value(value: int | str | None) -> int:
    """``getIntOrPercentValue``: the number, ignoring whether it is a percentage."""
    if value is None:
        return 0
    return value if isinstance(value, int) else int(value[:-1])


def parse_taint(f: Fields) -> Taint:
    effect = f.str("effect")
    if effect not in TAINT_EFFECTS:
        raise f.error("effect", f"expected one of {', '.join(TAINT_EFFECTS)}, got {effect!r}")
    return Taint(key=f.str("key"), value=f.str("value", ""), effect=effect)


def make_node(
    name: str,
    capacity: FMap[str, int],
    allocatable: FMap[str, int] | None = None,
    labels: dict[str, str] | None = None,
    taints: tuple[Taint, ...] = (),
    unschedulable: bool = False,
) -> Node:
    """A registered, Ready node as the kubelet posts it. Labels: those ``pkg/kubelet/
    kubelet_node_status.go: initialNode`` sets on a linux/amd64 kubelet (``kubernetes.io/hostname``,
    ``kubernetes.io/os``, ``kubernetes.io/arch`` and their deprecated ``beta.kubernetes.io/``
    forms, which manifests still select on), under the scenario's own. Capacity: ``pods`` 110
    (kubelet ``maxPods``) and ``ephemeral-storage`` 100Gi (the kubelet reports its root
    filesystem's size; 100 GB is GKE's default boot disk) unless the scenario gives them."""
    cap = dict(capacity)
    cap.setdefault("pods", DEFAULT_MAX_PODS)
    cap.setdefault("ephemeral-storage", DEFAULT_EPHEMERAL_STORAGE)
    alloc = dict(allocatable) if allocatable is not None else dict(cap)
    alloc.setdefault("pods", cap["pods"])
    alloc.setdefault("ephemeral-storage", cap["ephemeral-storage"])
    all_labels = {"kubernetes.io/hostname": name, **KUBELET_LABELS}
    all_labels.update(labels or {})
    return Node(
        meta=ObjectMeta(name=name, labels=FMap(all_labels)),
        spec=NodeSpec(unschedulable=unschedulable, taints=taints),
        status=NodeStatus(
            capacity=FMap(cap),
            allocatable=FMap(alloc),
            conditions=(Condition(READY, "True", "KubeletReady", "kubelet is posting ready status", 0),),
        ),
    )


def parse_node_manifest(f: Fields) -> Node:
    meta = parse_meta(f, namespaced=False)
    spec = f.map("spec")
    status = f.map("status")
    capacity = parse_resources(status, "capacity")
    allocatable = parse_resources(status, "allocatable") if status.has("allocatable") else None
    return make_node(
        meta.name,
        capacity,
        allocatable,
        dict(meta.labels),
        tuple(parse_taint(Fields(t, p)) for p, t in spec.list("taints")),
        spec.bool("unschedulable", False),
    )


HPA_TARGET_KINDS = ("Deployment", "ReplicaSet", "StatefulSet", "ReplicationController")
MAX_PERIOD_SECONDS = 1800  # validation.go: MaxPeriodSeconds
MAX_STABILIZATION_WINDOW_SECONDS = 3600  # validation.go: MaxStabilizationWindowSeconds
DEFAULT_CPU_UTILIZATION = 80  # pkg/apis/autoscaling: DefaultCPUUtilization


def _default_scale_up() -> HPAScalingRules:
    """``defaultHPAScaleUpRules``: no stabilization; the larger of +4 pods and +100% per 15s."""
    return HPAScalingRules(0, "Max", (HPAScalingPolicy("Pods", 4, 15), HPAScalingPolicy("Percent", 100, 15)))


def _default_scale_down() -> HPAScalingRules:
    """``defaultHPAScaleDownRules``: the controller's downscale window (None here); -100% per 15s."""
    return HPAScalingRules(None, "Max", (HPAScalingPolicy("Percent", 100, 15),))


def parse_hpa_rules(f: Fields, default: HPAScalingRules) -> HPAScalingRules:
    """``copyHPAScalingRules`` over the defaults, with ``validateScalingRules``: window in
    0–3600s, selectPolicy Max/Min/Disabled, at least one policy, each with value > 0 and
    periodSeconds in 1–1800."""
    f.only(("stabilizationWindowSeconds", "selectPolicy", "policies", "tolerance"))
    if f.has("tolerance"):
        raise f.error(
            "tolerance", "per-HPA tolerance (HPAConfigurableTolerance) is not modelled; the default 0.1 applies"
        )
    window = default.stabilization_window_seconds
    if f.has("stabilizationWindowSeconds"):
        window = f.int("stabilizationWindowSeconds", minimum=0, maximum=MAX_STABILIZATION_WINDOW_SECONDS)
    select = f.str("selectPolicy", default.select_policy)
    if select not in HPA_SELECT_POLICIES:
        raise f.error("selectPolicy", f"expected one of {', '.join(HPA_SELECT_POLICIES)}, got {select!r}")
    policies = default.policies
    if f.has("policies"):
        out = []
        for path, item in f.list("policies"):
            pf = Fields(item, path)
            pf.only(("type", "value", "periodSeconds"))
            ptype = pf.str("type")
            if ptype not in HPA_POLICY_TYPES:
                raise pf.error("type", f"expected Pods or Percent, got {ptype!r}")
            out.append(
                HPAScalingPolicy(
                    ptype,
                    pf.int("value", minimum=1, maximum=INT32_MAX),
                    pf.int("periodSeconds", minimum=1, maximum=MAX_PERIOD_SECONDS),
                )
            )
        if not out:
            raise f.error("policies", "must specify at least one Policy")
        policies = tuple(out)
    return HPAScalingRules(window, select, policies)


HPA_METRIC_SOURCES = {
    "Resource": "resource",
    "Pods": "pods",
    "Object": "object",
    "External": "external",
    "ContainerResource": "containerResource",
}


def parse_hpa_metrics(spec: Fields) -> tuple[int | None, tuple[Any, ...]]:
    """``spec.metrics``: the first ``Resource`` metric ``cpu`` with a ``Utilization`` target is
    the one the model evaluates (its averageUtilization, > 0 as ``validateMetricTarget`` requires;
    no metrics at all → cpu at 80%, ``SetDefaults_HorizontalPodAutoscaler``). Every other metric
    (memory, Pods, Object, External, ContainerResource, a cpu AverageValue target) is accepted,
    checked as ``validateMetricSpec`` does (a known type whose source field is set), and carried
    frozen in ``other_metrics``: the HPA does not evaluate it, and the report says so. An HPA with
    no cpu Utilization metric then never gets a metric proposal (upstream would act on its other
    metrics; here it only holds minReplicas/maxReplicas)."""
    metrics = list(spec.list("metrics"))
    if not metrics:
        return DEFAULT_CPU_UTILIZATION, ()
    utilization: int | None = None
    other = []
    for path, item in metrics:
        mf = Fields(item, path)
        mtype = mf.str("type")
        if mtype not in HPA_METRIC_SOURCES:
            raise mf.error("type", f"expected one of {', '.join(HPA_METRIC_SOURCES)}, got {mtype!r}")
        source = mf.map(HPA_METRIC_SOURCES[mtype], required=True)
        target = source.map("target", required=True)
        cpu = mtype == "Resource" and source.raw("name") == "cpu" and target.raw("type") == "Utilization"
        if utilization is None and cpu:
            utilization = target.int("averageUtilization", minimum=1, maximum=INT32_MAX)
            continue
        other.append(freeze(schemas.jsonable(item), "metric"))
    return utilization, tuple(other)


def hpa_v1_to_v2(f: Fields) -> dict[str, Any]:
    """An ``autoscaling/v1`` HPA as the API server converts it to v2
    (``pkg/apis/autoscaling/v1/conversion.go:
    Convert_v1_HorizontalPodAutoscalerSpec_To_autoscaling_HorizontalPodAutoscalerSpec``):
    scaleTargetRef, minReplicas and maxReplicas as they are; ``targetCPUUtilizationPercentage``,
    when set, becomes the one metric ``{type: Resource, resource: {name: cpu, target: {type:
    Utilization, averageUtilization: N}}}``; unset, there are no metrics and defaulting makes it
    cpu at 80% (v1's ``SetDefaults_HorizontalPodAutoscaler`` sets 80 as well). v1's ``status``
    and its metrics annotations are not read."""
    spec = f.map("spec", required=True)
    out: dict[str, Any] = {k: spec.data[k] for k in ("scaleTargetRef", "minReplicas", "maxReplicas") if k in spec.data}
    if spec.has("targetCPUUtilizationPercentage"):
        percent = spec.int("targetCPUUtilizationPercentage", minimum=1, maximum=INT32_MAX)
        target = {"type": "Utilization", "averageUtilization": percent}
        out["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": target}}]
    return {"apiVersion": "autoscaling/v2", "kind": f.data["kind"], "metadata": f.data.get("metadata"), "spec": out}


def parse_hpa(f: Fields) -> HorizontalPodAutoscaler:
    """An ``autoscaling/v2`` HorizontalPodAutoscaler with ``SetDefaults_HorizontalPodAutoscaler``
    (``pkg/apis/autoscaling/v2/defaults.go``: minReplicas 1; no metrics → cpu at 80%; a given
    ``behavior`` filled from ``defaultHPAScaleUpRules`` / ``defaultHPAScaleDownRules``) and the
    checks of ``pkg/apis/autoscaling/validation: ValidateHorizontalPodAutoscalerSpec`` the model
    relies on: minReplicas ≥ 1 (scale to zero is behind the HPAScaleToZero gate), maxReplicas ≥
    minReplicas, a target of kind Deployment, ReplicaSet or StatefulSet. Metrics: see
    ``parse_hpa_metrics``."""
    meta = parse_meta(f)
    spec = f.map("spec", required=True)
    ref = spec.map("scaleTargetRef", required=True)
    kind = ref.str("kind")
    if kind not in HPA_TARGET_KINDS:
        raise ref.error("kind", f"expected one of {', '.join(HPA_TARGET_KINDS)}, got {kind!r}")
    name = ref.str("name")
    min_replicas = replicas(spec, "minReplicas", 1, minimum=1)
    max_replicas = replicas(spec, "maxReplicas", None, minimum=1)
    if max_replicas < min_replicas:
        raise spec.error("maxReplicas", f"must be greater than or equal to minReplicas ({min_replicas})")
    utilization, other_metrics = parse_hpa_metrics(spec)
    behavior = None
    if spec.has("behavior"):
        bf = spec.map("behavior")
        bf.only(("scaleUp", "scaleDown"))
        behavior = HPABehavior(
            parse_hpa_rules(bf.map("scaleUp"), _default_scale_up()),
            parse_hpa_rules(bf.map("scaleDown"), _default_scale_down()),
        )
    return HorizontalPodAutoscaler(
        meta=meta,
        spec=HorizontalPodAutoscalerSpec(kind, name, max_replicas, min_replicas, utilization, behavior, other_metrics),
    )


_PARSERS: dict[str, Callable[[Fields], Any]] = {
    "Pod": parse_pod,
    "ReplicaSet": parse_replicaset,
    "ReplicationController": parse_replication_controller,
    "Deployment": parse_deployment,
    "StatefulSet": parse_statefulset,
    "Service": parse_service,
    "HorizontalPodAutoscaler": parse_hpa,
    "PodDisruptionBudget": parse_pdb,
    "Node": parse_node_manifest,
    "DaemonSet": parse_daemonset,
    "Job": parse_job,
    "CronJob": parse_cronjob,
}
