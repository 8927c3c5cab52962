"""Symmetry reduction over interchangeable nodes, for the explorer (``representative``).

Two nodes are *interchangeable* when nothing in the scenario tells them apart but their names:
same capacity and allocatable, same labels (other than ``kubernetes.io/hostname``, which is the
name), same taints and ``spec.unschedulable``, no node group, and no object or user step that
names them (a ``nodeSelector`` on the hostname, a ``matchFields`` term, ``cordon node-1``,
``drain node-2``). Renaming interchangeable nodes consistently everywhere — Node objects,
``pod.spec.nodeName``, the node Leases in ``kube-node-lease``, the components ``kubelet/NODE``
and ``kube-proxy/NODE`` and their states, ``nodes_up``, ``partitioned``, ``lost``, caches, component
memory, watch events, the monitor's messages — gives a state that behaves the same up to that
renaming. A node's identity is more than its name: its Node and Lease objects were created one
after the other, so they carry different uids; a renaming maps those uids along with the names
(they are only compared for equality, and Nodes and node Leases are never recreated in a scope
without node groups). ``representative(state)`` picks one member of each such class: the renaming (a product
of permutations of each class; 3 identical nodes → 6) whose renamed state has the smallest
``repr`` (process-independent: frozen attrs classes, sorted ``FMap``s, strings and ints).

What makes it sound (checked by ``tests/test_symmetry.py``: along random walks, the successors
of a renamed state are the renamed successors, up to ``abstract`` and this representative, and
every property gives the same verdict):

- **Scheduler ties.** Upstream ``selectHost`` (``pkg/scheduler/schedule_one.go``) picks
  uniformly at random among the top-scoring nodes (reservoir sampling). kmodel's plain
  ``reconcile(component=scheduler)`` keeps its fixed choice (lowest name; ``kmodel check`` and
  its draws are unchanged), and in ``actions(state)`` — the explorer's successor list, not the
  Hypothesis action space — a tie adds ``reconcile(component=scheduler, node=N)`` for every
  other top-scoring node N. The set of successors is then closed under renaming.
- **Name-ordered writes.** The node lifecycle controller updates the nodes it must mark Unknown
  or (un)taint in name order within one reconcile, so when two nodes change in the same
  reconcile their resourceVersions are ordered by name; a renaming does not commute with that
  (upstream runs ``monitorNodeHealth`` over the lister's unordered list with parallel workers, so
  any order is legal, but kmodel lists only one). Two nodes change in one reconcile only when
  two nodes can be silent at once, so the reduction is turned **off** when ``nodeCrash`` +
  ``nodeLoss`` + ``nodePartition`` budgets exceed 1, rather than enumerating write orders.
- **Creation order.** The Nodes and their Leases are created (and later rewritten) one after
  the other, so their resourceVersions are ordered by name at first. A resourceVersion of a Node
  or node Lease that is older than every revision a component or the watch log still holds
  (cursors, the compaction point, the scheduler's retry marks) is only ever compared for
  equality (with a cached copy, or as an update's precondition), so those old revisions are
  renumbered canonically after renaming: the same set of numbers, handed out in the order their
  objects are met walking the store by key, then the caches (``_canonical_old_revisions``).
  Revisions of EndpointSlices and leader-election Leases are compared by order upstream and are
  never touched.
- **Other name orders** that reach the state: none found. The ReplicaSet controller ranks pods by
  whether they are assigned, not by node; ``crash_container`` indexes the node's pods by pod
  name; endpoints are sorted by pod name; invariants iterate nodes by name but only their
  message text (not their verdict) depends on that order, and the explorer re-executes
  counterexamples on concrete states before reporting them.

Turned off (``representative`` returns the state itself) when fewer than 2 nodes are
interchangeable, or the scenario has user controllers (their memory may hold node names in forms
this module cannot see), node groups (the cluster autoscaler adds and removes named nodes) or
more than one node-silencing fault (above).

Fairness caveat: the explorer checks weak fairness on the quotient graph, where an edge's action
is named in its source representative's frame; lassos are re-executed on concrete states and
re-checked for fairness before they are reported (``lasso_violation``), so a reported liveness
violation is real.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

import attrs

from kmodel.core.evolve import remap
from kmodel.core.fmap import FMap
from kmodel.k8s.controllers.kubelet import NODE_LEASE_NAMESPACE
from kmodel.k8s.objects import Node

HOSTNAME_LABEL = "kubernetes.io/hostname"
NODE_SILENCING_FAULTS = ("nodeCrash", "nodeLoss", "nodePartition")
CACHE_LIMIT = 400_000

_SCALARS = (int, bool, float, type(None))


def interchangeable_classes(config: Any) -> tuple[tuple[str, ...], ...]:
    """The classes (each sorted, at least 2 nodes) of the scenario's interchangeable nodes, in
    order of their first member; empty when the reduction must stay off (module docstring)."""
    if config.controllers or config.node_groups:
        return ()
    faults = dict(config.faults)
    if sum(faults.get(f, 0) for f in NODE_SILENCING_FAULTS) > 1:
        return ()
    named = repr((config.objects, config.user))
    groups: dict[str, list[str]] = {}
    for node in config.nodes:
        name = node.meta.name
        if _mentions(named, name):
            continue  # something in the scenario names this node: it is not like the others
        groups.setdefault(_signature(node), []).append(name)
    classes = [tuple(sorted(g)) for g in groups.values() if len(g) >= 2]
    return tuple(sorted(classes))


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])", text) is not None


def _signature(node: Node) -> str:
    """Everything about a node but its name (and the hostname label, which is the name)."""
    labels = FMap((k, v) for k, v in node.meta.labels.items() if k != HOSTNAME_LABEL)
    return repr((labels, node.meta.annotations, node.spec, node.status))


class NodeSymmetry:
    """``representative(state)`` for one scenario's classes of interchangeable nodes.

    ``identities`` maps each node to the uids that go with it (its Node's and its Lease's).
    Renamings are applied bottom-up with a per-renaming cache keyed by object identity (states
    share almost all their objects with their predecessors; the cache holds the objects, so an
    id is never reused while cached), and the last representatives are remembered by state (the
    explorer meets most states again and again). The caches are outside the model state and
    change no result."""

    def __init__(
        self, classes: Sequence[tuple[str, ...]], identities: dict[str, tuple[str, ...]] | None = None
    ) -> None:
        self.classes = tuple(classes)
        ids = identities or {}
        names = sorted({n for c in self.classes for n in c}, key=lambda n: (-len(n), n))
        alternatives = "|".join(re.escape(n) for n in names)
        self._pattern = re.compile(rf"(?<![\w.-])({alternatives})(?![\w.-])") if names else None
        per_class = [[dict(zip(c, p, strict=True)) for p in itertools.permutations(c)] for c in self.classes]
        self.renamings: list[dict[str, str]] = []
        for combo in itertools.product(*per_class):
            mapping: dict[str, str] = {}
            for m in combo:
                for a, b in m.items():
                    if a == b:
                        continue
                    mapping[a] = b
                    for ua, ub in zip(ids.get(a, ()), ids.get(b, ()), strict=True):
                        mapping[ua] = ub
            if mapping:
                self.renamings.append(mapping)
        self._caches: list[dict[int, tuple[Any, Any]]] = [{} for _ in self.renamings]
        self._strings: list[dict[str, str]] = [{} for _ in self.renamings]
        self._seen: dict[Any, Any] = {}

    @property
    def active(self) -> bool:
        return bool(self.renamings)

    def representative(self, state: Any) -> Any:
        if not self.renamings:
            return state
        hit = self._seen.get(state)
        if hit is not None:
            return hit
        if len(self._seen) > CACHE_LIMIT:
            self._seen.clear()
        best = _canonical_old_revisions(state)
        best_key = repr(best)
        for i in range(len(self.renamings)):
            cand = _canonical_old_revisions(self.rename(state, i))
            key = repr(cand)
            if key < best_key:
                best, best_key = cand, key
        self._seen[state] = best
        return best

    def rename(self, value: Any, index: int) -> Any:
        """``value`` with the nodes renamed by ``self.renamings[index]``."""
        cache = self._caches[index]
        if len(cache) > CACHE_LIMIT:
            cache.clear()
        return _Renamer(self._pattern, self.renamings[index], cache, self._strings[index]).map(value)


class _Renamer:
    def __init__(
        self,
        pattern: re.Pattern[str] | None,
        mapping: dict[str, str],
        cache: dict[int, tuple[Any, Any]],
        strings: dict[str, str],
    ) -> None:
        self.pattern = pattern
        self.mapping = mapping
        self.cache = cache
        self.strings = strings

    def string(self, s: str) -> str:
        got = self.strings.get(s)
        if got is None:
            got = self.mapping.get(s)
            if got is None:
                assert self.pattern is not None
                got = self.pattern.sub(lambda m: self.mapping.get(m.group(1), m.group(1)), s)
            self.strings[s] = got
        return got

    def map(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.string(value)
        if isinstance(value, _SCALARS):
            return value
        key = id(value)
        hit = self.cache.get(key)
        if hit is not None and hit[0] is value:
            return hit[1]
        out = self._map(value)
        self.cache[key] = (value, out)
        return out

    def _map(self, value: Any) -> Any:
        return remap(value, self.map)


def _is_node_object(obj: Any) -> bool:
    kind = getattr(obj, "KIND", None)
    return kind == "Node" or (kind == "Lease" and obj.meta.namespace == NODE_LEASE_NAMESPACE)


def _live_revision_floor(state: Any) -> int:
    """The lowest revision anything but an object's own resourceVersion holds: the watch log's
    compaction point, the head, component cursors and skips, and revisions in component memory
    (fields declared ``rev`` / ``revs`` / ``rev-values`` in ``kmodel.k8s.abstraction.FIELDS``)."""
    from kmodel.k8s.abstraction import FIELDS, REV, REV_VALUES, REVS

    store = state.store
    low = store.events[0].revision - 1 if store.events else store.revision
    for cs in state.components.values():
        low = min([low, cs.cursor, *cs.skip])
        local = cs.local
        if local is None or not attrs.has(type(local)):
            continue
        for name, kind in FIELDS.get(type(local).__name__, {}).items():
            v = getattr(local, name)
            if kind == REV:
                low = min(low, v)
            elif kind == REVS:
                low = min([low, *v])
            elif kind == REV_VALUES:
                low = min([low, *(x for x in v.values() if x >= 0)])
    return low


def _canonical_old_revisions(state: Any) -> Any:
    """Renumber the old resourceVersions of Nodes and node Leases (module docstring): those below
    ``_live_revision_floor`` keep their set of values, handed out in the order the objects are
    met (store by key, then each component's cache by component, kind and key)."""
    floor = _live_revision_floor(state)
    order: list[int] = []
    seen: set[int] = set()

    def meet(obj: Any) -> None:
        rv = obj.meta.resource_version
        if rv < floor and rv not in seen and _is_node_object(obj):
            seen.add(rv)
            order.append(rv)

    for obj in state.store.objects.values():
        meet(obj)
    for cs in state.components.values():
        for kind in ("Lease", "Node"):
            objs = cs.cache.get(kind)
            if objs:
                for obj in objs.values():
                    meet(obj)
    for ev in state.store.events:
        for obj in (ev.obj, ev.prev):
            if obj is not None and getattr(obj, "meta", None) is not None:
                meet(obj)
    mapping = {a: b for a, b in zip(order, sorted(order), strict=True) if a != b}
    if not mapping:
        return state
    return _Renumber(mapping).map(state)


class _Renumber:
    """Replace Node / node-Lease resourceVersions by ``mapping`` everywhere in a state."""

    def __init__(self, mapping: dict[int, int]) -> None:
        self.mapping = mapping
        self.memo: dict[int, tuple[Any, Any]] = {}

    def map(self, value: Any) -> Any:
        if isinstance(value, str | int | bool | float | type(None)):
            return value
        hit = self.memo.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        out = self._map(value)
        self.memo[id(value)] = (value, out)
        return out

    def _map(self, value: Any) -> Any:
        if _is_node_object(value):
            new = self.mapping.get(value.meta.resource_version)
            if new is None:
                return value
            return attrs.evolve(value, meta=attrs.evolve(value.meta, resource_version=new))
        if type(value).__name__ in ("Node", "Lease", "Pod", "ObjectMeta"):
            return value
        return remap(value, self.map)


def node_symmetry(config: Any, initial: Any) -> NodeSymmetry:
    """The reduction for a scenario (``config``) whose initial state is ``initial``."""
    classes = interchangeable_classes(config)
    identities: dict[str, tuple[str, ...]] = {}
    for c in classes:
        for name in c:
            node = initial.store.get(("Node", "", name))
            lease = initial.store.get(("Lease", NODE_LEASE_NAMESPACE, name))
            identities[name] = (node.meta.uid, lease.meta.uid if lease is not None else "")
    return NodeSymmetry(classes, identities)
