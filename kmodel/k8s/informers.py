"""Per-component views of the cluster: informer caches that lag behind the store.

A component never reads the store. It reads its cache, which is the store's state as of its
cursor (a revision ≤ head), restricted to the objects it watches. Delivering the next event is a
step of its own, so caches lag, as with client-go's ``SharedInformer`` / ``DeltaFIFO``
(``staging/src/k8s.io/client-go/tools/cache/shared_informer.go``). The component's event
handlers (``ResourceEventHandler``) run on delivery and may change its in-memory state, e.g.
ControllerExpectations or a work queue.

A component's writes carry the resourceVersion of the object it read from its cache, so writes
based on a stale view conflict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar

import attrs

from kmodel.core.fmap import FMap
from kmodel.k8s.objects import Key
from kmodel.k8s.store import Event, Request, Result, Store

Cache = FMap[str, FMap[tuple[str, str], Any]]
EMPTY_CACHE: Cache = FMap()


@attrs.frozen
class View:
    """What a component sees: its cache and its own clock."""

    cache: Cache
    now: int

    def list(self, kind: str) -> Iterator[Any]:
        objs = self.cache.get(kind)
        return iter(objs.values()) if objs else iter(())

    def get(self, key: Key) -> Any:
        objs = self.cache.get(key[0])
        return objs.get((key[1], key[2])) if objs else None


def cache_apply(cache: Cache, event: Event) -> Cache:
    kind, ns, name = event.key
    objs = cache.get(kind, FMap())
    if event.type == "DELETED":
        objs = objs.delete((ns, name))
    else:
        objs = objs.set((ns, name), event.obj)
    return cache.set(kind, objs)


def cache_from_store(store: Store, watches: Any, objects: Any = None) -> Cache:
    """A fresh LIST: every watched object as of the store's head (or of ``objects``, a past
    state served by a lagging API server)."""
    by_kind: dict[str, dict[tuple[str, str], Any]] = {}
    for (kind, ns, name), obj in (store.objects if objects is None else objects).items():
        if watches(obj):
            by_kind.setdefault(kind, {})[(ns, name)] = obj
    return FMap({k: FMap[tuple[str, str], Any](v) for k, v in by_kind.items()})


@attrs.frozen(cache_hash=True)  # states are hashed again and again by the explorer
class ComponentState:
    """A component's informer cursor and cache, its in-memory state, and whether it runs.

    ``skip`` holds revisions after the cursor already delivered out of order (a coalesced
    delivery jumps to an object's latest state); the cursor passes over them.
    """

    cursor: int
    cache: Cache
    local: Any
    up: bool = True
    skip: tuple[int, ...] = ()


class Component:
    """A control-plane or node component: a pure function of (its cache, its clock).

    Subclasses are frozen attrs classes holding configuration only; all state lives in
    ``ComponentState.local`` inside the cluster state.
    """

    name: str
    # True: the component owes its ``sync_deadline`` promptly, so the clock does not pass it
    # (the EndpointSlice controller, kube-proxies, leader electors; ``kmodel.k8s.steps.timing``)
    prompt: ClassVar[bool] = False
    # True: runs on a node (kubelets, kube-proxies, CoreDNS), never replicated by leader election
    node_side: ClassVar[bool] = False
    # True: ``choices`` may offer options (upstream picks at random), e.g. the scheduler's ties
    has_choices: ClassVar[bool] = False

    def host(self) -> str | None:
        """The node this component runs on and is cut off with by a partition (kubelets and
        kube-proxies); None for the control plane."""
        return None

    def watches(self, obj: Any) -> bool:
        raise NotImplementedError

    def initial_local(self) -> Any:
        raise NotImplementedError

    def on_event(self, local: Any, event: Event, old: Any, view: View) -> Any:
        """Event handler run when ``event`` is delivered; ``old`` is the cached object before."""
        return local

    def reconcile(self, local: Any, view: View) -> tuple[Any, list[Request]]:
        """One reconcile: the new local state and the API requests to send, in order."""
        raise NotImplementedError

    def on_relist(self, local: Any, view: View) -> Any:
        """Called after the cache was replaced by a fresh LIST (start, restart, or a watch too
        old to resume): the ``Replace`` of client-go's DeltaFIFO. Default: nothing."""
        return local

    def on_result(self, local: Any, req: Request, result: Result, view: View) -> Any:
        """Called with each request's result, in order."""
        return local

    def next_deadline(self, local: Any, view: View) -> int | None:
        """The earliest future time at which this component has a timer to act on."""
        return None

    def settle_deadline(self, local: Any, view: View) -> int | None:
        """The latest pending timer that could still change the cluster (not heartbeats): the
        settle phase does not end before it (component clock). Default: none."""
        return None

    def settle_until(self, local: Any, truth: Any, offset: int) -> int | None:
        """For the settle phase only, never for behaviour: the latest true time at which a timer in
        ``local`` could still change a quiescent cluster, given the true cluster state ``truth``
        (a ``kmodel.k8s.state.ClusterState``) and the component's clock ``offset``; asked whether
        or not the component runs (e.g. a kubelet's container restarts). Default: none."""
        return None

    def sync_deadline(self, local: Any, view: View) -> int | None:
        """For a ``prompt`` component: the time by which it must act on pending work. Default: none."""
        return None

    def choices(self, local: Any, view: View) -> tuple[str, ...]:
        """Where upstream picks at random, the options this reconcile has, the default first (the
        scheduler's top-scoring nodes in a tie), else (). Default: no choice.

        A component with ``has_choices`` gets the ``choice`` action ``reconcile(component=NAME,
        node=N)`` (``kmodel.k8s.cluster.ClusterModel.action_space``), enabled when N is one of
        its options other than the default and taken with ``reconcile_choosing``: ``check``
        draws it, ``explore`` branches on it, traces replay it; the plain reconcile and the
        settle phase keep the default. Where upstream is random or unordered and kmodel fixes
        an order:

        - the scheduler's tie among top-scoring nodes (``pkg/scheduler/schedule_one.go:
          selectHost``; ``controllers/scheduler.py: select_host``): a choice;
        - the client's backend of a Service (kube-proxy's random iptables/IPVS pick): already the
          adversary's, the ``index`` of the user step ``request`` (``kmodel.k8s.userops``);
        - which of a ReplicaSet's equal-rank pods are deleted (``getPodsToDelete``, an unstable
          sort of lister order; ``controllers/replicaset.py: deletion_rank``, by name), the
          scheduling queue's order of equal-timestamp pods (``_pending``, by name) and a
          kubelet's or the disruption controller's pod order: fixed by name. The options are
          pods with generated names, not a fixed list of stable names, so a choice would need a
          positional argument whose meaning shifts when shrinking deletes a step; the explorer's
          pod frames (``--symmetry``: ``ExploreView._framed``) take every other name order of
          interchangeable pods instead;
        - the node lifecycle controller's node order (``monitorNodeHealth`` over the lister;
          ``controllers/nodelifecycle.py``, by name) and an EndpointSlice's endpoint order
          (``controllers/endpointslice.py``): fixed. Node updates of one reconcile are
          independent writes (their order shows only to a crash after k writes, whose ``after``
          is already the adversary's), and kube-proxy reads endpoints as a set;
        - the cluster autoscaler's node group (the default ``random`` expander;
          ``controllers/autoscaler.py``, by name): fixed, since each shipped scenario has one
          node group; a choice would need a ``group`` argument beside ``node``;
        - the Deployment controller's order of equal ReplicaSets (``ReplicaSetsBySizeNewer`` /
          ``BySizeOlder``): not random upstream (ties fall to creation time, then name, as in
          ``controllers/deployment.py: by_creation``).
        """
        return ()

    def reconcile_choosing(self, local: Any, view: View, choice: str) -> tuple[Any, list[Request]]:
        """``reconcile`` taking ``choice``, one of ``choices`` other than the first."""
        raise NotImplementedError


def _no_durations(config: Any) -> Iterable[int]:
    return ()


def _no_horizons(config: Any) -> Iterable[tuple[str, int]]:
    return ()


@attrs.frozen
class ComponentSpec:
    """How the model includes one upstream component; ``kmodel.k8s.components.BUILTIN`` lists them.

    - ``build(config)``: the components a scenario (a ``kmodel.k8s.state.ClusterConfig``) needs,
      in order; none where the component would only add steps (e.g. no Deployment controller
      without a Deployment, since users cannot create one mid-run).
    - ``durations(config)``: the longest durations its timers and comparisons look back, for the
      explorer's time abstraction horizon (``kmodel.k8s.abstraction``); counted whether or not
      ``build`` returns anything.
    - ``horizons(config)``: (group, seconds) for the time groups it compares with the clock
      (``kmodel.k8s.abstraction.PROBE`` and the like).
    - ``node_side``: runs on the nodes (kubelets, kube-proxies, CoreDNS), so leader election
      never replicates it.
    """

    name: str
    build: Callable[[Any], Sequence[Component]]
    durations: Callable[[Any], Iterable[int]] = _no_durations
    horizons: Callable[[Any], Iterable[tuple[str, int]]] = _no_horizons
    node_side: bool = False
