"""The Service data plane: kube-proxy on each node, CoreDNS, and a client's request.

**kube-proxy** (``pkg/proxy/`` in kubernetes/kubernetes; one per node, component
``kube-proxy/<node>``):

- Its informers watch Services and EndpointSlices through the label selector
  ``!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless``
  (``cmd/kube-proxy/app/server.go``), so headless Services' slices never reach it, and the proxier
  skips Services without a cluster IP (``ShouldSkipService``: ``!IsServiceIPSet``).
- Every EndpointSlice change calls ``proxier.Sync()`` (``OnEndpointSliceUpdate``), which runs
  ``syncProxyRules`` through a ``BoundedFrequencyRunner`` (``pkg/util/async/
  bounded_frequency_runner.go``): at most once per ``minSyncPeriod`` (iptables mode default 1s,
  ``pkg/proxy/apis/config/v1alpha1/defaults.go: SetDefaults_KubeProxyConfiguration``), and as soon
  as that allows. One reconcile is one ``syncProxyRules``: the programmed table (its local state)
  becomes, per Service, the endpoints of its slices in the cache (merged across slices, as
  ``pkg/proxy/endpointslicecache.go`` does, by address) chosen as ``pkg/proxy/topology.go:
  CategorizeEndpoints`` does for the Cluster traffic policy: the ready endpoints, or, when there
  are none, the serving-and-terminating ones (ProxyTerminatingEndpoints, GA in v1.28).
  ``syncPeriod`` (30s) re-syncs change nothing the model sees. Topology hints, Local traffic
  policies, NodePorts and conntrack are not modelled.
- Promptness: kube-proxy must have synced a pending change by ``last sync + minSyncPeriod``
  (``sync_deadline``; the cluster's tick waits for it). The only lag the adversary controls is the
  informer's within an instant, plus up to 1s of rate limiting.
- It runs while its node is up: a node crash stops it and wipes its rules (they live in the node's
  kernel); it restarts empty and relists on recovery. A partition cuts its watch like the kubelet's,
  and its stale rules keep routing — the data plane does not need the API server.

**CoreDNS** (the ``kubernetes`` plugin of coredns/coredns, component ``coredns``, present only when a
headless Service exists): it answers from its informer cache, so a query's answer is a function of
the cache and it has nothing to reconcile. A ClusterIP Service's name resolves to its cluster IP; a
headless Service's to the addresses of its ready endpoints
(``plugin/kubernetes/object/endpoint.go: EndpointSliceToEndpoints`` skips endpoints whose
``ready`` is false). Client-side DNS caching (TTL 5s) is not modelled.

**A client request** ``request(target=Service/web, node, index)``: a client pod on ``node`` sends
one request to the Service. For a ClusterIP Service it goes through that node's kube-proxy table;
for a headless one it connects to an address from CoreDNS's answer. The ``index``-th backend (by
pod name, modulo the number of backends) receives it: upstream picks one at random (iptables
``statistic --mode random``), kmodel lets the adversary pick which, deterministically. A request
with no backend is rejected at the client (no traffic reaches a pod). The request records whether
the backend pod's container was running at that instant, from the kubelet's runtime on the pod's
node (a crashed node runs nothing).

**ClusterIP allocation** (the API server's ``pkg/registry/core/service/ipallocator``:
``Range.AllocateNext`` picks a free address of the service CIDR, not in order): kmodel gives the
n-th Service without a ``clusterIP`` the n-th free address from ``10.96.0.10`` on, in the order the
scenario creates them, so runs are reproducible.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s import abstraction
from kmodel.k8s.controllers.endpointslice import LABEL_HEADLESS, LABEL_SERVICE_NAME, EndpointSliceController
from kmodel.k8s.informers import Component, ComponentSpec, View
from kmodel.k8s.objects import Endpoint, EndpointSlice, Service
from kmodel.k8s.store import Request

MIN_SYNC_PERIOD = 1  # iptables.minSyncPeriod default (seconds)
SERVICE_PROXY_NAME = "service.kubernetes.io/service-proxy-name"
SERVICE_CIDR_BASE = "10.96.0."
FIRST_CLUSTER_IP = 10  # 10.96.0.1 is the `kubernetes` Service's, 10.96.0.10 kube-dns's in kubeadm clusters
COREDNS = "coredns"

SvcKey = tuple[str, str]


@attrs.frozen(order=True)
class Backend:
    """One programmed endpoint: the pod behind an address."""

    pod_name: str
    pod_uid: str
    ip: str
    node: str


def usable_endpoints(endpoints: Iterable[Endpoint]) -> tuple[Backend, ...]:
    """``CategorizeEndpoints`` (Cluster traffic policy, no topology): ready endpoints, else the
    serving and terminating ones. Merged by address, sorted by pod name."""
    by_ip: dict[str, Endpoint] = {}
    for ep in endpoints:
        for ip in ep.addresses:
            by_ip.setdefault(ip, ep)
    eps = list(by_ip.items())
    chosen = [(ip, ep) for ip, ep in eps if ep.conditions.ready]
    if not chosen:
        chosen = [(ip, ep) for ip, ep in eps if ep.conditions.serving and ep.conditions.terminating]
    return tuple(sorted(Backend(ep.pod_name, ep.pod_uid, ip, ep.node_name) for ip, ep in chosen))


def _slices_of(slices: Iterable[EndpointSlice], namespace: str, name: str) -> list[EndpointSlice]:
    return [s for s in slices if s.meta.namespace == namespace and s.meta.labels.get(LABEL_SERVICE_NAME) == name]


def programmed_table(services: Iterable[Service], slices: Iterable[EndpointSlice]) -> FMap[SvcKey, tuple[Backend, ...]]:
    """What ``syncProxyRules`` programs from a cache: per Service with a cluster IP, its backends."""
    slices = list(slices)
    table: dict[SvcKey, tuple[Backend, ...]] = {}
    for svc in services:
        if not svc.spec.cluster_ip or svc.spec.headless():
            continue
        eps = [ep for s in _slices_of(slices, svc.meta.namespace, svc.meta.name) for ep in s.endpoints]
        table[(svc.meta.namespace, svc.meta.name)] = usable_endpoints(eps)
    return FMap(table)


@abstraction.declare(fields={"last_sync": abstraction.TIME})
@attrs.frozen
class ProxyLocal:
    """The programmed rules (per Service, its backends) and when they were last synced."""

    table: FMap[SvcKey, tuple[Backend, ...]] = FMap()
    last_sync: int | None = None


@attrs.frozen
class KubeProxy(Component):
    node: str
    min_sync_period: int = MIN_SYNC_PERIOD
    node_side = True
    prompt = True
    # the table last computed and the cache it came from (a cache outside the model state)
    _memo: list[Any] = attrs.field(factory=list, init=False, eq=False, repr=False, hash=False)

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"kube-proxy/{self.node}"

    def host(self) -> str:
        return self.node

    def watches(self, obj: Any) -> bool:
        if isinstance(obj, Service | EndpointSlice):
            labels = obj.meta.labels
            return SERVICE_PROXY_NAME not in labels and LABEL_HEADLESS not in labels
        return False

    def initial_local(self) -> ProxyLocal:
        return ProxyLocal()

    def _wanted(self, view: View) -> FMap[SvcKey, tuple[Backend, ...]]:
        if self._memo and self._memo[0] is view.cache:
            return self._memo[1]  # type: ignore[no-any-return]
        table = programmed_table(view.list("Service"), view.list("EndpointSlice"))
        self._memo[:] = [view.cache, table]
        return table

    def _earliest(self, local: ProxyLocal, now: int) -> int:
        return now if local.last_sync is None else max(now, local.last_sync + self.min_sync_period)

    def reconcile(self, local: ProxyLocal, view: View) -> tuple[ProxyLocal, list[Request]]:
        table = self._wanted(view)
        if table == local.table or view.now < self._earliest(local, view.now):
            return local, []
        return attrs.evolve(local, table=table, last_sync=view.now), []

    def sync_deadline(self, local: ProxyLocal, view: View) -> int | None:
        """By when (component clock) the pending change must be programmed, or None."""
        if self._wanted(view) == local.table:
            return None
        return self._earliest(local, view.now)

    def next_deadline(self, local: ProxyLocal, view: View) -> int | None:
        t = self.sync_deadline(local, view)
        return t if t is not None and t > view.now else None

    def settle_deadline(self, local: ProxyLocal, view: View) -> int | None:
        return self.sync_deadline(local, view)


@attrs.frozen
class CoreDNS(Component):
    """CoreDNS's ``kubernetes`` plugin: a cache of Services and EndpointSlices, nothing to sync."""

    name: str = COREDNS
    node_side = True

    def watches(self, obj: Any) -> bool:
        return isinstance(obj, Service | EndpointSlice)

    def initial_local(self) -> tuple[()]:
        return ()

    def reconcile(self, local: Any, view: View) -> tuple[Any, list[Request]]:
        return local, []


def resolve(view: View, namespace: str, name: str) -> tuple[Backend, ...] | str | None:
    """CoreDNS's answer for ``<name>.<namespace>.svc``: the cluster IP (a string) of a ClusterIP
    Service, the ready backends of a headless one, None when it knows no such Service (NXDOMAIN)."""
    svc = view.get(("Service", namespace, name))
    if svc is None:
        return None
    if not svc.spec.headless():
        return svc.spec.cluster_ip
    eps = [ep for s in _slices_of(view.list("EndpointSlice"), namespace, name) for ep in s.endpoints]
    return tuple(b for b in usable_endpoints(ep for ep in eps if ep.conditions.ready))


@attrs.frozen
class Routed:
    """Where a request went: the backend, through what (``kube-proxy/<node>`` or ``coredns``), and
    whether the backend's container was running."""

    backend: Backend
    via: str
    running: bool


def route_request(state: Any, service: Service, node: str, index: int) -> Routed | None:
    """Route one request from a client on ``node``; None when it reaches no pod (the client's node
    is down, its kube-proxy has no rules for the Service, or DNS gives no address)."""
    if not state.nodes_up.get(node, False):
        return None
    ns, name = service.meta.namespace, service.meta.name
    if service.spec.headless():
        dns = state.components.get(COREDNS)
        if dns is None or not dns.up:
            return None
        answer = resolve(View(dns.cache, state.clock), ns, name)
        backends = answer if isinstance(answer, tuple) else ()
        via = COREDNS
    else:
        via = f"kube-proxy/{node}"
        proxy = state.components.get(via)
        if proxy is None or not proxy.up:
            return None
        backends = proxy.local.table.get((ns, name), ())
    if not backends:
        return None
    backend = backends[index % len(backends)]
    return Routed(backend, via, container_running(state, backend))


def container_running(state: Any, backend: Backend) -> bool:
    """Whether the pod's containers run right now, as its node's runtime says."""
    if not state.nodes_up.get(backend.node, False):
        return False
    kubelet = state.components.get(f"kubelet/{backend.node}")
    if kubelet is None or not kubelet.up:
        return False
    rt = kubelet.local.pods.get(backend.pod_uid)
    return rt is not None and rt.running


def service_components(objects: Iterable[Any], nodes: Iterable[str]) -> list[Component]:
    """The components Services need, when the scenario has a Service (none otherwise): the
    EndpointSlice controller, one kube-proxy per node and, for a headless Service, CoreDNS."""
    services = [o for o in objects if isinstance(o, Service)]
    if not services:
        return []
    comps: list[Component] = [EndpointSliceController()]
    comps.extend(KubeProxy(node=n) for n in nodes)
    if any(s.spec.headless() for s in services):
        comps.append(CoreDNS())
    return comps


def allocate_cluster_ips(objects: Iterable[Any]) -> tuple[Any, ...]:
    """Give every Service without a ``clusterIP`` the next free address (see the module docstring);
    other objects are returned unchanged."""
    objs = tuple(objects)
    taken = {o.spec.cluster_ip for o in objs if isinstance(o, Service) and o.spec.cluster_ip}
    out = []
    n = FIRST_CLUSTER_IP
    for o in objs:
        if isinstance(o, Service) and not o.spec.cluster_ip:
            while f"{SERVICE_CIDR_BASE}{n}" in taken:
                n += 1
            ip = f"{SERVICE_CIDR_BASE}{n}"
            taken.add(ip)
            o = attrs.evolve(o, spec=attrs.evolve(o.spec, cluster_ip=ip))
        out.append(o)
    return tuple(out)


__all__ = [
    "Backend",
    "CoreDNS",
    "KubeProxy",
    "ProxyLocal",
    "Routed",
    "allocate_cluster_ips",
    "programmed_table",
    "resolve",
    "route_request",
    "service_components",
    "usable_endpoints",
]


# Service discovery only where a Service exists: elsewhere it would only add steps
SPEC = ComponentSpec(
    "service-discovery",
    build=lambda config: service_components(config.objects, [n.meta.name for n in config.nodes]),
)
