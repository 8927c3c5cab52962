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

from typing import Any

from kmodel.core.fmap import FMap
from kmodel.errors import InputError
from kmodel.fields import Fields
from kmodel.k8s.labels import OPERATORS, LabelSelector, Requirement
from kmodel.k8s.objects import (
    READY,
    Condition,
    Container,
    Node,
    NodeSpec,
    NodeStatus,
    ObjectMeta,
    Pod,
    PodSpec,
    PodTemplateSpec,
    ReplicaSet,
    ReplicaSetSpec,
    Taint,
    Toleration,
)
from kmodel.k8s.quantity import QuantityError, parse_quantity, to_model_units

SUPPORTED = {"Pod": "v1", "ReplicaSet": "apps/v1", "Node": "v1"}
KNOWN_UNMODELLED = (
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "Service",
    "EndpointSlice",
    "ConfigMap",
    "Secret",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "Namespace",
    "Lease",
)
RESTART_POLICIES = ("Always", "OnFailure", "Never")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
DEFAULT_MAX_PODS = 110


def parse_documents(docs: list[Any], label: str, first_index: int = 1) -> list[Any]:
    """Objects of every document, in order; errors name ``label`` and the 1-based document."""
    out = []
    for i, doc in enumerate(docs, start=first_index):
        try:
            out.append(parse_object(doc))
        except InputError as err:
            raise err.within(file=label, document=i) from None
    return out


def parse_object(doc: Any) -> Any:
    f = Fields(doc, what="a Kubernetes object (a mapping with apiVersion and kind)")
    kind = f.str("kind")
    api_version = f.str("apiVersion")
    if kind not in SUPPORTED:
        if kind in KNOWN_UNMODELLED:
            raise f.error("kind", f"{kind} is not modelled by kmodel yet (supported: {', '.join(SUPPORTED)})")
        raise f.error("kind", f"unknown kind {kind!r} (supported: {', '.join(SUPPORTED)})")
    if api_version != SUPPORTED[kind]:
        raise f.error("apiVersion", f"{kind} is served as {SUPPORTED[kind]!r}, got {api_version!r}")
    if kind == "Pod":
        return parse_pod(f)
    if kind == "ReplicaSet":
        return parse_replicaset(f)
    return parse_node_manifest(f)


def parse_meta(f: Fields, namespaced: bool = True) -> ObjectMeta:
    m = f.map("metadata", required=True)
    name = m.str("name", "")
    generate_name = m.str("generateName", "")
    if not name and not generate_name:
        raise m.error("name", "is required")
    for key, value in (("name", name), ("generateName", generate_name)):
        if value and not _dns_subdomain(value.rstrip("-") if key == "generateName" else value):
            raise m.error(key, f"{value!r} is not a valid name (lowercase letters, digits, '-' and '.')")
    namespace = m.str("namespace", "default") if namespaced else ""
    return ObjectMeta(
        name=name,
        namespace=namespace,
        generate_name=generate_name,
        labels=FMap(m.str_map("labels")),
        annotations=FMap(m.str_map("annotations")),
    )


def _dns_subdomain(name: str) -> bool:
    if not name or len(name) > 253:
        return False
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789-.")
    return all(c in allowed for c in name) and name[0].isalnum() and name[-1].isalnum()


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
    return Container(name=name, image=image, requests=FMap(merged))


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
        toleration_seconds=f.int("tolerationSeconds", None),
    )


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
        node_selector=FMap(f.str_map("nodeSelector")),
        tolerations=tuple(parse_toleration(Fields(t, p)) for p, t in f.list("tolerations")),
        restart_policy=restart,
        termination_grace_period_seconds=f.int("terminationGracePeriodSeconds", 30, minimum=0),
        scheduler_name=f.str("schedulerName", "default-scheduler"),
    )


def parse_pod(f: Fields) -> Pod:
    return Pod(meta=parse_meta(f), spec=parse_pod_spec(f.map("spec", required=True)))


def parse_selector(f: Fields) -> LabelSelector:
    match_labels = tuple(sorted(f.str_map("matchLabels").items()))
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
        exprs.append(Requirement(e.str("key"), op, values))
    return LabelSelector(match_labels, tuple(exprs))


def parse_replicaset(f: Fields) -> ReplicaSet:
    meta = parse_meta(f)
    spec = f.map("spec", required=True)
    selector_f = spec.map("selector", required=True)
    selector = parse_selector(selector_f)
    if not selector.match_labels and not selector.match_expressions:
        raise selector_f.error(None, "must not be empty (apps/v1 requires a non-empty selector)")
    template = spec.map("template", required=True)
    tmeta = template.map("metadata")
    labels = FMap(tmeta.str_map("labels"))
    if not selector.matches(labels):
        raise template.error("metadata", f"labels {dict(labels)} do not match the selector {selector}")
    pod_spec = parse_pod_spec(template.map("spec", required=True))
    return ReplicaSet(
        meta=meta,
        spec=ReplicaSetSpec(
            selector=selector,
            template=PodTemplateSpec(labels=labels, spec=pod_spec),
            replicas=spec.int("replicas", 1, minimum=0),
            min_ready_seconds=spec.int("minReadySeconds", 0, minimum=0),
        ),
    )


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
    """A registered, Ready node as the kubelet posts it (``kubernetes.io/hostname`` label added)."""
    cap = dict(capacity)
    cap.setdefault("pods", DEFAULT_MAX_PODS)
    alloc = dict(allocatable) if allocatable is not None else dict(cap)
    alloc.setdefault("pods", cap["pods"])
    all_labels = {"kubernetes.io/hostname": name}
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
