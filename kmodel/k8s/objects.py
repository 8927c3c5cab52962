"""Frozen API objects: the subset of the Kubernetes API the model reads and writes.

Shapes follow ``staging/src/k8s.io/api/core/v1/types.go`` and ``apps/v1/types.go``; field names
are snake_case versions of the API's. Times are integer seconds of the model's logical clock.
Resource amounts are integers: cpu in millicores, memory and others in base units
(see ``kmodel.k8s.quantity``). Defaults are applied by ``kmodel.manifests`` when loading, as
``pkg/apis/core/v1/defaults.go`` and ``pkg/apis/apps/v1/defaults.go`` do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s import abstraction
from kmodel.k8s.labels import LabelSelector

Key = tuple[str, str, str]
"""(kind, namespace, name); namespace is "" for cluster-scoped kinds."""

ResourceList = FMap[str, int]

EMPTY_LABELS: FMap[str, str] = FMap()
EMPTY_RESOURCES: ResourceList = FMap()

READY = "Ready"
POD_SCHEDULED = "PodScheduled"
TAINT_UNREACHABLE = "node.kubernetes.io/unreachable"
TAINT_NOT_READY = "node.kubernetes.io/not-ready"
TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"


@attrs.frozen
class OwnerReference:
    api_version: str
    kind: str
    name: str
    uid: str
    controller: bool = False
    block_owner_deletion: bool = False


@abstraction.declare(
    fields={
        "resource_version": abstraction.REV,
        "creation_timestamp": abstraction.CREATED,
        "deletion_timestamp": abstraction.TIME,
    },
    plain={"generation", "deletion_grace_period_seconds"},
)
@attrs.frozen(cache_hash=True)
class ObjectMeta:
    name: str
    namespace: str = ""
    generate_name: str = ""
    uid: str = ""
    resource_version: int = 0
    generation: int = 0
    creation_timestamp: int = 0
    labels: FMap[str, str] = EMPTY_LABELS
    annotations: FMap[str, str] = EMPTY_LABELS
    owner_references: tuple[OwnerReference, ...] = ()
    finalizers: tuple[str, ...] = ()
    deletion_timestamp: int | None = None
    deletion_grace_period_seconds: int | None = None

    def controller_ref(self) -> OwnerReference | None:
        for ref in self.owner_references:
            if ref.controller:
                return ref
        return None


# time_added: never read (evictions are timed by NodeLifecycleLocal.evict_at)
@abstraction.declare(fields={"time_added": abstraction.OPAQUE})
@attrs.frozen
class Taint:
    key: str
    effect: str
    value: str = ""
    time_added: int | None = None


@abstraction.declare(plain={"toleration_seconds"})
@attrs.frozen
class Toleration:
    key: str = ""
    operator: str = "Equal"
    value: str = ""
    effect: str = ""
    toleration_seconds: int | None = None

    def tolerates(self, taint: Taint) -> bool:
        """``staging/src/k8s.io/api/core/v1/toleration.go: ToleratesTaint``."""
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        if self.operator == "Exists":
            return True
        return self.value == taint.value


@abstraction.declare(fields={"last_heartbeat_time": abstraction.HEARTBEAT})
@attrs.frozen
class Condition:
    type: str
    status: str
    reason: str = ""
    message: str = ""
    last_heartbeat_time: int | None = None


def condition(conditions: Iterable[Condition], ctype: str) -> Condition | None:
    for c in conditions:
        if c.type == ctype:
            return c
    return None


def set_condition(conditions: tuple[Condition, ...], new: Condition) -> tuple[Condition, ...]:
    out = [c for c in conditions if c.type != new.type]
    out.append(new)
    return tuple(sorted(out, key=lambda c: c.type))


class APIObject:
    """Base of the stored kinds; each has ``meta`` and class-level KIND/API_VERSION/NAMESPACED."""

    KIND: ClassVar[str]
    API_VERSION: ClassVar[str]
    NAMESPACED: ClassVar[bool] = True
    meta: ObjectMeta

    @property
    def key(self) -> Key:
        return (self.KIND, self.meta.namespace, self.meta.name)


@attrs.frozen
class NodeSpec:
    unschedulable: bool = False
    taints: tuple[Taint, ...] = ()


@abstraction.declare(plain={"capacity", "allocatable"})
@attrs.frozen
class NodeStatus:
    capacity: ResourceList = EMPTY_RESOURCES
    allocatable: ResourceList = EMPTY_RESOURCES
    conditions: tuple[Condition, ...] = ()


@attrs.frozen(cache_hash=True)
class Node(APIObject):
    KIND: ClassVar[str] = "Node"
    API_VERSION: ClassVar[str] = "v1"
    NAMESPACED: ClassVar[bool] = False
    meta: ObjectMeta
    spec: NodeSpec = NodeSpec()
    status: NodeStatus = NodeStatus()

    def ready_status(self) -> str:
        c = condition(self.status.conditions, READY)
        return c.status if c else "Unknown"


def repr_unless_default(obj: Any, late: tuple[str, ...]) -> str:
    """The attrs ``repr`` of ``obj`` without the fields ``late`` (added after recorded outputs
    existed) while they hold their defaults, so that the repr of every state of a scenario that
    does not use them (and the fingerprints recorded from it, ``kmodel.core.explore.fingerprint``)
    is what it was before they existed; a field off its default is shown, so two values that
    differ in it never share a repr (as ``ClusterState.__repr__`` does for ``lost``)."""
    shown = []
    for f in attrs.fields(type(obj)):
        value = getattr(obj, f.name)
        if f.name in late and value == f.default:
            continue
        shown.append(f"{f.name}={value!r}")
    return f"{type(obj).__name__}({', '.join(shown)})"


@abstraction.declare(
    plain={"readiness_initial_delay", "readiness_period", "readiness_success_threshold", "pre_stop_sleep", "requests"}
)
@attrs.frozen
class Container:
    name: str
    image: str = ""
    requests: ResourceList = EMPTY_RESOURCES
    # readinessProbe (``core/v1`` Probe; defaults from ``pkg/apis/core/v1/defaults.go: SetDefaults_Probe``):
    # None when the container declares no readiness probe.
    readiness_initial_delay: int | None = None
    readiness_period: int = 10
    readiness_success_threshold: int = 1
    # lifecycle.preStop: "" (none), "sleep" (``sleep.seconds`` = pre_stop_sleep), "exec" or "httpGet".
    pre_stop: str = ""
    pre_stop_sleep: int = 0


@attrs.frozen
class NodeSelectorRequirement:
    """``core/v1 NodeSelectorRequirement``: operator In, NotIn, Exists, DoesNotExist, Gt or Lt
    (``matchFields`` allow only In/NotIn on ``metadata.name``)."""

    key: str
    operator: str
    values: tuple[str, ...] = ()


@attrs.frozen
class NodeSelectorTerm:
    """``core/v1 NodeSelectorTerm``: its requirements are ANDed; a term with none matches no node."""

    match_expressions: tuple[NodeSelectorRequirement, ...] = ()
    match_fields: tuple[NodeSelectorRequirement, ...] = ()


@abstraction.declare(plain={"max_skew", "min_domains"})
@attrs.frozen
class TopologySpreadConstraint:
    """``core/v1 TopologySpreadConstraint``. ``label_selector`` None is a nil selector (matches no
    pod); ``min_domains`` None means unset (the scheduler treats it as 1). Node inclusion policies
    default to ``Honor`` (node affinity) and ``Ignore`` (taints), as the scheduler does when unset."""

    max_skew: int
    topology_key: str
    when_unsatisfiable: str
    label_selector: LabelSelector | None = None
    min_domains: int | None = None
    node_affinity_policy: str = "Honor"
    node_taints_policy: str = "Ignore"


@abstraction.declare(plain={"termination_grace_period_seconds", "run_seconds"})
@attrs.frozen
class PodSpec:
    containers: tuple[Container, ...] = ()
    init_containers: tuple[Container, ...] = ()
    node_name: str = ""
    node_selector: FMap[str, str] = EMPTY_LABELS
    tolerations: tuple[Toleration, ...] = ()
    restart_policy: str = "Always"
    termination_grace_period_seconds: int = 30
    scheduler_name: str = "default-scheduler"
    # spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms
    # (ORed); () when the pod has no required node affinity.
    affinity_required: tuple[NodeSelectorTerm, ...] = ()
    topology_spread_constraints: tuple[TopologySpreadConstraint, ...] = ()
    # kmodel's own, not an API field: how long the containers run before they exit 0 (the
    # annotation ``kmodel.io/run-seconds`` on the pod template; Job pods default to
    # ``JOB_RUN_SECONDS``); None: they run until stopped, as every pod did before Jobs were
    # modelled (``kmodel.k8s.controllers.kubelet``).
    run_seconds: int | None = None

    def __repr__(self) -> str:
        return repr_unless_default(self, ("run_seconds",))

    def requests(self) -> ResourceList:
        """``component-helpers/resource/helpers.go: PodRequests`` without sidecars or overhead:
        the elementwise max of the containers' sum and each init container."""
        total: dict[str, int] = {}
        for c in self.containers:
            for r, v in c.requests.items():
                total[r] = total.get(r, 0) + v
        for c in self.init_containers:
            for r, v in c.requests.items():
                total[r] = max(total.get(r, 0), v)
        return FMap(total)


# start_time: only None-checked and copied
@abstraction.declare(fields={"start_time": abstraction.OPAQUE}, plain={"restart_count"})
@attrs.frozen
class PodStatus:
    phase: str = "Pending"
    conditions: tuple[Condition, ...] = ()
    reason: str = ""
    message: str = ""
    restart_count: int = 0
    start_time: int | None = None


@attrs.frozen(cache_hash=True)
class Pod(APIObject):
    KIND: ClassVar[str] = "Pod"
    API_VERSION: ClassVar[str] = "v1"
    meta: ObjectMeta
    spec: PodSpec = PodSpec()
    status: PodStatus = PodStatus()

    def is_terminal(self) -> bool:
        return self.status.phase in ("Succeeded", "Failed")

    def is_active(self) -> bool:
        """``pkg/controller/controller_utils.go: IsPodActive``."""
        return not self.is_terminal() and self.meta.deletion_timestamp is None

    def is_ready(self) -> bool:
        c = condition(self.status.conditions, READY)
        return c is not None and c.status == "True"


@attrs.frozen
class PodTemplateSpec:
    labels: FMap[str, str] = EMPTY_LABELS
    spec: PodSpec = PodSpec()


@abstraction.declare(plain={"replicas", "min_ready_seconds"})
@attrs.frozen
class ReplicaSetSpec:
    selector: LabelSelector
    template: PodTemplateSpec
    replicas: int = 1
    min_ready_seconds: int = 0


@abstraction.declare(
    plain={"replicas", "fully_labeled_replicas", "ready_replicas", "available_replicas", "observed_generation"}
)
@attrs.frozen
class ReplicaSetStatus:
    replicas: int = 0
    fully_labeled_replicas: int = 0
    ready_replicas: int = 0
    available_replicas: int = 0
    observed_generation: int = 0


@attrs.frozen(cache_hash=True)
class ReplicaSet(APIObject):
    KIND: ClassVar[str] = "ReplicaSet"
    API_VERSION: ClassVar[str] = "apps/v1"
    meta: ObjectMeta
    spec: ReplicaSetSpec
    status: ReplicaSetStatus = ReplicaSetStatus()


@attrs.frozen(cache_hash=True)
class ReplicationController(APIObject):
    """A ``v1`` ReplicationController, held in ReplicaSet form: upstream's replication manager
    is the ReplicaSet controller over a conversion layer (``pkg/controller/replication/
    conversion.go``: the RC's map selector becomes ``matchLabels``, its spec and status carry
    over field for field), so kmodel stores the converted spec and status under the RC's own
    kind and apiVersion."""

    KIND: ClassVar[str] = "ReplicationController"
    API_VERSION: ClassVar[str] = "v1"
    meta: ObjectMeta
    spec: ReplicaSetSpec
    status: ReplicaSetStatus = ReplicaSetStatus()


Replicated = ReplicaSet | ReplicationController
"""What the ReplicaSet controller's code path manages: a ReplicaSet, or a ReplicationController
for the replication manager that wraps it."""


@abstraction.declare(
    fields={"renew_time": abstraction.RENEW, "acquire_time": abstraction.RENEW},
    plain={"lease_duration_seconds", "lease_transitions"},
)
@attrs.frozen
class Lease(APIObject):
    """``coordination.k8s.io/v1`` Lease (``LeaseSpec``); the kubelet's node heartbeat lives in
    ``kube-node-lease``, leader-election locks (``kmodel.k8s.leaderelection``) in ``kube-system``.
    ``acquire_time`` and ``lease_transitions`` are only set by leader election
    (``client-go/tools/leaderelection/resourcelock/leaselock.go: LeaderElectionRecordToLeaseSpec``);
    their defaults leave node leases as they were."""

    KIND: ClassVar[str] = "Lease"
    API_VERSION: ClassVar[str] = "coordination.k8s.io/v1"
    meta: ObjectMeta
    holder_identity: str = ""
    lease_duration_seconds: int = 40
    renew_time: int | None = None
    acquire_time: int | None = None
    lease_transitions: int = 0


@abstraction.declare(fields={"last_update_time": abstraction.TIME, "last_transition_time": abstraction.TIME})
@attrs.frozen
class DeploymentCondition:
    """``apps/v1`` DeploymentCondition (Progressing, Available); times are model-clock seconds."""

    type: str
    status: str
    reason: str = ""
    message: str = ""
    last_update_time: int = 0
    last_transition_time: int = 0


@abstraction.declare(
    plain={
        "replicas",
        "max_surge",
        "max_unavailable",
        "revision_history_limit",
        "progress_deadline_seconds",
        "min_ready_seconds",
    }
)
@attrs.frozen
class DeploymentSpec:
    """``apps/v1`` DeploymentSpec with ``SetDefaults_Deployment`` defaults. ``max_surge`` and
    ``max_unavailable`` are IntOrString (an int or a ``"25%"`` string); both are None when the
    strategy is Recreate (it has no ``rollingUpdate``). ``progress_deadline_seconds`` of
    2147483647 (MaxInt32) means no deadline, as upstream."""

    selector: LabelSelector
    template: PodTemplateSpec
    replicas: int = 1
    strategy_type: str = "RollingUpdate"  # or "Recreate"
    max_surge: int | str | None = "25%"
    max_unavailable: int | str | None = "25%"
    revision_history_limit: int = 10
    progress_deadline_seconds: int = 600
    min_ready_seconds: int = 0
    paused: bool = False


@abstraction.declare(
    plain={
        "observed_generation",
        "replicas",
        "updated_replicas",
        "ready_replicas",
        "available_replicas",
        "unavailable_replicas",
        "collision_count",
    }
)
@attrs.frozen
class DeploymentStatus:
    observed_generation: int = 0
    replicas: int = 0
    updated_replicas: int = 0
    ready_replicas: int = 0
    available_replicas: int = 0
    unavailable_replicas: int = 0
    conditions: tuple[DeploymentCondition, ...] = ()
    collision_count: int | None = None


@attrs.frozen
class Deployment(APIObject):
    KIND: ClassVar[str] = "Deployment"
    API_VERSION: ClassVar[str] = "apps/v1"
    meta: ObjectMeta
    spec: DeploymentSpec
    status: DeploymentStatus = DeploymentStatus()


@abstraction.declare(plain={"replicas", "partition", "min_ready_seconds", "revision_history_limit"})
@attrs.frozen
class StatefulSetSpec:
    """``apps/v1`` StatefulSetSpec with ``SetDefaults_StatefulSet`` defaults
    (``pkg/apis/apps/v1/defaults.go``): replicas 1, podManagementPolicy ``OrderedReady``,
    updateStrategy ``RollingUpdate`` with partition 0, revisionHistoryLimit 10. ``service_name``
    is the governing (headless) Service; the model keeps it but has no DNS."""

    selector: LabelSelector
    template: PodTemplateSpec
    replicas: int = 1
    service_name: str = ""
    pod_management_policy: str = "OrderedReady"  # or "Parallel"
    update_strategy_type: str = "RollingUpdate"  # or "OnDelete"
    partition: int = 0
    min_ready_seconds: int = 0
    revision_history_limit: int = 10


@abstraction.declare(
    plain={
        "observed_generation",
        "replicas",
        "ready_replicas",
        "current_replicas",
        "updated_replicas",
        "available_replicas",
    }
)
@attrs.frozen
class StatefulSetStatus:
    observed_generation: int = 0
    replicas: int = 0
    ready_replicas: int = 0
    current_replicas: int = 0
    updated_replicas: int = 0
    available_replicas: int = 0


@attrs.frozen
class StatefulSet(APIObject):
    KIND: ClassVar[str] = "StatefulSet"
    API_VERSION: ClassVar[str] = "apps/v1"
    meta: ObjectMeta
    spec: StatefulSetSpec
    status: StatefulSetStatus = StatefulSetStatus()


@abstraction.declare(plain={"max_surge", "max_unavailable", "min_ready_seconds", "revision_history_limit"})
@attrs.frozen
class DaemonSetSpec:
    """``apps/v1`` DaemonSetSpec with ``SetDefaults_DaemonSet`` defaults (``pkg/apis/apps/v1/
    defaults.go``, Kubernetes 1.34): updateStrategy ``RollingUpdate`` with maxUnavailable 1 and
    maxSurge 0, revisionHistoryLimit 10. ``max_surge`` and ``max_unavailable`` are IntOrString
    (an int or a ``"N%"`` string); both None for ``OnDelete`` (it has no ``rollingUpdate``)."""

    selector: LabelSelector
    template: PodTemplateSpec
    update_strategy_type: str = "RollingUpdate"  # or "OnDelete"
    max_unavailable: int | str | None = 1
    max_surge: int | str | None = 0
    min_ready_seconds: int = 0
    revision_history_limit: int = 10


@abstraction.declare(
    plain={
        "current_number_scheduled",
        "number_misscheduled",
        "desired_number_scheduled",
        "number_ready",
        "observed_generation",
        "updated_number_scheduled",
        "number_available",
        "number_unavailable",
    }
)
@attrs.frozen
class DaemonSetStatus:
    current_number_scheduled: int = 0
    number_misscheduled: int = 0
    desired_number_scheduled: int = 0
    number_ready: int = 0
    observed_generation: int = 0
    updated_number_scheduled: int = 0
    number_available: int = 0
    number_unavailable: int = 0


@attrs.frozen
class DaemonSet(APIObject):
    KIND: ClassVar[str] = "DaemonSet"
    API_VERSION: ClassVar[str] = "apps/v1"
    meta: ObjectMeta
    spec: DaemonSetSpec
    status: DaemonSetStatus = DaemonSetStatus()


@abstraction.declare(plain={"port", "target_port"})
@attrs.frozen
class ServicePort:
    """``core/v1`` ServicePort. ``target_port`` defaults to ``port`` (``SetDefaults_Service``); a named
    target port is kept by name (container ports are not modelled)."""

    port: int
    target_port: int | str
    name: str = ""
    protocol: str = "TCP"


CLUSTER_IP_NONE = "None"  # v1.ClusterIPNone: a headless Service


@attrs.frozen
class ServiceSpec:
    """``core/v1`` ServiceSpec (type ClusterIP). ``selector`` None: the Service has no selector and
    gets no EndpointSlices from the controller. ``cluster_ip`` "" until the API server allocates one;
    ``"None"`` for a headless Service."""

    selector: FMap[str, str] | None = None
    cluster_ip: str = ""
    ports: tuple[ServicePort, ...] = ()
    publish_not_ready_addresses: bool = False

    def headless(self) -> bool:
        return self.cluster_ip == CLUSTER_IP_NONE


@attrs.frozen
class Service(APIObject):
    KIND: ClassVar[str] = "Service"
    API_VERSION: ClassVar[str] = "v1"
    meta: ObjectMeta
    spec: ServiceSpec = ServiceSpec()


@attrs.frozen
class EndpointConditions:
    """``discovery.k8s.io/v1`` EndpointConditions (all set by the EndpointSlice controller)."""

    ready: bool
    serving: bool
    terminating: bool


@attrs.frozen
class Endpoint:
    """``discovery.k8s.io/v1`` Endpoint: its addresses, conditions, node and ``targetRef`` (a Pod,
    by name and uid)."""

    addresses: tuple[str, ...]
    conditions: EndpointConditions
    node_name: str
    pod_name: str
    pod_uid: str


@abstraction.declare(plain={"port"})
@attrs.frozen
class EndpointPort:
    name: str
    port: int | str
    protocol: str = "TCP"


@attrs.frozen
class EndpointSlice(APIObject):
    """``discovery.k8s.io/v1`` EndpointSlice (``addressType`` IPv4 only)."""

    KIND: ClassVar[str] = "EndpointSlice"
    API_VERSION: ClassVar[str] = "discovery.k8s.io/v1"
    meta: ObjectMeta
    address_type: str = "IPv4"
    endpoints: tuple[Endpoint, ...] = ()
    ports: tuple[EndpointPort, ...] = ()


HPA_SELECT_POLICIES = ("Max", "Min", "Disabled")
HPA_POLICY_TYPES = ("Pods", "Percent")


@abstraction.declare(plain={"value", "period_seconds"})
@attrs.frozen
class HPAScalingPolicy:
    """``autoscaling/v2`` HPAScalingPolicy: at most ``value`` pods (``Pods``) or percent
    (``Percent``) of change within ``period_seconds``."""

    type: str
    value: int
    period_seconds: int


@abstraction.declare(plain={"stabilization_window_seconds"})
@attrs.frozen
class HPAScalingRules:
    """``autoscaling/v2`` HPAScalingRules, defaulted (``pkg/apis/autoscaling/v2/defaults.go:
    GenerateHPAScaleUpRules`` / ``GenerateHPAScaleDownRules``). ``stabilization_window_seconds``
    None (scale-down only) means the controller's ``--horizontal-pod-autoscaler-downscale-
    stabilization`` (300s), filled in at sync time (``maybeInitScaleDownStabilizationWindow``)."""

    stabilization_window_seconds: int | None
    select_policy: str = "Max"
    policies: tuple[HPAScalingPolicy, ...] = ()


@attrs.frozen
class HPABehavior:
    scale_up: HPAScalingRules
    scale_down: HPAScalingRules


@abstraction.declare(plain={"max_replicas", "min_replicas", "target_utilization", "other_metrics"})
@attrs.frozen
class HorizontalPodAutoscalerSpec:
    """``autoscaling/v2`` HorizontalPodAutoscalerSpec evaluating one ``Resource`` metric ``cpu``
    with an ``averageUtilization`` target (``SetDefaults_HorizontalPodAutoscaler``: minReplicas 1;
    no metrics → cpu at ``DefaultCPUUtilization`` = 80%); None when the HPA has no such metric.
    ``behavior`` None: the controller's legacy path (``normalizeDesiredReplicas``).
    ``other_metrics``: the spec's other metrics, frozen (``freeze``), carried but not evaluated."""

    target_kind: str
    target_name: str
    max_replicas: int
    min_replicas: int = 1
    target_utilization: int | None = 80
    behavior: HPABehavior | None = None
    other_metrics: tuple[Any, ...] = ()

    def not_evaluated(self) -> tuple[str, ...]:
        """One line per metric the model does not evaluate: ``memory Resource (Utilization 70)``."""
        return tuple(describe_metric(m) for m in self.other_metrics)


def describe_metric(metric: Any) -> str:
    """``Pods packets-per-second (AverageValue 1k)`` for a frozen ``autoscaling/v2`` MetricSpec."""
    mtype = metric.get("type", "")
    source = next((v for k, v in metric.items() if k != "type" and isinstance(v, FMap)), FMap())
    name = source.get("name")
    if name is None and isinstance(source.get("metric"), FMap):
        name = source["metric"].get("name")
    target = source.get("target") if isinstance(source.get("target"), FMap) else FMap()
    ttype = target.get("type", "")
    amount = {"Utilization": "averageUtilization", "AverageValue": "averageValue", "Value": "value"}.get(ttype, "")
    container = f" of container {source['container']}" if "container" in source else ""
    return f"{name or '?'} {mtype}{container} ({ttype} {target.get(amount, '?')})"


@abstraction.declare(fields={"last_scale_time": abstraction.TIME}, plain={"current_replicas", "desired_replicas"})
@attrs.frozen
class HorizontalPodAutoscalerStatus:
    current_replicas: int = 0
    desired_replicas: int = 0
    last_scale_time: int | None = None


@attrs.frozen
class HorizontalPodAutoscaler(APIObject):
    KIND: ClassVar[str] = "HorizontalPodAutoscaler"
    API_VERSION: ClassVar[str] = "autoscaling/v2"
    meta: ObjectMeta
    spec: HorizontalPodAutoscalerSpec
    status: HorizontalPodAutoscalerStatus = HorizontalPodAutoscalerStatus()


@abstraction.declare(plain={"cpu"})
@attrs.frozen
class WorkloadLoad(APIObject):
    """kmodel's metrics-server stand-in: the total CPU demand (millicores) of a workload's pods.

    Kubelets do not model CPU usage, so the load is a scenario input the user op ``setLoad`` moves
    (``kmodel.k8s.userops``). It is its own object rather than an annotation on the workload
    because a Deployment copies its annotations to its ReplicaSets, and changing the load must
    not look like a change of the workload. The demand is served to the HPA as pod metrics
    (``kmodel.k8s.controllers.hpa.pod_samples``): split evenly over the workload's Running and
    Ready pods (those that get traffic); Running but unready pods use 0. Named
    ``<kind>-<name>`` in lower case (``deployment-web``)."""

    KIND: ClassVar[str] = "WorkloadLoad"
    API_VERSION: ClassVar[str] = "kmodel.io/v1"
    meta: ObjectMeta
    target_kind: str = ""
    target_name: str = ""
    cpu: int = 0


def load_name(kind: str, name: str) -> str:
    return f"{kind.lower()}-{name}"


UNHEALTHY_POD_EVICTION_POLICIES = ("IfHealthyBudget", "AlwaysAllow")


@abstraction.declare(plain={"min_available", "max_unavailable"})
@attrs.frozen
class PodDisruptionBudgetSpec:
    """``policy/v1`` PodDisruptionBudgetSpec (``staging/src/k8s.io/api/policy/v1/types.go``).

    ``selector`` None is a null selector, which selects no pods; an empty selector (``{}``) selects
    every pod of the namespace in policy/v1. ``min_available`` and ``max_unavailable`` are
    IntOrString (an int or ``"N%"``), at most one of them set; ``unhealthy_pod_eviction_policy`` ""
    means unset, which the eviction API treats as ``IfHealthyBudget``."""

    selector: LabelSelector | None = None
    min_available: int | str | None = None
    max_unavailable: int | str | None = None
    unhealthy_pod_eviction_policy: str = ""

    def selects(self, pod: Pod) -> bool:
        return self.selector is not None and self.selector.matches(pod.meta.labels)


@abstraction.declare(
    fields={"disrupted_pods": abstraction.TIME_VALUES},
    plain={"observed_generation", "current_healthy", "desired_healthy", "disruptions_allowed", "expected_pods"},
)
@attrs.frozen
class PodDisruptionBudgetStatus:
    """``policy/v1`` PodDisruptionBudgetStatus. ``disrupted_pods`` maps a pod name to the time the
    eviction API approved its eviction (the model clock); conditions are not modelled."""

    observed_generation: int = 0
    disrupted_pods: FMap[str, int] = FMap()
    disruptions_allowed: int = 0
    current_healthy: int = 0
    desired_healthy: int = 0
    expected_pods: int = 0


@attrs.frozen
class PodDisruptionBudget(APIObject):
    KIND: ClassVar[str] = "PodDisruptionBudget"
    API_VERSION: ClassVar[str] = "policy/v1"
    meta: ObjectMeta
    spec: PodDisruptionBudgetSpec = PodDisruptionBudgetSpec()
    status: PodDisruptionBudgetStatus = PodDisruptionBudgetStatus()


Frozen = Any
"""Plain data made immutable by ``freeze``: FMap for mappings, tuples for lists, scalars."""


def freeze(value: Any, where: str = "value") -> Frozen:
    """Plain data (dicts, lists, str, int, float, bool, None) → hashable, deterministic data:
    mappings become ``FMap`` (iterating in key order), lists become tuples. Keys must be strings
    (as in JSON and Kubernetes objects). ``where`` names the value in errors (``TypeError``)."""
    if isinstance(value, FMap):
        return value
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{where}: keys must be strings, got {k!r}")
            out[k] = freeze(v, f"{where}.{k}")
        return FMap(out)
    if isinstance(value, list | tuple):
        return tuple(freeze(v, f"{where}[{i}]") for i, v in enumerate(value))
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"{where}: expected plain data (mappings, lists, strings, numbers), got {type(value).__name__}")


def thaw(value: Frozen) -> Any:
    """The inverse of ``freeze``: FMap → dict, tuple → list (new, mutable copies)."""
    if isinstance(value, FMap):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


EMPTY_DATA: FMap[str, Any] = FMap()


@attrs.frozen(cache_hash=True)
class GenericObject(APIObject):
    """An object of a kind kmodel does not model itself: a custom resource (``Database``) or an
    unmodelled built-in a user controller manages (``Secret``, ``ConfigMap``). Like client-go's
    ``unstructured.Unstructured`` (``staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/
    unstructured/unstructured.go``), it is apiVersion, kind, metadata and free-form data; here
    ``spec`` and ``status`` are frozen (``freeze``): read-only mappings iterating in key order,
    lists as tuples, so the object is hashable and deterministic. ``thaw(obj.spec)`` gives a
    plain dict. Other top-level fields (``data`` of a Secret) go in ``spec``.

    The store treats it like any other object: ``update`` changes everything but ``status`` and
    bumps ``metadata.generation`` when ``spec`` changes, ``update_status`` changes only
    ``status`` (the ``/status`` subresource of a CRD with ``subresources.status``), and a delete
    removes it at once unless it has finalizers.
    """

    api_version: str
    kind: str
    meta: ObjectMeta
    spec: FMap[str, Any] = attrs.field(default=EMPTY_DATA, converter=lambda v: freeze(v, "spec"))
    status: FMap[str, Any] = attrs.field(default=EMPTY_DATA, converter=lambda v: freeze(v, "status"))

    @property  # type: ignore[misc]
    def KIND(self) -> str:  # type: ignore[override]  # noqa: N802 (what every stored kind has)
        return self.kind

    @property  # type: ignore[misc]
    def API_VERSION(self) -> str:  # type: ignore[override]  # noqa: N802
        return self.api_version

    def evolve(
        self,
        *,
        spec: Any = None,
        status: Any = None,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
    ) -> GenericObject:
        """A copy with the given parts replaced (plain dicts are frozen); ``None`` keeps a part."""
        meta = self.meta
        if labels is not None:
            meta = attrs.evolve(meta, labels=FMap(labels))
        if annotations is not None:
            meta = attrs.evolve(meta, annotations=FMap(annotations))
        return attrs.evolve(
            self,
            meta=meta,
            spec=self.spec if spec is None else spec,
            status=self.status if status is None else status,
        )


JOB_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"  # batch.JobTrackingFinalizer
JOB_COMPLETE = "Complete"
JOB_FAILED = "Failed"
JOB_SUSPENDED = "Suspended"
POD_FAILURE_ACTIONS = ("FailJob", "Ignore", "Count")  # FailIndex needs backoffLimitPerIndex: not modelled


@abstraction.declare(plain={"exit_values"})
@attrs.frozen
class PodFailurePolicyRule:
    """``batch/v1`` PodFailurePolicyRule: ``action`` when the rule matches a failed pod, either on
    the exit codes of its containers (``exit_operator`` In/NotIn over ``exit_values``, of the
    container ``container_name`` or any) or on its conditions (``pod_conditions``: (type,
    status) pairs, any of which matches)."""

    action: str
    exit_operator: str = ""
    exit_values: tuple[int, ...] = ()
    container_name: str = ""
    pod_conditions: tuple[tuple[str, str], ...] = ()


@abstraction.declare(plain={"parallelism", "completions", "backoff_limit", "active_deadline_seconds"})
@attrs.frozen
class JobSpec:
    """``batch/v1`` JobSpec with ``pkg/apis/batch/v1/defaults.go: SetDefaults_Job`` (Kubernetes
    1.34): completions and parallelism 1 when both are unset (``completions`` None: a work-queue
    Job, complete once any pod succeeded), backoffLimit 6, completionMode NonIndexed, suspend
    false, manualSelector false, podReplacementPolicy TerminatingOrFailed (Failed with a
    podFailurePolicy). ``selector`` is the generated ``batch.kubernetes.io/controller-uid``
    selector unless ``manual_selector``; the generated one is filled in at load time from the
    uid the store gives the Job (``kmodel.k8s.controllers.job.generated_selector``)."""

    selector: LabelSelector | None  # None until the store generates it (no manualSelector)
    template: PodTemplateSpec
    parallelism: int = 1
    completions: int | None = 1
    backoff_limit: int = 6
    active_deadline_seconds: int | None = None
    suspend: bool = False
    manual_selector: bool = False
    completion_mode: str = "NonIndexed"
    pod_replacement_policy: str = "TerminatingOrFailed"
    pod_failure_policy: tuple[PodFailurePolicyRule, ...] | None = None


@abstraction.declare(
    fields={"start_time": abstraction.TIME, "completion_time": abstraction.OPAQUE},
    plain={"active", "succeeded", "failed", "terminating", "ready"},
)
@attrs.frozen
class JobStatus:
    """``batch/v1`` JobStatus; ``uncounted_succeeded``/``uncounted_failed`` are
    ``uncountedTerminatedPods`` (pod uids), the half-way record of the finalizer-based tracking
    (``pkg/controller/job/job_controller.go: trackJobStatusAndRemoveFinalizers``)."""

    conditions: tuple[Condition, ...] = ()
    start_time: int | None = None
    completion_time: int | None = None
    active: int = 0
    succeeded: int = 0
    failed: int = 0
    terminating: int = 0
    ready: int = 0
    uncounted_succeeded: tuple[str, ...] = ()
    uncounted_failed: tuple[str, ...] = ()


@attrs.frozen(cache_hash=True)
class Job(APIObject):
    KIND: ClassVar[str] = "Job"
    API_VERSION: ClassVar[str] = "batch/v1"
    meta: ObjectMeta
    spec: JobSpec
    status: JobStatus = JobStatus()

    def finished(self) -> str | None:
        """``pkg/controller/job/util/utils.go: IsJobFinished``: the type of its true Complete or
        Failed condition, else None."""
        for c in self.status.conditions:
            if c.type in (JOB_COMPLETE, JOB_FAILED) and c.status == "True":
                return c.type
        return None


@abstraction.declare(plain={"starting_deadline_seconds", "successful_jobs_history_limit", "failed_jobs_history_limit"})
@attrs.frozen
class CronJobSpec:
    """``batch/v1`` CronJobSpec with ``SetDefaults_CronJob`` (concurrencyPolicy Allow, suspend
    false, successfulJobsHistoryLimit 3, failedJobsHistoryLimit 1). ``job_template`` is
    ``jobTemplate.spec`` (its selector is generated per Job), ``job_labels`` its labels."""

    schedule: str
    job_template: JobSpec
    job_labels: FMap[str, str] = EMPTY_LABELS
    concurrency_policy: str = "Allow"
    suspend: bool = False
    starting_deadline_seconds: int | None = None
    successful_jobs_history_limit: int = 3
    failed_jobs_history_limit: int = 1


@attrs.frozen
class JobReference:
    """An ``ObjectReference`` in ``CronJobStatus.active``: the Job's name and uid."""

    name: str
    uid: str


@abstraction.declare(fields={"last_schedule_time": abstraction.TIME, "last_successful_time": abstraction.OPAQUE})
@attrs.frozen
class CronJobStatus:
    active: tuple[JobReference, ...] = ()
    last_schedule_time: int | None = None
    last_successful_time: int | None = None


@attrs.frozen(cache_hash=True)
class CronJob(APIObject):
    KIND: ClassVar[str] = "CronJob"
    API_VERSION: ClassVar[str] = "batch/v1"
    meta: ObjectMeta
    spec: CronJobSpec
    status: CronJobStatus = CronJobStatus()


KINDS: Mapping[str, type[Any]] = {
    k.KIND: k
    for k in (
        Node,
        Pod,
        ReplicaSet,
        Lease,
        Deployment,
        StatefulSet,
        Service,
        EndpointSlice,
        HorizontalPodAutoscaler,
        WorkloadLoad,
        PodDisruptionBudget,
        DaemonSet,
        Job,
        CronJob,
    )
}
