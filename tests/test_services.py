"""Services: the EndpointSlice controller, kube-proxy, CoreDNS and client requests, driven step by
step through the cluster model.

Each test scripts a schedule (or lets the fair settle phase run) and checks the upstream behaviour
it should produce; the docstrings say which upstream rule is being reproduced.
"""

from __future__ import annotations

from typing import Any

import pytest

from kmodel.core.fmap import FMap
from kmodel.core.model import Action
from kmodel.core.run import settle
from kmodel.errors import InputError
from kmodel.k8s.cluster import ClusterModel, ClusterState
from kmodel.k8s.controllers.endpointslice import LABEL_HEADLESS, EndpointSliceController, ESLocal, Tracked, pod_ip
from kmodel.k8s.controllers.kubeproxy import ProxyLocal, resolve
from kmodel.k8s.informers import View
from kmodel.k8s.invariants import endpoints_converge, no_traffic_to_dead_pods
from kmodel.scenario import scenario_from_data

ES = "endpointslice-controller"
NODES = ("node-1", "node-2", "node-3")


def container(pre_stop: int = 0, readiness_delay: int | None = None) -> dict[str, Any]:
    c: dict[str, Any] = {"name": "web", "image": "nginx", "resources": {"requests": {"cpu": "500m"}}}
    if pre_stop:
        c["lifecycle"] = {"preStop": {"sleep": {"seconds": pre_stop}}}
    if readiness_delay is not None:
        c["readinessProbe"] = {"initialDelaySeconds": readiness_delay, "periodSeconds": 5}
    return c


def service(name: str = "web", **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}], **spec}
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": body}


def model(
    *,
    pre_stop: int = 0,
    readiness_delay: int | None = None,
    replicas: int = 3,
    services: list[dict[str, Any]] | None = None,
    faults: dict[str, int] | None = None,
    user: list[dict[str, Any]] | None = None,
    invariants: list[str] | None = None,
) -> ClusterModel:
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [container(pre_stop, readiness_delay)]},
            },
        },
    }
    data = {
        "apiVersion": "kmodel/v1",
        "kind": "Scenario",
        "metadata": {"name": "t"},
        "spec": {
            "nodes": [{"name": n, "capacity": {"cpu": "2", "memory": "4Gi"}} for n in NODES],
            "objects": [rs, *(services if services is not None else [service()])],
            "faults": faults or {},
            "user": user
            if user is not None
            else [{"op": "deletePod", "target": "ReplicaSet/web"}, {"op": "request", "target": "Service/web"}],
            "invariants": invariants or ["NoTrafficToDeadPods", "EndpointsConverge"],
        },
    }
    return scenario_from_data(data, "test").model()


def run(m: ClusterModel, state: ClusterState, *actions: Action) -> ClusterState:
    for a in actions:
        nxt = m.step(state, a)
        assert nxt is not None, f"{a} not enabled"
        state = nxt
    return state


def settled(m: ClusterModel, state: ClusterState) -> ClusterState:
    outcome = settle(m, state)
    assert outcome.settled and outcome.failure is None, outcome.failure
    return outcome.state


def the_slice(state: ClusterState, name: str = "web") -> Any:
    slices = [s for s in state.store.list("EndpointSlice") if s.meta.labels.get("kubernetes.io/service-name") == name]
    assert len(slices) == 1
    return slices[0]


def conditions(state: ClusterState, name: str = "web") -> dict[str, tuple[bool, bool, bool]]:
    return {
        ep.pod_name: (ep.conditions.ready, ep.conditions.serving, ep.conditions.terminating)
        for ep in the_slice(state, name).endpoints
    }


def table(state: ClusterState, node: str, svc: str = "web") -> list[str]:
    local = state.components[f"kube-proxy/{node}"].local
    assert isinstance(local, ProxyLocal)
    return [b.pod_name for b in local.table.get(("default", svc), ())]


def dead_requests(m: ClusterModel, state: ClusterState, svc: str = "Service/web") -> list[tuple[str, int]]:
    """The (node, index) requests that would reach a stopped container now."""
    return [
        (n, i)
        for n in NODES
        for i in range(3)
        if m.step(state, Action.of("request", target=svc, node=n, index=i)) is not None
    ]


def delete_pod(m: ClusterModel, state: ClusterState, index: int = 0) -> tuple[ClusterState, Any]:
    before = {p.meta.name for p in state.store.list("Pod") if p.meta.deletion_timestamp is None}
    state = run(m, state, Action.of("deletePod", target="ReplicaSet/web", index=index))
    victim = next(p for p in state.store.list("Pod") if p.meta.name in before and p.meta.deletion_timestamp)
    return state, victim


def kubelet_acts(m: ClusterModel, state: ClusterState, node: str) -> ClusterState:
    return run(
        m, state, Action.of("deliver", component=f"kubelet/{node}"), Action.of("reconcile", component=f"kubelet/{node}")
    )


def drain(m: ClusterModel, state: ClusterState, prefixes: tuple[str, ...]) -> ClusterState:
    """Deliver every pending event to everyone; reconcile only components named by ``prefixes``."""
    progress = True
    while progress:
        progress = False
        for name in m.component_names:
            for op in ("deliver", "reconcile"):
                if op == "reconcile" and not name.startswith(prefixes):
                    continue
                nxt = m.step(state, Action.of(op, component=name))
                if nxt is not None:
                    state, progress = nxt, True
    return state


# -- manifests and objects ------------------------------------------------------------------


def test_service_defaults_and_cluster_ip_allocation() -> None:
    """``SetDefaults_Service``: targetPort = port, protocol TCP; the API server allocates a
    cluster IP to each Service created without one, keeps a given one, and skips addresses in use;
    ``clusterIP: None`` is headless."""
    m = model(
        services=[
            service("a"),
            service("b", clusterIP="10.96.0.10"),
            service("c"),
            service("h", clusterIP="None"),
        ],
        user=[],
    )
    s0 = m.initial()
    svcs = {svc.meta.name: svc for svc in s0.store.list("Service")}
    assert svcs["a"].spec.ports[0].target_port == 8080 and svcs["a"].spec.ports[0].protocol == "TCP"
    assert svcs["b"].spec.cluster_ip == "10.96.0.10"
    assert svcs["a"].spec.cluster_ip != "10.96.0.10"
    assert len({svcs[n].spec.cluster_ip for n in "abc"}) == 3
    assert svcs["h"].spec.headless()
    ports = {"port": 80}
    plain = model(services=[{**service(), "spec": {"selector": {"app": "web"}, "ports": [ports]}}], user=[]).initial()
    assert plain.store.get(("Service", "default", "web")).spec.ports[0].target_port == 80


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"selector": {"app": "web"}}, "ports: is required"),
        ({"ports": [{"port": 80}, {"port": 81}]}, "must have a name"),
        ({"type": "ExternalName", "ports": [{"port": 80}]}, "ExternalName"),
        ({"clusterIP": "ten", "ports": [{"port": 80}]}, "clusterIP"),
        ({"ports": [{"port": 70000}]}, "port"),
    ],
)
def test_service_validation(spec: dict[str, Any], message: str) -> None:
    """``ValidateService``: a non-headless Service needs a port, several ports need names, ports are
    1–65535; ExternalName is not modelled."""
    with pytest.raises(InputError, match=message):
        model(services=[{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": spec}], user=[])


def test_scenarios_without_services_get_no_service_components() -> None:
    """kube-proxies and the EndpointSlice controller are only added where a Service exists, so the
    other scenarios keep their exact behaviour."""
    without = model(services=[], user=[], invariants=["ReplicasConverge"])
    assert not [n for n in without.component_names if "proxy" in n or n in (ES, "coredns")]
    with_svc = model()
    assert ES in with_svc.component_names
    assert [n for n in with_svc.component_names if n.startswith("kube-proxy/")] == [f"kube-proxy/{n}" for n in NODES]
    assert "coredns" not in with_svc.component_names
    assert "kube-proxy/node-1" not in with_svc.control_plane  # node components: no restart faults


# -- EndpointSlice controller ---------------------------------------------------------------


def test_settled_slice_lists_ready_pods_and_every_kube_proxy_routes_to_them() -> None:
    """One slice per Service (``generateName: web-``, controllerRef to the Service, labels
    ``kubernetes.io/service-name`` and managed-by), one endpoint per pod with its IP and node."""
    m = model()
    s0 = m.initial()
    es = the_slice(s0)
    assert es.meta.generate_name == "web-"
    ref = es.meta.controller_ref()
    assert ref is not None and ref.kind == "Service" and ref.uid == s0.store.get(("Service", "default", "web")).meta.uid
    assert es.meta.labels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
    pods = {p.meta.name: p for p in s0.store.list("Pod")}
    assert conditions(s0) == {name: (True, True, False) for name in pods}
    for ep in es.endpoints:
        assert ep.addresses == (pod_ip(pods[ep.pod_name]),) and ep.node_name == pods[ep.pod_name].spec.node_name
    assert len({ep.addresses for ep in es.endpoints}) == 3
    for n in NODES:
        assert table(s0, n) == sorted(pods)
    assert endpoints_converge(s0) is None


def test_deleted_pod_is_terminating_serving_not_ready_and_dropped_by_kube_proxy() -> None:
    """``podToEndpoint``: a pod with a deletionTimestamp is ``terminating``, still ``serving`` while
    its Ready condition holds (the kubelet keeps probing during termination), and not ``ready``.
    kube-proxy uses only ready endpoints while some exist (``CategorizeEndpoints``)."""
    m = model(pre_stop=5)
    s0 = m.initial()
    s1, victim = delete_pod(m, s0)
    s1 = kubelet_acts(m, s1, victim.spec.node_name)  # preStop: the container keeps running
    s2 = drain(m, s1, (ES, "kube-proxy"))
    assert conditions(s2)[victim.meta.name] == (False, True, True)
    for n in NODES:
        assert victim.meta.name not in table(s2, n)
        assert len(table(s2, n)) == 2


def test_publish_not_ready_addresses_keeps_terminating_pods_ready() -> None:
    """``ready = publishNotReadyAddresses || (serving && !terminating)``."""
    m = model(pre_stop=5, services=[service(publishNotReadyAddresses=True)])
    s1, victim = delete_pod(m, m.initial())
    s2 = drain(m, s1, (ES,))
    assert conditions(s2)[victim.meta.name] == (True, True, True)


def test_pod_is_an_endpoint_only_once_it_has_an_ip_and_ready_only_once_ready() -> None:
    """``ShouldPodBeInEndpoints``: no pod IP, no endpoint; a running pod that fails readiness is an
    endpoint that is neither ready nor serving, and kube-proxy does not route to it."""
    m = model(readiness_delay=20, replicas=1, user=[{"op": "scale", "target": "ReplicaSet/web", "replicas": [1, 2]}])
    state = run(m, m.initial(), Action.of("scale", target="ReplicaSet/web", replicas=2))
    first = {p.meta.name for p in state.store.list("Pod")}
    phases = []
    for _ in range(100):
        state = drain(m, state, ("",))
        new = [p for p in state.store.list("Pod") if p.meta.name not in first]
        eps = {e.pod_name: e for e in the_slice(state).endpoints}
        if not new or pod_ip(new[0]) is None:
            phases.append("no ip")
            assert len(eps) == 1
        elif not new[0].is_ready():
            phases.append("not ready")
            ep = eps[new[0].meta.name]
            assert (ep.conditions.ready, ep.conditions.serving, ep.conditions.terminating) == (False, False, False)
            assert all(new[0].meta.name not in table(state, n) for n in NODES)
        else:
            phases.append("ready")
            assert eps[new[0].meta.name].conditions.ready
            assert all(new[0].meta.name in table(state, n) for n in NODES)
            break
        state = run(m, state, Action("tick"))
    assert phases[0] == "no ip" or phases[0] == "not ready"
    assert "not ready" in phases and phases[-1] == "ready"


def test_stale_cache_does_not_create_a_second_slice() -> None:
    """``EndpointSliceTracker.StaleSlices``: a slice the controller created that its cache does not
    show yet makes the sync fail instead of creating another one; once the cache has it, the sync
    goes on."""
    m = model()
    s0 = m.initial()
    comp = m.components[ES]
    assert isinstance(comp, EndpointSliceController)
    es = the_slice(s0)
    svc = s0.store.get(("Service", "default", "web"))
    cache = s0.components[ES].cache
    written = Tracked(svc.meta.uid, FMap({es.meta.uid: es.meta.resource_version}))
    local = ESLocal(queue=(("default", "web"),), tracker=FMap({("default", "web"): written}))
    without_slice = cache.set("EndpointSlice", FMap())
    same, reqs = comp.reconcile(local, View(without_slice, s0.clock))
    assert reqs == [] and same == local
    assert comp.sync_deadline(local, View(without_slice, s0.clock)) is None
    _, reqs = comp.reconcile(local, View(cache, s0.clock))
    assert all(r.verb != "create" for r in reqs)
    untracked = ESLocal(queue=local.queue)
    _, reqs = comp.reconcile(untracked, View(without_slice, s0.clock))
    assert [r.verb for r in reqs] == ["create"]


def test_endpointslice_controller_syncs_before_the_clock_moves() -> None:
    """The controller works its queue at once (``endpointUpdatesBatchPeriod`` 0): time does not
    advance past a pending sync."""
    m = model(pre_stop=5)
    s1, victim = delete_pod(m, m.initial())
    s1 = drain(m, s1, ())  # every event delivered, nobody reconciled
    assert s1.components[ES].local.queue
    assert m.step(s1, Action("tick")) is None
    s2 = run(m, s1, Action.of("reconcile", component=ES))
    assert conditions(s2)[victim.meta.name] == (False, True, True)


# -- kube-proxy -----------------------------------------------------------------------------


def test_kube_proxy_syncs_at_most_once_per_min_sync_period_and_no_later() -> None:
    """``BoundedFrequencyRunner`` with ``minSyncPeriod`` 1s: a change seen right after a sync is
    programmed at the next allowed time, and the clock cannot pass that time before it is."""
    m = model(pre_stop=5)
    s0 = m.initial()
    s1, victim = delete_pod(m, s0)
    s1 = drain(m, s1, (ES,))
    proxy = "kube-proxy/node-2"
    s1 = run(m, s1, Action.of("reconcile", component=proxy))
    synced_at = s1.components[proxy].local.last_sync
    assert synced_at == s1.clock and victim.meta.name not in table(s1, "node-2")
    # a second change at the same instant: a replacement pod appears and becomes ready
    others = tuple(f"kube-proxy/{n}" for n in NODES if n != "node-2")
    s2 = drain(m, s1, ("replicaset", "scheduler", "kubelet", ES))
    for name in others:  # the other kube-proxies program it (they are not rate limited)
        s2 = run(m, s2, Action.of("reconcile", component=name))
    assert len([e for e in the_slice(s2).endpoints if e.conditions.ready]) == 3
    assert m.step(s2, Action.of("reconcile", component=proxy)) is None  # rate limited
    ticked = run(m, s2, Action("tick"))
    assert ticked.clock == synced_at + 1
    assert m.step(ticked, Action("tick")) is None  # it must sync first
    s3 = run(m, ticked, Action.of("reconcile", component=proxy))
    assert len(table(s3, "node-2")) == 3


def test_kube_proxy_falls_back_to_serving_terminating_endpoints() -> None:
    """``CategorizeEndpoints`` (ProxyTerminatingEndpoints): with no ready endpoint left, kube-proxy
    routes to the endpoints that are serving and terminating. The ReplicaSet controller is held
    back (time may pass its pending work only with ``watchDelay``: a slow controller)."""
    m = model(pre_stop=5, faults={"watchDelay": 30})
    state = m.initial()
    names = sorted(p.meta.name for p in state.store.list("Pod"))
    for _ in names:
        state = run(m, state, Action.of("deletePod", target="ReplicaSet/web", index=0))
    state = drain(m, state, ("kubelet", ES, "kube-proxy"))  # no replacement is created yet
    state = run(m, state, Action("tick"))  # past kube-proxy's rate limit, within the preStop sleep
    state = drain(m, state, ("kubelet", ES, "kube-proxy"))
    assert state.clock < 10 + 5
    assert conditions(state) == {n: (False, True, True) for n in names}
    for n in NODES:
        assert table(state, n) == names


def test_fallback_to_terminating_endpoints_outlives_their_containers() -> None:
    """With every endpoint terminating, a preStop sleep does not help at the end: when the last
    containers stop (preStop over), kube-proxy still routes to them until it learns they are gone.
    This is why ``svc-delete-prestop`` deletes a pod only while another is ready. The ReplicaSet
    controller is held back, as above."""
    m = model(pre_stop=5, faults={"watchDelay": 30})
    state = m.initial()
    for _ in range(3):
        state = run(m, state, Action.of("deletePod", target="ReplicaSet/web", index=0))
    found = None
    for _ in range(10):
        state = drain(m, state, ("kubelet", ES, "kube-proxy"))
        state = run(m, state, Action("tick"))
        for n in NODES:  # the kubelets act first at this instant
            nxt = m.step(state, Action.of("reconcile", component=f"kubelet/{n}"))
            state = nxt if nxt is not None else state
        found = dead_requests(m, state)
        if found:
            break
    assert found, "the end-of-termination race should be reachable"
    bad = run(m, state, Action.of("request", target="Service/web", node=found[0][0], index=found[0][1]))
    assert "whose container is not running" in (no_traffic_to_dead_pods(bad) or "")


# -- the graceful-termination race ----------------------------------------------------------


def test_without_prestop_a_request_reaches_a_stopped_container() -> None:
    """The kubelet kills a deleted pod's container as soon as it sees the deletion (no preStop);
    kube-proxies still route to it until the EndpointSlice update reaches them."""
    m = model()
    s1, victim = delete_pod(m, m.initial())
    s1 = kubelet_acts(m, s1, victim.spec.node_name)
    assert s1.store.get(victim.key) is None  # stopped and confirmed with a grace-0 delete
    hits = dead_requests(m, s1)
    assert {n for n, _ in hits} == set(NODES)
    bad = run(m, s1, Action.of("request", target="Service/web", node=hits[0][0], index=hits[0][1]))
    msg = no_traffic_to_dead_pods(bad)
    assert msg is not None and victim.meta.name in msg
    # only the first such request is recorded; later ones change nothing
    assert dead_requests(m, bad) == []
    # once every kube-proxy has reprogrammed, no request reaches it
    assert dead_requests(m, drain(m, s1, (ES, "kube-proxy"))) == []


def test_with_prestop_the_container_outlives_its_endpoint() -> None:
    """A preStop sleep of 5s keeps the container running while the endpoint removal propagates."""
    m = model(pre_stop=5)
    s1, victim = delete_pod(m, m.initial())
    s1 = kubelet_acts(m, s1, victim.spec.node_name)
    assert dead_requests(m, s1) == []
    s2 = settled(m, s1)
    assert s2.store.get(victim.key) is None
    assert endpoints_converge(s2) is None and no_traffic_to_dead_pods(s2) is None


def test_keep_ready_refuses_to_delete_the_last_ready_pod() -> None:
    """``deletePod`` with ``keepReady: 1`` deletes a pod only while another one is Ready."""
    m = model(replicas=1, user=[{"op": "deletePod", "target": "ReplicaSet/web", "keepReady": 1}])
    s0 = m.initial()
    assert m.step(s0, Action.of("deletePod", target="ReplicaSet/web", index=0)) is None
    m2 = model(replicas=2, user=[{"op": "deletePod", "target": "ReplicaSet/web", "keepReady": 1}])
    s1 = run(m2, m2.initial(), Action.of("deletePod", target="ReplicaSet/web", index=0))
    assert m2.step(s1, Action.of("deletePod", target="ReplicaSet/web", index=0)) is None


# -- faults ---------------------------------------------------------------------------------


def test_node_crash_stops_its_kube_proxy_and_endpoints_converge() -> None:
    """A crashed node runs no kube-proxy and no client; its pods become not ready (node lifecycle
    ``MarkPodsNotReady``), then terminating; the replacements are routed to by every running
    kube-proxy. On recovery the kube-proxy starts empty and programs the current endpoints."""
    m = model(faults={"nodeCrash": 1}, user=[{"op": "request", "target": "Service/web"}])
    s0 = m.initial()
    node = "node-1"
    lost = {p.meta.name for p in s0.store.list("Pod") if p.spec.node_name == node}
    s1 = run(m, s0, Action.of("crash_node", node=node))
    assert not s1.components[f"kube-proxy/{node}"].up
    assert m.step(s1, Action.of("request", target="Service/web", node=node, index=0)) is None
    s2 = settled(m, s1)
    assert endpoints_converge(s2) is None
    for name in lost:
        assert conditions(s2)[name] == (False, False, True)  # not ready, not serving, terminating
    for n in ("node-2", "node-3"):
        assert not set(table(s2, n)) & lost and len(table(s2, n)) == 3
    s3 = settled(m, run(m, s2, Action.of("recover_node", node=node)))
    assert s3.components[f"kube-proxy/{node}"].up and len(table(s3, node)) == 3
    assert endpoints_converge(s3) is None


def test_partitioned_kube_proxy_keeps_stale_rules_until_healed() -> None:
    """A partition cuts the kube-proxy's watch like the kubelet's: it keeps routing with its last
    rules, so EndpointsConverge fails while the partition lasts; healing reconnects it."""
    m = model(faults={"nodePartition": 1}, user=[])
    s0 = m.initial()
    node = "node-3"
    outcome = settle(m, run(m, s0, Action.of("partition_node", node=node)))
    s1 = outcome.state
    assert outcome.settled and outcome.failure is not None and outcome.failure[0].name == "EndpointsConverge"
    assert m.step(s1, Action.of("deliver", component=f"kube-proxy/{node}")) is None
    msg = endpoints_converge(s1)
    assert msg is not None and f"kube-proxy/{node} (cut off" in msg
    s2 = settled(m, run(m, s1, Action.of("heal_node", node=node)))
    assert endpoints_converge(s2) is None


# -- headless Services and DNS --------------------------------------------------------------


def test_headless_service_resolves_to_ready_pod_ips_and_kube_proxy_ignores_it() -> None:
    """A headless Service's slice carries ``service.kubernetes.io/headless``, which kube-proxy's
    informers filter out; CoreDNS answers with the ready endpoints' addresses
    (``EndpointSliceToEndpoints`` skips not-ready ones); a ClusterIP Service resolves to its IP."""
    m = model(
        pre_stop=5,
        services=[service(), service("db", clusterIP="None")],
        user=[{"op": "deletePod", "target": "ReplicaSet/web"}, {"op": "request", "target": "Service/db"}],
    )
    s0 = m.initial()
    assert "coredns" in m.component_names
    db = the_slice(s0, "db")
    assert LABEL_HEADLESS in db.meta.labels
    assert all(("default", "db") not in s0.components[f"kube-proxy/{n}"].local.table for n in NODES)
    dns = View(s0.components["coredns"].cache, s0.clock)
    ips = sorted(pod_ip(p) or "" for p in s0.store.list("Pod"))
    answer = resolve(dns, "default", "db")
    assert isinstance(answer, tuple) and sorted(b.ip for b in answer) == ips
    assert resolve(dns, "default", "web") == s0.store.get(("Service", "default", "web")).spec.cluster_ip
    assert resolve(dns, "default", "nope") is None
    s1, victim = delete_pod(m, s0)
    s1 = drain(m, s1, (ES,))
    answer = resolve(View(s1.components["coredns"].cache, s1.clock), "default", "db")
    assert isinstance(answer, tuple) and victim.meta.name not in [b.pod_name for b in answer]


def test_headless_request_can_reach_a_stopped_container_through_a_stale_dns_answer() -> None:
    """Without preStop, CoreDNS's cache can still hand out a pod whose container has stopped."""
    m = model(
        services=[service("db", clusterIP="None")],
        user=[{"op": "deletePod", "target": "ReplicaSet/web"}, {"op": "request", "target": "Service/db"}],
    )
    s1, victim = delete_pod(m, m.initial())
    s1 = kubelet_acts(m, s1, victim.spec.node_name)
    hits = dead_requests(m, s1, "Service/db")
    assert hits
    bad = run(m, s1, Action.of("request", target="Service/db", node=hits[0][0], index=hits[0][1]))
    assert "through coredns" in (no_traffic_to_dead_pods(bad) or "")


def test_no_traffic_to_dead_pods_is_optional() -> None:
    """NoTrafficToDeadPods is checked only when a scenario names it; EndpointsConverge by default."""
    from kmodel.k8s import invariants

    data = {
        "apiVersion": "kmodel/v1",
        "kind": "Scenario",
        "spec": {"nodes": [{"name": "n", "capacity": {"cpu": "1", "memory": "1Gi"}}]},
    }
    names = [p.name for p in scenario_from_data(data, "t").model().properties()]
    assert "EndpointsConverge" in names and "NoTrafficToDeadPods" not in names
    assert invariants.BUILTIN["NoTrafficToDeadPods"].optional
