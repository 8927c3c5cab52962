"""A simple cluster autoscaler: scale-up of node groups for unschedulable pods, scale-down of
empty group nodes.

A simplification of kubernetes/autoscaler ``cluster-autoscaler/core/static_autoscaler.go:
RunOnce``: it lists the pods the scheduler marked ``PodScheduled=False`` reason
``Unschedulable``, drops those that would fit on an existing node as it is
(``filterOutSchedulable``: the scheduler will place them), and for the rest picks the first node
group (by name; upstream's default expander is ``random``) whose template node would admit the
pod and that is below its ``max`` size; it then asks the group for one more node
(``scaleUp`` → ``IncreaseSize``). The new node registers after ``PROVISION_SECONDS`` = 30s (a
cloud provider's provisioning time; kmodel's choice, upstream has no such constant) and its
kubelet starts then (``kmodel.k8s.cluster.ClusterModel`` brings the group's pre-registered,
dormant kubelet up and creates its Lease, which the kubelet does on registration upstream).

Simplifications: one node is requested at a time per group, and none while one is being
provisioned (upstream estimates the number of nodes for all pending pods by bin-packing and
counts upcoming nodes); the template is checked with the scheduler's filters on an empty node.

Scale-down mirrors ``cluster-autoscaler/core/scaledown`` (``planner.UpdateClusterState`` keeps
``unneeded.Nodes``: since when each node has been unneeded, on the autoscaler's own clock) and
``core/static_autoscaler.go: RunOnce`` (``scaleDownInCooldown``): a node of a node group (and
only such a node: it carries ``GROUP_LABEL``) is *unneeded* while it holds no pod other than
DaemonSet pods and terminal pods — the simple model's reading of "its pods could move
elsewhere" (upstream simulates rescheduling them; kmodel only removes empty nodes, upstream's
``ScaleDownNodeProcessor`` "empty node" fast path). Once a node has been unneeded for
``--scale-down-unneeded-time`` (``UNNEEDED_SECONDS`` = 10m) and no scale-up happened in the last
``--scale-down-delay-after-add`` (``DELAY_AFTER_ADD_SECONDS`` = 10m), and the group stays at or
above its ``min`` size (``MinSize``, checked per group by ``scaledown/eligibility`` and the
actuator's budget), the actuator taints the node ``ToBeDeletedByClusterAutoscaler:NoSchedule``
(``utils/taints: MarkToBeDeleted``, so the scheduler stops placing pods there) and on a later
loop, if it is still empty, deletes it (upstream asks the cloud provider to delete the VM and the
cloud node lifecycle controller removes the Node; kmodel deletes the Node object directly). A
tainted node that got a pod meanwhile is untainted (``CleanToBeDeleted``). When the Node is gone
its kubelet stops (``kmodel.k8s.steps.reconcile.join_nodes``). Scale-down is not attempted
while a node is being provisioned. Not modelled: draining non-empty nodes, utilization
thresholds, ``--scale-down-delay-after-delete``/``-failure``, backoff after failed scale-ups, and
``--max-node-provision-time`` (15m).

Sources checked: the two 10m defaults and the rule "a node is unneeded for a significant amount
of time" (``cluster-autoscaler/FAQ.md``, "How does scale-down work?"; the cooldown after a
scale-up as ``lastScaleUpTS + scale-down-delay-after-add``). The function names above
(``planner.UpdateClusterState``, ``scaleDownInCooldown``, ``MarkToBeDeleted``,
``CleanToBeDeleted``, ``ScaleDownNodeProcessor``) are from the upstream tree as remembered, not
re-read for this model: check them before relying on them.
"""

from __future__ import annotations

from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s import abstraction
from kmodel.k8s.controllers.kubelet import Kubelet
from kmodel.k8s.informers import Component, ComponentSpec, View
from kmodel.k8s.objects import POD_SCHEDULED, Node, Pod, Taint, condition
from kmodel.k8s.store import Request, Result

NAME = "cluster-autoscaler"
PROVISION_SECONDS = 30
GROUP_LABEL = "kmodel.io/node-group"
UNNEEDED_SECONDS = 600  # --scale-down-unneeded-time (cluster-autoscaler main.go default 10m)
DELAY_AFTER_ADD_SECONDS = 600  # --scale-down-delay-after-add (default 10m)
TO_BE_DELETED = "ToBeDeletedByClusterAutoscaler"  # utils/taints/taints.go ToBeDeletedTaint


@attrs.frozen
class NodeGroup:
    """``spec.nodeGroups[i]``: a name, min and max size, and the template its nodes are made from."""

    name: str
    min_size: int
    max_size: int
    capacity: FMap[str, int]
    labels: FMap[str, str] = FMap()
    taints: tuple[Taint, ...] = ()

    def node_names(self) -> tuple[str, ...]:
        return tuple(f"{self.name}-{i}" for i in range(1, self.max_size + 1))

    def template(self, name: str) -> Node:
        from kmodel.manifests import make_node

        labels = {**dict(self.labels), GROUP_LABEL: self.name}
        return make_node(name, self.capacity, None, labels, self.taints)


def is_unschedulable(pod: Pod) -> bool:
    c = condition(pod.status.conditions, POD_SCHEDULED)
    return (
        c is not None
        and c.status == "False"
        and c.reason == "Unschedulable"
        and not pod.spec.node_name
        and pod.is_active()
    )


def fits_template(pod: Pod, group: NodeGroup) -> bool:
    """Whether the pod passes the scheduler's filters on an empty node of the group."""
    from kmodel.k8s.controllers.scheduler import EMPTY_NODE_INFO, filter_node

    return not filter_node(pod, group.template(f"{group.name}-template"), EMPTY_NODE_INFO)


def fits_existing(pod: Pod, pods: list[Pod], nodes: list[Node]) -> bool:
    """``filterOutSchedulable``: the pod fits a node as the cluster is now."""
    from kmodel.k8s.controllers.scheduler import diagnose, node_usage

    by_ref = {(p.meta.namespace, p.meta.name): p for p in pods}
    failures = diagnose(pod, nodes, node_usage(pods, FMap(), by_ref)).failures
    return len(failures) < len(nodes)


def blocks_scale_down(pod: Pod, node: str) -> bool:
    """Whether the pod keeps its node needed: bound there, not terminal, not a DaemonSet's
    (``simulator/drain.go``: DaemonSet and mirror pods are not moved, they go with the node)."""
    if pod.spec.node_name != node or pod.status.phase in ("Succeeded", "Failed"):
        return False
    return not any(ref.kind == "DaemonSet" and ref.controller for ref in pod.meta.owner_references)


@abstraction.declare(
    fields={
        "provisioning": abstraction.MAPPED_VALUE_TIMES,
        "unneeded": abstraction.TIME_VALUES,
        "last_scale_up": abstraction.TIME,
    }
)
@attrs.frozen
class AutoscalerLocal:
    provisioning: FMap[str, tuple[str, int]] = FMap()  # node name → (group, registers at)
    unneeded: FMap[str, int] = FMap()  # group node → unneeded since (own clock)
    last_scale_up: int | None = None  # when the last scale-up was asked for (own clock)


@attrs.frozen
class ClusterAutoscaler(Component):
    name: str = NAME
    groups: tuple[NodeGroup, ...] = ()

    def watches(self, obj: Any) -> bool:
        return isinstance(obj, Pod | Node)

    def initial_local(self) -> AutoscalerLocal:
        return AutoscalerLocal()

    def reconcile(self, local: AutoscalerLocal, view: View) -> tuple[AutoscalerLocal, list[Request]]:
        now = view.now
        for node_name, (group_name, at) in local.provisioning.items():
            if now >= at:
                group = next(g for g in self.groups if g.name == group_name)
                node = group.template(node_name)
                return local, [Request("create", node.key, node, tag=("ca-node", node_name))]
        nodes = list(view.list("Node"))
        pods = list(view.list("Pod"))
        pending = sorted(
            (p for p in pods if is_unschedulable(p)), key=lambda p: (p.meta.creation_timestamp, p.meta.name)
        )
        for pod in pending:
            if fits_existing(pod, pods, nodes):
                continue
            for group in self.groups:
                if any(g == group.name for g, _ in local.provisioning.values()):
                    break  # one node at a time per group
                existing = {n.meta.name for n in nodes}
                free = [n for n in group.node_names() if n not in existing]
                if not free or not fits_template(pod, group):
                    continue
                prov = local.provisioning.set(free[0], (group.name, now + PROVISION_SECONDS))
                return attrs.evolve(local, provisioning=prov, last_scale_up=now), []
        return self._scale_down(local, now, nodes, pods)

    def _scale_down(
        self, local: AutoscalerLocal, now: int, nodes: list[Node], pods: list[Pod]
    ) -> tuple[AutoscalerLocal, list[Request]]:
        """Track unneeded group nodes; taint, then delete, those unneeded for 10 minutes."""
        groups = {g.name: g for g in self.groups}
        mine = sorted(
            (n for n in nodes if n.meta.labels.get(GROUP_LABEL) in groups and n.meta.deletion_timestamp is None),
            key=lambda n: n.meta.name,
        )
        empty = {n.meta.name for n in mine if not any(blocks_scale_down(p, n.meta.name) for p in pods)}
        unneeded = FMap((n.meta.name, local.unneeded.get(n.meta.name, now)) for n in mine if n.meta.name in empty)
        local = attrs.evolve(local, unneeded=unneeded)
        reqs: list[Request] = []
        for node in mine:  # a tainted node that is needed again: CleanToBeDeleted
            if node.meta.name not in empty and _tainted(node):
                taints = tuple(t for t in node.spec.taints if t.key != TO_BE_DELETED)
                reqs.append(_update_taints(node, taints))
        cooldown = local.last_scale_up is not None and now < local.last_scale_up + DELAY_AFTER_ADD_SECONDS
        if reqs or cooldown or local.provisioning:
            return local, reqs
        for group in self.groups:
            size = sum(1 for n in mine if n.meta.labels[GROUP_LABEL] == group.name)
            for node in mine:
                if size <= group.min_size:
                    break
                name = node.meta.name
                if node.meta.labels[GROUP_LABEL] != group.name or now < unneeded.get(name, now + 1) + UNNEEDED_SECONDS:
                    continue
                size -= 1
                if _tainted(node):
                    reqs.append(Request("delete", node.key, precondition_rv=node.meta.resource_version))
                else:
                    # upstream's value is the Unix time it was added, which nothing reads; kmodel
                    # leaves it empty so that no time hides in a string (kmodel.k8s.abstraction)
                    taint = Taint(TO_BE_DELETED, "NoSchedule")
                    reqs.append(_update_taints(node, (*node.spec.taints, taint)))
        return local, reqs

    def on_result(self, local: AutoscalerLocal, req: Request, result: Result, view: View) -> AutoscalerLocal:
        if req.tag and req.tag[0] == "ca-node":
            return attrs.evolve(local, provisioning=local.provisioning.delete(req.tag[1]))
        return local

    def next_deadline(self, local: AutoscalerLocal, view: View) -> int | None:
        times = [at for _, at in local.provisioning.values() if at > view.now]
        times.extend(self._removal_times(local))
        times = [t for t in times if t > view.now]
        return min(times) if times else None

    def settle_deadline(self, local: AutoscalerLocal, view: View) -> int | None:
        times = [at for _, at in local.provisioning.values()]
        times.extend(self._removal_times(local))
        return max(times) if times else None

    def _removal_times(self, local: AutoscalerLocal) -> list[int]:
        """When each unneeded node becomes removable (unneeded time and the delay after add)."""
        after_add = local.last_scale_up + DELAY_AFTER_ADD_SECONDS if local.last_scale_up is not None else 0
        return [max(since + UNNEEDED_SECONDS, after_add) for since in local.unneeded.values()]


def _tainted(node: Node) -> bool:
    return any(t.key == TO_BE_DELETED for t in node.spec.taints)


def _update_taints(node: Node, taints: tuple[Taint, ...]) -> Request:
    new = attrs.evolve(node, spec=attrs.evolve(node.spec, taints=taints))
    return Request("update", node.key, new, precondition_rv=node.meta.resource_version)


def _build(config: Any) -> list[Component]:
    """Node groups (spec.nodeGroups): the cluster autoscaler, and one dormant kubelet per node a
    group may add; it starts when its Node is created (``kmodel.k8s.steps.reconcile.join_nodes``)."""
    if not config.node_groups:
        return []
    lease = config.control_plane.node_lease_duration_seconds
    nodes = [n for g in config.node_groups for n in g.node_names()]
    return [
        ClusterAutoscaler(groups=config.node_groups),
        *(Kubelet(node=n, lease_duration_seconds=lease) for n in nodes),
    ]


SPEC = ComponentSpec("cluster-autoscaler", build=_build)
