"""A simple cluster autoscaler: scale-up of node groups for unschedulable pods.

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
Not modelled: scale-down (upstream removes a node unneeded for ``--scale-down-unneeded-time`` =
10m, after ``--scale-down-delay-after-add`` = 10m), node group min sizes beyond the initial
nodes, backoff after failed scale-ups, and ``--max-node-provision-time`` (15m).
"""

from __future__ import annotations

from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s.informers import Component, View
from kmodel.k8s.objects import POD_SCHEDULED, Node, Pod, Taint, condition
from kmodel.k8s.store import Request, Result

NAME = "cluster-autoscaler"
PROVISION_SECONDS = 30
GROUP_LABEL = "kmodel.io/node-group"


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


@attrs.frozen
class AutoscalerLocal:
    provisioning: FMap[str, tuple[str, int]] = FMap()  # node name → (group, registers at)


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
                return attrs.evolve(local, provisioning=prov), []
        return local, []

    def on_result(self, local: AutoscalerLocal, req: Request, result: Result, view: View) -> AutoscalerLocal:
        if req.tag and req.tag[0] == "ca-node":
            return attrs.evolve(local, provisioning=local.provisioning.delete(req.tag[1]))
        return local

    def next_deadline(self, local: AutoscalerLocal, view: View) -> int | None:
        times = [at for _, at in local.provisioning.values() if at > view.now]
        return min(times) if times else None

    def settle_deadline(self, local: AutoscalerLocal, view: View) -> int | None:
        times = [at for _, at in local.provisioning.values()]
        return max(times) if times else None
