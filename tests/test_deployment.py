"""The Deployment controller (``kmodel.k8s.controllers.deployment``) against upstream.

The golden walkthroughs drive a ClusterModel with a deterministic schedule and record every
write of a ReplicaSet's ``spec.replicas`` as (new RS replicas, old RS replicas). Their expected
sequences are derived by hand from upstream's code (the docstrings show the arithmetic), not
copied from what kmodel prints.

Two schedules:
- ``lockstep``: before each sync of the Deployment controller every other component runs until
  the cluster is quiet (pods created, scheduled, Ready; ReplicaSet statuses current). Each sync
  therefore sees a converged world, as in the walkthroughs of the Kubernetes documentation, and
  its decision follows from the upstream arithmetic alone.
- ``settle``: ``kmodel.core.run.settle_steps``, the fair round-robin of the settle phase.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest

import kmodel
from kmodel.core.fmap import FMap
from kmodel.core.model import Action
from kmodel.core.run import settle_steps
from kmodel.errors import InputError
from kmodel.k8s.cluster import ClusterModel, ClusterState
from kmodel.k8s.controllers import deployment as dc
from kmodel.k8s.objects import Deployment, PodTemplateSpec
from kmodel.k8s.store import Request
from kmodel.manifests import parse_documents
from kmodel.scenario import scenario_from_data

DKEY = ("Deployment", "default", "web")


# -- building clusters ------------------------------------------------------------------------


def deployment_doc(
    replicas: int = 3, strategy: dict[str, Any] | None = None, image: str = "nginx:1.27", cpu: str = "100m"
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "replicas": replicas,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": image, "resources": {"requests": {"cpu": cpu}}}]},
        },
    }
    if strategy is not None:
        spec["strategy"] = strategy
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": spec}


def rolling(surge: int | str, unavailable: int | str) -> dict[str, Any]:
    return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}


def cluster(
    doc: dict[str, Any], cpu: str = "8", user: list[dict[str, Any]] | None = None, faults: dict[str, int] | None = None
) -> ClusterModel:
    data = {
        "apiVersion": "kmodel/v1",
        "kind": "Scenario",
        "metadata": {"name": "t"},
        "spec": {
            "nodes": [{"name": f"node-{i}", "capacity": {"cpu": cpu, "memory": "16Gi"}} for i in (1, 2, 3)],
            "objects": [doc],
            "user": user or [{"op": "rollout", "target": "Deployment/web", "images": ["nginx:1.28"]}],
            "faults": faults or {},
        },
    }
    return scenario_from_data(data, "test").model()


def rollout(model: ClusterModel, state: ClusterState, image: str = "nginx:1.28") -> ClusterState:
    nxt = model.step(state, Action.of("rollout", image=image, target="Deployment/web"))
    assert nxt is not None
    return nxt


# -- schedules and the recorder ---------------------------------------------------------------


class Recorder:
    """(new RS replicas, old RS replicas) after every write of a ReplicaSet's spec.replicas.
    "New" is the ReplicaSet whose template runs ``image``; "old" sums the others."""

    def __init__(self, image: str, start: ClusterState) -> None:
        self.image = image
        self.sizes: dict[str, tuple[str, int]] = {
            rs.meta.name: (rs.spec.template.spec.containers[0].image, rs.spec.replicas)
            for rs in start.store.list("ReplicaSet")
        }
        self.seq: list[tuple[int, int]] = []

    def __call__(self, before: ClusterState, after: ClusterState) -> None:
        for ev in after.store.events_after(before.store.revision):
            if ev.key[0] != "ReplicaSet":
                continue
            name = ev.key[2]
            if ev.type == "DELETED":
                self.sizes.pop(name, None)
                continue
            image = ev.obj.spec.template.spec.containers[0].image
            old = self.sizes.get(name)
            self.sizes[name] = (image, ev.obj.spec.replicas)
            if old is not None and old[1] == ev.obj.spec.replicas:
                continue
            new = sum(n for img, n in self.sizes.values() if img == self.image)
            rest = sum(n for img, n in self.sizes.values() if img != self.image)
            self.seq.append((new, rest))


Observer = Callable[[ClusterState, ClusterState], None]


def settle(model: ClusterModel, state: ClusterState, observe: Observer) -> ClusterState:
    for _, nxt in settle_steps(model, state):
        observe(state, nxt)
        state = nxt
    return state


class _HoldBack:
    """The cluster model with some components left out of the system actions."""

    def __init__(self, model: ClusterModel, held: Callable[[str], bool] = lambda name: name == dc.NAME) -> None:
        self._model = model
        self._held = held

    def system_actions(self, state: ClusterState) -> list[Action]:
        return [a for a in self._model.system_actions(state) if not self._held(a.arg("component"))]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


def lockstep(model: ClusterModel, state: ClusterState, observe: Observer) -> ClusterState:
    """Everything else settles; then the Deployment controller takes in its events and runs one
    sync; repeat until it has nothing left to do."""
    others: Any = _HoldBack(model)
    for _ in range(200):
        for _, nxt in settle_steps(others, state):
            observe(state, nxt)
            state = nxt
        progressed = False
        for op in ("deliver", "reconcile"):
            action = Action.of(op, component=dc.NAME)
            while (nxt := model.step(state, action)) is not None:
                observe(state, nxt)
                state, progressed = nxt, True
                if op == "reconcile":
                    break
        if not progressed:
            return state
    raise AssertionError("the Deployment controller never went quiet")


def replica_sets(state: ClusterState) -> dict[str, Any]:
    return {rs.spec.template.spec.containers[0].image: rs for rs in state.store.list("ReplicaSet")}


# -- util/deployment_util.go -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("surge", "unavailable", "desired", "expected"),
    [
        # ResolveFenceposts' doc comment: "2 desired, max unavailable 1%, surge 0% - should scale
        # old(-1), then new(+1)": 1% of 2 rounds down to 0, 0% surge is 0, so unavailable is 1.
        ("0%", "1%", 2, (0, 1)),
        # "1 desired, max unavailable 25%, surge 1% - should scale new(+1), then old(-1)": 1% of 1
        # rounds *up* to 1, 25% of 1 rounds down to 0.
        ("1%", "25%", 1, (1, 0)),
        ("1%", "0%", 2, (1, 0)),
        # The apps/v1 default 25%/25%: ceil(0.75)=1, floor(0.75)=0 for 3; 1/1 for 4; ceil(2.5)=3,
        # floor(2.5)=2 for 10.
        ("25%", "25%", 3, (1, 0)),
        ("25%", "25%", 4, (1, 1)),
        ("25%", "25%", 10, (3, 2)),
        (0, 0, 5, (0, 1)),
        (2, 1, 5, (2, 1)),
    ],
)
def test_resolve_fenceposts(surge: int | str, unavailable: int | str, desired: int, expected: tuple[int, int]) -> None:
    """``util/deployment_util.go: ResolveFenceposts``: surge rounds up, unavailable rounds down,
    and both 0 makes unavailable 1."""
    assert dc.resolve_fenceposts(surge, unavailable, desired) == expected


def test_max_unavailable_is_capped_and_zero_for_recreate() -> None:
    """``MaxUnavailable``: capped at spec.replicas; 0 for Recreate and for 0 replicas."""
    (d,) = parse_documents([deployment_doc(replicas=2, strategy=rolling(0, 5))], "x.yaml")
    assert dc.max_unavailable(d) == 2
    assert dc.max_unavailable(attrs.evolve(d, spec=attrs.evolve(d.spec, replicas=0))) == 0
    (r,) = parse_documents([deployment_doc(strategy={"type": "Recreate"})], "x.yaml")
    assert dc.max_unavailable(r) == 0 and dc.max_surge(r) == 0


def test_compute_hash_encoding() -> None:
    """``ComputeHash`` is FNV-1a 32 printed in decimal and passed through ``SafeEncodeString``
    (``alphanums[c % 27]`` of "bcdfghjklmnpqrstvwxz2456789"): '0' is 48, 48 % 27 = 21 → '4' …
    '5' is 53 → 26 → '9', '6' is 54 → 0 → 'b' … '9' → 'f'."""
    assert dc.safe_encode_string("0123456789") == "456789bcdf"
    assert dc.fnv1a_32(b"") == 0x811C9DC5  # FNV-1a offset basis
    assert dc.fnv1a_32(b"a") == 0xE40C292C  # the published FNV-1a 32 test vector for "a"
    (d,) = parse_documents([deployment_doc()], "x.yaml")
    t = d.spec.template
    h = dc.compute_hash(t, None)
    assert set(h) <= set("456789bcdf") and 1 <= len(h) <= 10
    assert dc.compute_hash(t, None) == h
    assert dc.compute_hash(t, 1) != h  # collisionCount salts the hash
    other = PodTemplateSpec(labels=t.labels, spec=attrs.evolve(t.spec, containers=()))
    assert dc.compute_hash(other, None) != h


def test_new_replica_set_shape() -> None:
    """``getNewReplicaSet``: named ``<deployment>-<hash>``, the hash as ``pod-template-hash`` on
    its labels, template and selector, a controller ownerReference to the Deployment, and the
    revision / desired-replicas / max-replicas annotations (3 + maxSurge 1 = 4)."""
    model = cluster(deployment_doc())
    state = model.initial()
    (rs,) = state.store.list("ReplicaSet")
    d = state.store.get(DKEY)
    h = rs.meta.labels[dc.POD_TEMPLATE_HASH]
    assert h == dc.compute_hash(d.spec.template, None)
    assert rs.meta.name == f"web-{h}"
    assert rs.spec.template.labels == FMap({"app": "web", "pod-template-hash": h})
    assert dict(rs.spec.selector.match_labels) == {"app": "web", "pod-template-hash": h}
    ref = rs.meta.controller_ref()
    assert ref is not None and (ref.kind, ref.name, ref.uid) == ("Deployment", "web", d.meta.uid)
    assert ref.block_owner_deletion
    assert dict(rs.meta.annotations) == {dc.REVISION: "1", dc.DESIRED_REPLICAS: "3", dc.MAX_REPLICAS: "4"}
    assert d.meta.annotations[dc.REVISION] == "1"
    pods = [p for p in state.store.list("Pod") if p.is_ready()]
    assert len(pods) == 3 and all(p.meta.labels["pod-template-hash"] == h for p in pods)


def test_initial_status_is_complete() -> None:
    """``calculateStatus`` + ``syncRolloutStatus`` once the first ReplicaSet is available:
    every counter 3, Available=True (MinimumReplicasAvailable), Progressing=True
    (NewReplicaSetAvailable), the generation observed."""
    state = cluster(deployment_doc()).initial()
    st = state.store.get(DKEY).status
    assert (st.replicas, st.updated_replicas, st.ready_replicas, st.available_replicas) == (3, 3, 3, 3)
    assert st.unavailable_replicas == 0 and st.observed_generation == 1
    conds = {c.type: (c.status, c.reason) for c in st.conditions}
    assert conds == {
        "Available": ("True", "MinimumReplicasAvailable"),
        "Progressing": ("True", "NewReplicaSetAvailable"),
    }


# -- golden walkthroughs -----------------------------------------------------------------------


def test_rolling_update_surge_1_unavailable_0_lockstep() -> None:
    """3 replicas, maxSurge 1, maxUnavailable 0 (``rolling.go``, ``sync.go``, ``util``).

    minAvailable = 3 - 0 = 3; at most 3 + 1 = 4 pods.
    1. ``getNewReplicaSet`` creates the new RS with ``NewRSNewReplicas`` = min(4 - 3, 3 - 0) = 1
       → (1, 3). In the same sync ``reconcileOldReplicaSets``: maxScaledDown = allPods 4 -
       minAvailable 3 - newRSUnavailable (1 - 0) = 0: nothing.
    2. The new pod is available: maxScaledDown = 4 - 3 - 0 = 1; ``cleanupUnhealthyReplicas``
       finds none; ``scaleDownOldReplicaSetsForRollingUpdate``: available 3 + 1 = 4 > 3, so the
       old RS goes down by 1 → (1, 2).
    3. ``reconcileNewReplicaSet``: total 3 < 4 → new RS + min(1, 3 - 1) → (2, 2).
    4. available 2 + 2 = 4 → old down 1 → (2, 1).  5. → (3, 1).  6. → (3, 0).
    """
    model = cluster(deployment_doc(strategy=rolling(1, 0)))
    start = rollout(model, model.initial())
    rec = Recorder("nginx:1.28", start)
    state = lockstep(model, start, rec)
    assert rec.seq == [(1, 3), (1, 2), (2, 2), (2, 1), (3, 1), (3, 0)]
    assert dc.deployment_complete(state.store.get(DKEY), state.store.get(DKEY).status)


def test_rolling_update_surge_1_unavailable_0_settle() -> None:
    """The same walkthrough under the fair settle schedule gives the same sequence: with
    maxUnavailable 0 and maxSurge 1 every step waits for the previous one (a scale-down needs a
    new pod available, a scale-up needs an old replica gone from the 4-pod budget), whatever the
    interleaving of the other components."""
    model = cluster(deployment_doc(strategy=rolling(1, 0)))
    start = rollout(model, model.initial())
    rec = Recorder("nginx:1.28", start)
    settle(model, start, rec)
    assert rec.seq == [(1, 3), (1, 2), (2, 2), (2, 1), (3, 1), (3, 0)]


def test_rolling_update_default_25_percent_of_3() -> None:
    """The apps/v1 default strategy (``SetDefaults_Deployment``: 25%/25%) on 3 replicas.
    ``ResolveFenceposts``: surge ceil(0.75) = 1, unavailable floor(0.75) = 0 — so the rollout is
    exactly the maxSurge 1 / maxUnavailable 0 walkthrough above."""
    model = cluster(deployment_doc())  # no strategy: defaults
    d = model.initial().store.get(DKEY)
    assert (d.spec.max_surge, d.spec.max_unavailable) == ("25%", "25%")
    start = rollout(model, model.initial())
    rec = Recorder("nginx:1.28", start)
    lockstep(model, start, rec)
    assert rec.seq == [(1, 3), (1, 2), (2, 2), (2, 1), (3, 1), (3, 0)]


def test_rolling_update_default_25_percent_of_10() -> None:
    """10 replicas, 25%/25%: surge ceil(2.5) = 3, unavailable floor(2.5) = 2; minAvailable 8,
    at most 13 pods.
    1. create with min(13 - 10, 10) = 3 → (3, 10); same sync: maxScaledDown = 13 - 8 - 3 = 2,
       available 10 > 8 → old down min(10, 2) = 2 → (3, 8).
    2. total 11 < 13 → new + min(2, 10 - 3) → (5, 8).
    3. total 13: no scale-up; maxScaledDown = 13 - 8 - 0 = 5; available 8 + 5 = 13 → old down 5
       → (5, 3).
    4. total 8 → new + min(5, 5) → (10, 3).  5. available 3 + 10 = 13 → old down min(3, 5) → (10, 0).
    """
    model = cluster(deployment_doc(replicas=10))
    start = rollout(model, model.initial())
    rec = Recorder("nginx:1.28", start)
    state = lockstep(model, start, rec)
    assert rec.seq == [(3, 10), (3, 8), (5, 8), (5, 3), (10, 3), (10, 0)]
    rss = replica_sets(state)
    assert rss["nginx:1.28"].status.available_replicas == 10 and rss["nginx:1.27"].status.replicas == 0


def stuck_rollout(model: ClusterModel) -> ClusterState:
    """The docs' stuck rollout: a new template whose pods fit no node, run to quiescence."""
    state = model.initial()
    d = state.store.get(DKEY)
    spec = attrs.evolve(
        d.spec.template.spec,
        node_selector=FMap({"disk": "none"}),
        containers=tuple(attrs.evolve(c, image="nginx:bad") for c in d.spec.template.spec.containers),
    )
    bad = attrs.evolve(d, spec=attrs.evolve(d.spec, template=attrs.evolve(d.spec.template, spec=spec)))
    store, res = state.store.apply(Request("update", DKEY, bad), state.clock, model.api)
    assert res.ok
    return attrs.evolve(state, store=store)


def test_proportional_scaling_docs_example() -> None:
    """kubernetes.io, Concepts › Deployments › "Proportional scaling" (kubernetes/website
    ``content/en/docs/concepts/workloads/controllers/deployment.md``): 10 replicas, maxSurge 3,
    maxUnavailable 2; a rollout to a template that never becomes available stops at new 5 /
    old 8; scaling to 15 then adds 3 to the old and 2 to the new ReplicaSet (old 11, new 7).

    Upstream arithmetic: creation → (3, 10), same sync old down 13 - 8 - 3 = 2 → (3, 8); then
    (5, 8); then maxScaledDown = 13 - 8 - 5 = 0: stuck. Scaling to 15 is a scaling event
    (``isScalingEvent``: desired-replicas 10 ≠ 15) → ``scale``: allowed 15 + 3 = 18, to add
    18 - 13 = 5, larger RS first (``ReplicaSetsBySizeNewer``): old round(8·18/13) - 8 = 3, new
    min(round(5·18/13) - 5, 5 - 3) = 2 → (5, 11), (7, 11); then 18 - 13 - 7 < 0: still stuck.
    """
    model = cluster(
        deployment_doc(replicas=10, strategy=rolling(3, 2)),
        user=[{"op": "scale", "target": "Deployment/web", "replicas": [15, 15]}],
    )
    # The new template's pods fit no node (the docs use an image that cannot be pulled: either
    # way the new pods never become available).
    state = stuck_rollout(model)
    rec = Recorder("nginx:bad", state)
    state = lockstep(model, state, rec)
    assert rec.seq == [(3, 10), (3, 8), (5, 8)]
    nxt = model.step(state, Action.of("scale", replicas=15, target="Deployment/web"))
    assert nxt is not None
    state = lockstep(model, nxt, rec)
    assert rec.seq == [(3, 10), (3, 8), (5, 8), (5, 11), (7, 11)]
    for rs in state.store.list("ReplicaSet"):
        assert rs.meta.annotations[dc.DESIRED_REPLICAS] == "15" and rs.meta.annotations[dc.MAX_REPLICAS] == "18"
    st = state.store.get(DKEY).status
    assert (st.replicas, st.updated_replicas, st.available_replicas) == (18, 7, 11)


def test_unavailable_new_pods_keep_old_replica_set_from_scaling_down() -> None:
    """Case 1 of the comment in ``rolling.go: reconcileOldReplicaSets`` (10 replicas,
    maxUnavailable 2, maxSurge 3; the new RS's 5 pods never become available): "A node fails and
    causes one of the oldRS pods to become unavailable. However, 13 - 8 - 5 = 0, so the oldRS
    won't be scaled down." Under the fair settle schedule the Deployment controller syncs while
    the crashed node's old pods are unavailable (and again after they are evicted and
    replaced); ``cleanupUnhealthyReplicas`` is capped by maxScaledDown = 0, so the old RS stays
    at 8 throughout."""
    model = cluster(deployment_doc(replicas=10, strategy=rolling(3, 2)), faults={"nodeCrash": 1})
    state = stuck_rollout(model)
    rec = Recorder("nginx:bad", state)
    state = settle(model, state, rec)
    assert rec.seq == [(3, 10), (3, 8), (5, 8)]
    (old,) = [rs for rs in state.store.list("ReplicaSet") if rs.spec.replicas == 8]
    assert old.status.available_replicas == 8
    crashed = next(
        p.spec.node_name
        for p in state.store.list("Pod")
        if p.meta.labels.get("pod-template-hash") == old.meta.labels["pod-template-hash"]
    )
    after_crash = model.step(state, Action.of("crash_node", node=crashed))
    assert after_crash is not None
    dips: list[int] = []

    def watch(before: ClusterState, after: ClusterState) -> None:
        rec(before, after)
        rs = after.store.get(old.key)
        dips.append(rs.status.available_replicas)

    state = settle(model, after_crash, watch)
    assert min(dips) < 8  # old pods did become unavailable while the controller watched
    assert rec.seq == [(3, 10), (3, 8), (5, 8)]
    assert state.store.get(old.key).spec.replicas == 8


def test_recreate_waits_for_old_pods_to_be_gone() -> None:
    """``recreate.go: rolloutRecreate``: scale every old RS to 0; while ``oldPodsRunning`` (an
    old RS counts pods, or an old pod is not Succeeded/Failed — Terminating ones count) only
    sync status; then create the new RS, directly at full size (``NewRSNewReplicas`` is
    ``replicas`` for Recreate). So in the event stream the old RS reaches 0 and the last old pod
    is DELETED before the new RS is ADDED, and it never runs beside an old pod."""
    model = cluster(deployment_doc(strategy={"type": "Recreate"}))
    state = model.initial()
    old_rs = state.store.list("ReplicaSet")[0]
    old_pods = {p.meta.name for p in state.store.list("Pod")}
    assert len(old_pods) == 3
    events: list[tuple[str, str, str, int]] = []
    overlap: list[str] = []

    def observe(before: ClusterState, after: ClusterState) -> None:
        for ev in after.store.events_after(before.store.revision):
            replicas = ev.obj.spec.replicas if ev.key[0] == "ReplicaSet" else -1
            events.append((ev.type, ev.key[0], ev.key[2], replicas))
        for rs in after.store.list("ReplicaSet"):
            if rs.meta.uid != old_rs.meta.uid and rs.spec.replicas > 0:
                alive = [p.meta.name for p in after.store.list("Pod") if p.meta.name in old_pods]
                overlap.extend(alive)

    state = rollout(model, state)
    rec = Recorder("nginx:1.28", state)

    def both(before: ClusterState, after: ClusterState) -> None:
        observe(before, after)
        rec(before, after)

    state = settle(model, state, both)
    scaled_down = events.index(("MODIFIED", "ReplicaSet", old_rs.meta.name, 0))
    last_old_gone = max(i for i, e in enumerate(events) if e[0] == "DELETED" and e[2] in old_pods)
    new_added = next(i for i, e in enumerate(events) if e[0] == "ADDED" and e[1] == "ReplicaSet")
    assert scaled_down < last_old_gone < new_added
    assert events[new_added][3] == 3
    assert overlap == []
    assert rec.seq == [(0, 0), (3, 0)]  # old 3 → 0, then the new RS created at 3
    d = state.store.get(DKEY)
    assert dc.deployment_complete(d, d.status)


def test_recreate_waits_for_terminating_pods_and_wakes_on_their_deletion() -> None:
    """The Terminating window, with kubelets slow to finish their pods (a grace period):

    1. Kubelets held back: the old RS is scaled to 0 and the ReplicaSet controller marks its pods
       Terminating; the old RS's status drops to 0 replicas (it counts active pods only), but
       ``oldPodsRunning`` still sees the Terminating pods in the pod map, so no new RS yet.
    2. Kubelets run and delete the pods. Nothing about the old RS changes any more; the
       ``deletePod`` handler ("enqueue a Recreate Deployment once all of its pods have stopped
       running") is what wakes the Deployment, which then creates the new RS at 3."""
    model = cluster(deployment_doc(strategy={"type": "Recreate"}))
    start = rollout(model, model.initial())
    slow_kubelets: Any = _HoldBack(model, lambda name: name.startswith("kubelet/"))
    state = settle(slow_kubelets, start, lambda a, b: None)
    (old_rs,) = state.store.list("ReplicaSet")
    assert old_rs.spec.replicas == 0 and old_rs.status.replicas == 0
    terminating = [p for p in state.store.list("Pod") if p.meta.deletion_timestamp is not None]
    assert len(terminating) == 3
    state = settle(model, state, lambda a, b: None)
    rss = replica_sets(state)
    assert rss["nginx:1.28"].spec.replicas == 3 and rss["nginx:1.28"].status.available_replicas == 3
    assert rss["nginx:1.27"].meta.uid == old_rs.meta.uid


def test_rollback_reuses_the_old_replica_set_with_a_new_revision() -> None:
    """Rolling back to the first template finds the old RS (``FindNewReplicaSet`` ignores the
    pod-template-hash label) instead of creating one, and ``SetNewReplicaSetAnnotations`` raises
    its revision to max(old) + 1 = 3 keeping "1" in ``deployment.kubernetes.io/revision-history``;
    the Deployment's revision follows (``SetDeploymentRevision``)."""
    model = cluster(
        deployment_doc(), user=[{"op": "rollout", "target": "Deployment/web", "images": ["nginx:1.27", "nginx:1.28"]}]
    )
    state = model.initial()
    state = settle(model, rollout(model, state, "nginx:1.28"), lambda a, b: None)
    first = {rs.meta.name for rs in state.store.list("ReplicaSet")}
    state = settle(model, rollout(model, state, "nginx:1.27"), lambda a, b: None)
    assert {rs.meta.name for rs in state.store.list("ReplicaSet")} == first  # no third ReplicaSet
    rss = replica_sets(state)
    back, other = rss["nginx:1.27"], rss["nginx:1.28"]
    assert back.meta.annotations[dc.REVISION] == "3"
    assert back.meta.annotations[dc.REVISION_HISTORY] == "1"
    assert other.meta.annotations[dc.REVISION] == "2"
    assert (back.spec.replicas, other.spec.replicas) == (3, 0)
    assert state.store.get(DKEY).meta.annotations[dc.REVISION] == "3"


def test_revision_history_limit_deletes_oldest_scaled_down_replica_sets() -> None:
    """``cleanupDeployment`` keeps ``revisionHistoryLimit`` old ReplicaSets; with limit 0 the
    scaled-down old one is deleted once the rollout is complete."""
    doc = deployment_doc()
    doc["spec"]["revisionHistoryLimit"] = 0
    model = cluster(doc)
    state = settle(model, rollout(model, model.initial()), lambda a, b: None)
    (rs,) = state.store.list("ReplicaSet")
    assert rs.spec.template.spec.containers[0].image == "nginx:1.28"


def test_paused_deployment_scales_but_does_not_roll_out() -> None:
    """``syncDeployment``: a paused Deployment goes through ``sync`` (``getNewReplicaSet`` with
    createIfNotExisted=false). So a Deployment created paused gets no ReplicaSet at all; one
    paused later creates none for a template change while a scale still applies to its current
    ReplicaSet; ``checkPausedConditions`` sets Progressing=Unknown (DeploymentPaused)."""
    doc = deployment_doc()
    doc["spec"]["paused"] = True
    assert cluster(doc).initial().store.list("ReplicaSet") == []

    model = cluster(
        deployment_doc(),
        user=[
            {"op": "rollout", "target": "Deployment/web", "images": ["nginx:1.28"]},
            {"op": "scale", "target": "Deployment/web", "replicas": [4, 4]},
        ],
    )
    state = model.initial()
    d = state.store.get(DKEY)
    paused = attrs.evolve(d, spec=attrs.evolve(d.spec, paused=True))
    store, res = state.store.apply(Request("update", DKEY, paused), state.clock, model.api)
    assert res.ok
    state = settle(model, rollout(model, attrs.evolve(state, store=store)), lambda a, b: None)
    nxt = model.step(state, Action.of("scale", replicas=4, target="Deployment/web"))
    assert nxt is not None
    state = settle(model, nxt, lambda a, b: None)
    (rs,) = state.store.list("ReplicaSet")
    assert rs.spec.template.spec.containers[0].image == "nginx:1.27" and rs.spec.replicas == 4
    progressing = dc.get_condition(state.store.get(DKEY).status, dc.PROGRESSING)
    assert progressing is not None and (progressing.status, progressing.reason) == ("Unknown", "DeploymentPaused")


def test_stuck_rollout_message() -> None:
    """The known-bad scenario's DeploymentComplete message names the unplaceable surge pod and
    the maxUnavailable-0 reason."""
    result = kmodel.check("properties/scenarios/deploy-stuck-no-surge-room.yaml", seed=0)
    assert result.trace is not None
    v = result.trace.violation
    assert v.invariant == "DeploymentComplete"
    assert "fits no node" in v.message and "Insufficient cpu" in v.message
    assert "old ReplicaSet" in v.message and "maxUnavailable 0" in v.message


def test_deployment_complete_holds_after_a_rollout() -> None:
    """The known-good side of DeploymentComplete, and its check that old pods are gone."""
    from kmodel.k8s.invariants import deployment_complete

    model = cluster(deployment_doc())
    mid = rollout(model, model.initial())
    assert deployment_complete(mid) is not None  # generation 2 not observed yet
    assert deployment_complete(settle(model, mid, lambda a, b: None)) is None


# -- manifests and user ops ---------------------------------------------------------------------


def test_manifest_defaults() -> None:
    """``pkg/apis/apps/v1/defaults.go: SetDefaults_Deployment``."""
    doc = deployment_doc()
    del doc["spec"]["replicas"]
    (d,) = parse_documents([doc], "app.yaml")
    assert isinstance(d, Deployment)
    s = d.spec
    assert (s.replicas, s.strategy_type, s.max_surge, s.max_unavailable) == (1, "RollingUpdate", "25%", "25%")
    assert (s.revision_history_limit, s.progress_deadline_seconds, s.min_ready_seconds, s.paused) == (10, 600, 0, False)
    (r,) = parse_documents([deployment_doc(strategy={"type": "Recreate"})], "app.yaml")
    assert (r.spec.strategy_type, r.spec.max_surge, r.spec.max_unavailable) == ("Recreate", None, None)


@pytest.mark.parametrize(
    ("strategy", "field", "message"),
    [
        (rolling(0, 0), "spec.strategy.rollingUpdate.maxUnavailable", "may not be 0 when `maxSurge` is 0"),
        (rolling("0%", 0), "spec.strategy.rollingUpdate.maxUnavailable", "may not be 0"),
        (rolling(1, "120%"), "spec.strategy.rollingUpdate.maxUnavailable", "greater than 100%"),
        (rolling("1x", 0), "spec.strategy.rollingUpdate.maxSurge", "percentage"),
        (rolling(-1, 1), "spec.strategy.rollingUpdate.maxSurge", "greater than or equal to 0"),
        ({"type": "Recreate", "rollingUpdate": {}}, "spec.strategy.rollingUpdate", "Recreate"),
        ({"type": "BlueGreen"}, "spec.strategy.type", "RollingUpdate or Recreate"),
    ],
)
def test_manifest_strategy_errors(strategy: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_documents([deployment_doc(strategy=strategy)], "app.yaml")
    text = str(err.value)
    assert f"app.yaml: document 1: {field}:" in text and message in text


def test_manifest_template_must_match_selector() -> None:
    doc = deployment_doc()
    doc["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    with pytest.raises(InputError, match="do not match the selector"):
        parse_documents([doc], "app.yaml")


def test_rollout_user_op() -> None:
    """``rollout`` sets every container image (``kubectl set image deployment/web '*=IMAGE'``):
    one action per image; setting the image the template already has is not enabled."""
    model = cluster(
        deployment_doc(), user=[{"op": "rollout", "target": "Deployment/web", "images": ["nginx:1.27", "nginx:1.28"]}]
    )
    state = model.initial()
    acts = [a for a in model.actions(state) if a.op == "rollout"]
    assert acts == [Action.of("rollout", image="nginx:1.28", target="Deployment/web")]
    nxt = rollout(model, state)
    d = nxt.store.get(DKEY)
    assert d.spec.template.spec.containers[0].image == "nginx:1.28"
    assert d.meta.generation == 2
    assert "user sets the image of Deployment/web to nginx:1.28" in model.describe(state, acts[0], nxt)


@pytest.mark.parametrize("images", [[], "nginx", [1], [""]])
def test_rollout_user_op_errors(images: Any) -> None:
    with pytest.raises(InputError, match="images"):
        cluster(deployment_doc(), user=[{"op": "rollout", "target": "Deployment/web", "images": images}])


def test_scale_user_op_accepts_deployments() -> None:
    model = cluster(deployment_doc(), user=[{"op": "scale", "target": "Deployment/web", "replicas": [1, 5]}])
    state = model.initial()
    nxt = model.step(state, Action.of("scale", replicas=5, target="Deployment/web"))
    assert nxt is not None and nxt.store.get(DKEY).spec.replicas == 5
    state = settle(model, nxt, lambda a, b: None)
    (rs,) = state.store.list("ReplicaSet")
    assert rs.spec.replicas == 5 and rs.meta.annotations[dc.DESIRED_REPLICAS] == "5"
