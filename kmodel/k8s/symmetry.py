"""Symmetry reduction over interchangeable nodes and pods, for the explorer (``representative``).

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
  the other, so their resourceVersions are ordered by name at first. A resourceVersion of a Node,
  node Lease or Pod that is older than every revision a component, a monitor or the watch log
  still holds (cursors, skips, the compaction point, the scheduler's retry marks, declared
  revisions in component memory and monitor records) is only ever compared for equality (with a
  cached copy, or as an update's precondition), so those old revisions are renumbered
  canonically after renaming (``Symmetry._canonical_old_revisions``): the old revisions of all
  objects keep their set of numbers; the Node / node-Lease / Pod ones take the lowest, in the
  order their objects are met walking the store by key, then the caches, the watch log and
  component memory, and the other objects' old revisions (EndpointSlices and leader-election
  Leases are compared by order upstream) keep their order above them.
- **Other name orders** of nodes that reach the state: none found. The ReplicaSet controller ranks pods by
  whether they are assigned, not by node; ``crash_container`` indexes the node's pods by pod
  name; endpoints are sorted by pod name; invariants iterate nodes by name but only their
  message text (not their verdict) depends on that order, and the explorer re-executes
  counterexamples on concrete states before reporting them.

**Pods.** Pods whose names were generated (``generateName`` plus five characters) by the
same owner (namespace, generateName, controller uid) and that the scenario does not name are
interchangeable too (``pod_classes``); a renaming moves a pod's name and uid together, in the
store, caches, events, kubelet runtimes, EndpointSlices, component memory and messages.
``_pod_labellings`` picks the canonical one cheaply: in each class pods are sorted by a
name-free signature (the pod object without name, uid and resourceVersion) and take the class's
names in order; only pods whose signatures tie are tried in every order. Soundness needs the
successor relation closed under these renamings, and kmodel's components break ties by name in
many places (a kubelet writes its pods' statuses in (creation time, name) order, the scheduler's
queue, the ReplicaSet's deletion ranks and adoption patches, EndpointSlice endpoint order, node
lifecycle evictions, drain). Rather than hunt each one, every step is also taken **in every
other frame** (``kmodel.k8s.explore_view.ExploreView._framed``): ``frame=a:b,b:a`` renames the pods, takes the step and
renames back, i.e. the same component logic with the pods' names in another order. That is
upstream behaviour: generated names end in five random characters
(``staging/src/k8s.io/apiserver/pkg/storage/names/generate.go: simpleNameGenerator.GenerateName``), so
any name order between two pods of one ReplicaSet is as likely as any other, and upstream
``creationTimestamp`` has one-second resolution, so kmodel's ``(creation time, name)`` orders tie
upstream too. One over-approximation is known: upstream's scheduling queue breaks priority ties
by the time a pod entered the queue (``queuesort/priority_sort.go: Less``), so of two pods
created in different slow-start batches (``replica_set.go: slowStartBatch``; pods of one batch
are created concurrently) the earlier one goes first; in a frame the other may. Frames are
listed only with ``ExploreView.ties`` (the explorer with symmetry on), so ``check`` and its
draws are unchanged. Cost: k pods of one class give k! - 1 frames per step; past
``MAX_POD_CLASS`` (4) pods of one class at once ``PodScopeError`` is raised and
``kmodel.api.explore`` starts again without pod symmetry (and says so). Pods are not renamed
with user controllers or user invariants (they may use pod names in ways this module cannot
see).

Turned off (``representative`` returns the state itself) when fewer than 2 nodes are
interchangeable, or the scenario has user controllers (their memory may hold node names in forms
this module cannot see), node groups (the cluster autoscaler adds and removes named nodes), a
DaemonSet (its controller walks the nodes by name: which node's pod goes in which slow-start
batch, and so which generated name it gets and which create a failed batch skips, follows the
node names; not analysed yet) or more than one node-silencing fault (above).

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

from kmodel.core.evolve import MemoMap, attrs_fields_in, remap
from kmodel.core.fmap import FMap
from kmodel.k8s.abstraction import REV, REV_VALUES, REVS, declared_kinds
from kmodel.k8s.controllers.kubelet import NODE_LEASE_NAMESPACE
from kmodel.k8s.objects import Node, ObjectMeta

HOSTNAME_LABEL = "kubernetes.io/hostname"
NODE_SILENCING_FAULTS = ("nodeCrash", "nodeLoss", "nodePartition")
CACHE_LIMIT = 400_000


def interchangeable_classes(config: Any) -> tuple[tuple[str, ...], ...]:
    """The classes (each sorted, at least 2 nodes) of the scenario's interchangeable nodes, in
    order of their first member; empty when the reduction must stay off (module docstring)."""
    if config.controllers or config.node_groups:
        return ()
    if any(getattr(o, "KIND", "") == "DaemonSet" for o in config.objects):
        return ()  # the DaemonSet controller's per-node creates follow node names (module docstring)
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


class Symmetry:
    """``representative(state)`` for one scenario's classes of interchangeable nodes and, when
    ``pods`` is on, of its pods with generated names (module docstring, "Pods").

    ``identities`` maps each node to the uids that go with it (its Node's and its Lease's).
    Renamings are applied bottom-up with a per-renaming cache keyed by object identity (states
    share almost all their objects with their predecessors; the cache holds the objects, so an
    id is never reused while cached), and the last representatives are remembered by state (the
    explorer meets most states again and again). The caches are outside the model state and
    change no result."""

    def __init__(
        self,
        classes: Sequence[tuple[str, ...]],
        identities: dict[str, tuple[str, ...]] | None = None,
        *,
        pods: bool = False,
        excluded: frozenset[str] = frozenset(),
    ) -> None:
        self.classes = tuple(classes)
        self.pods = pods
        self.excluded = excluded
        ids = identities or {}
        names = sorted({n for c in self.classes for n in c}, key=lambda n: (-len(n), n))
        self._pattern = _pattern(names) if names else None
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
        self._pod_renamers: dict[tuple[tuple[str, str], ...], _Renamer] = {}
        self._renumbers: dict[tuple[tuple[int, int], ...], _Renumber] = {}
        self._seen: dict[Any, Any] = {}

    @property
    def active(self) -> bool:
        return bool(self.renamings) or self.pods

    def representative(self, state: Any) -> Any:
        if not self.active:
            return state
        hit = self._seen.get(state)
        if hit is not None:
            return hit
        if len(self._seen) > CACHE_LIMIT:
            self._seen.clear()
        cands = [
            c
            for i in range(-1, len(self.renamings))
            for c in self._pod_labellings(state if i < 0 else self.rename(state, i))
        ]
        best, best_key = None, ""
        for cand in cands:
            cand = self._canonical_old_revisions(cand)
            if len(cands) == 1:
                best = cand  # one candidate: no repr to compare
                break
            key = repr(cand)
            if best is None or key < best_key:
                best, best_key = cand, key
        self._seen[state] = best
        return best

    def _canonical_old_revisions(self, state: Any) -> Any:
        """``state`` with its old revisions renumbered by ``_old_revision_mapping``; the
        renumbering walkers are kept across states (most states renumber the same way as their
        predecessors and share most objects)."""
        mapping = _old_revision_mapping(state)
        if not mapping:
            return state
        key = tuple(sorted(mapping.items()))
        walker = self._renumbers.get(key)
        if walker is None or len(walker.memo) > CACHE_LIMIT:
            if len(self._renumbers) > MAX_RENAMERS:
                self._renumbers.clear()
            walker = self._renumbers[key] = _Renumber(mapping)
        return walker.map(state)

    def rename(self, value: Any, index: int) -> Any:
        """``value`` with the nodes renamed by ``self.renamings[index]``."""
        cache = self._caches[index]
        if len(cache) > CACHE_LIMIT:
            cache.clear()
        return _Renamer(self._pattern, self.renamings[index], cache, self._strings[index]).map(value)

    # -- pods ---------------------------------------------------------------------------------

    def pod_classes(self, state: Any) -> tuple[tuple[PodId, ...], ...]:
        """``state``'s classes of interchangeable pods (module docstring, ``pod_classes``); empty
        when pods are not renamed."""
        if not self.pods:
            return ()
        classes = pod_classes(state, self.excluded)
        for c in classes:
            if len(c) > MAX_POD_CLASS:
                ns, name = c[0][2][1], c[0][0]
                raise PodScopeError(
                    f"{len(c)} interchangeable pods of one owner at once ({ns}/{name[:-SUFFIX]}*), "
                    f"more than the {MAX_POD_CLASS} pod symmetry takes"
                )
        return classes

    def frames(self, state: Any) -> list[tuple[str, dict[str, str]]]:
        """Every renaming of ``state``'s interchangeable pods but the identity: its ``frame``
        argument (``encode_frame``) and its mapping (names and uids, as ``frame_mapping`` reads
        it back). All of them, however many: the successor relation must be closed under every
        renaming for the reduction to be sound (k pods of one owner: k! - 1 frames, so a class
        of 5 or more pods makes each state expensive)."""
        classes = self.pod_classes(state)
        per_class = [[tuple(zip(c, p, strict=True)) for p in itertools.permutations(c)] for c in classes]
        out = []
        for combo in itertools.product(*per_class) if classes else ():
            moves = [(a, b) for m in combo for a, b in m if a != b]
            if moves:
                mapping = {x[i]: y[i] for x, y in moves for i in (0, 1)}  # name → name, uid → uid
                out.append((encode_frame([(a[0], b[0]) for a, b in moves]), mapping))
        return out

    def frame_mapping(self, state: Any, frame: str) -> dict[str, str] | None:
        """The renaming (pod names and their uids) a ``frame`` argument stands for in ``state``,
        or None when it is not a permutation within ``state``'s classes of interchangeable pods."""
        pairs = decode_frame(frame)
        if pairs is None:
            return None
        member: dict[str, tuple[int, str]] = {}
        for k, c in enumerate(pod_classes(state, self.excluded) if self.pods else ()):
            for name, uid, _ in c:
                member[name] = (k, uid)
        mapping: dict[str, str] = {}
        for a, b in pairs:
            if a not in member or b not in member or member[a][0] != member[b][0] or a in mapping:
                return None
            mapping[a] = b
            mapping[member[a][1]] = member[b][1]
        if sorted(mapping) != sorted(mapping.values()):
            return None
        return mapping

    def rename_pods(self, value: Any, mapping: dict[str, str]) -> Any:
        """``value`` with pods renamed by ``mapping``. The renamer of the inverse mapping learns
        each renamed object's original, so renaming there and back returns the very objects
        (cheap equality, shared memory)."""
        renamer = self._pod_renamer(mapping)
        if renamer.inverse is None:
            renamer.inverse = self._pod_renamer({b: a for a, b in mapping.items()}).memo
        return renamer.map(value)

    def _pod_renamer(self, mapping: dict[str, str]) -> _Renamer:
        key = tuple(sorted(mapping.items()))
        got = self._pod_renamers.get(key)
        if got is None or len(got.memo) > CACHE_LIMIT:
            if len(self._pod_renamers) > MAX_RENAMERS:
                self._pod_renamers.clear()
            got = _Renamer(_pattern(sorted(mapping, key=lambda n: (-len(n), n))), mapping, {}, {})
            self._pod_renamers[key] = got
        return got

    def _pod_labellings(self, state: Any) -> list[Any]:
        """``state`` with its interchangeable pods renamed canonically: in each class the pods
        are sorted by a name-free signature (``_pod_signature``) and the i-th gets the i-th
        smallest name of the class (with the uid that went with it); pods whose signatures tie
        are taken in every order (at most ``MAX_POD_GROUP`` labellings: past that, the first
        ones, which is still sound, only less reducing), and the caller keeps the smallest repr."""
        classes = self.pod_classes(state)
        if not classes:
            return [state]
        options: list[list[list[PodId]]] = []  # per class: the orders to try
        for c in classes:
            sigs = {name: _pod_signature(state.store.get(key)) for name, _, key in c}
            ordered = sorted(c, key=lambda p: sigs[p[0]])
            runs = [list(g) for _, g in itertools.groupby(ordered, key=lambda p: sigs[p[0]])]
            tied = (itertools.permutations(run) for run in runs)
            orders = [[p for run in combo for p in run] for combo in itertools.product(*tied)]
            options.append(orders)
        out = []
        for combo in itertools.islice(itertools.product(*options), MAX_POD_GROUP):
            mapping: dict[str, str] = {}
            for c, order in zip(classes, combo, strict=True):
                for (name, uid, _), (tname, tuid, _) in zip(order, c, strict=True):
                    if name != tname:
                        mapping[name] = tname
                        mapping[uid] = tuid
            out.append(self.rename_pods(state, mapping) if mapping else state)
        return out


class _Renamer(MemoMap):
    """Rename by ``mapping`` every whole string it holds, and each name ``pattern`` finds in any
    other string; ``strings`` memoises strings, ``cache`` objects (``MemoMap.memo``)."""

    def __init__(
        self,
        pattern: re.Pattern[str] | None,
        mapping: dict[str, str],
        cache: dict[int, tuple[Any, Any]],
        strings: dict[str, str],
    ) -> None:
        super().__init__(cache)
        self.pattern = pattern
        self.mapping = mapping
        self.strings = strings
        self.inverse: dict[int, tuple[Any, Any]] | None = None  # the inverse renaming's cache

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
        return MemoMap.map(self, value)

    def node(self, value: Any) -> Any:
        out = remap(value, self.map)
        if self.inverse is not None and out is not value:
            self.inverse[id(out)] = (out, value)
        return out


def string_fields(value: Any) -> set[tuple[str, str]]:
    """(class, field) pairs of the attrs objects inside ``value`` whose field holds a string (or a
    tuple, frozenset or map holding one; attrs objects inside are walked, not counted): the
    places a node or pod name could be. ``_Renamer`` renames a name found as the whole string or
    as a token (not next to a letter, digit, ``_``, ``.`` or ``-``) in any of them, so a field
    that could hold a name in another form (joined to other characters, split, hashed) would
    make the reduction unsound; ``tests/test_symmetry.py`` lists the reviewed fields."""
    return {(type(obj).__name__, name) for obj, name, x in attrs_fields_in(value) if _has_str(x)}


def _has_str(v: Any) -> bool:
    if isinstance(v, str):
        return True
    if isinstance(v, tuple | frozenset):
        return any(_has_str(x) for x in v)
    if isinstance(v, FMap):
        return any(_has_str(k) or _has_str(x) for k, x in v.items())
    return False


PodId = tuple[str, str, Any]  # (name, uid, store key) of a pod
MAX_POD_GROUP = 24  # the most canonical pod labellings compared for one state (4!)
MAX_POD_CLASS = 4  # the most pods of one class pod symmetry takes (4! - 1 = 23 frames per step)


class PodScopeError(Exception):
    """A state has more interchangeable pods of one owner than ``MAX_POD_CLASS``: closing every
    step under all their renamings would cost k! - 1 extra steps each. ``kmodel.api.explore``
    then explores again with pod symmetry off (node symmetry stays)."""


MAX_RENAMERS = 2_000
SUFFIX = 5  # characters a generated name adds to generateName (``generated_suffix``)


def pod_classes(state: Any, excluded: frozenset[str] = frozenset()) -> tuple[tuple[PodId, ...], ...]:
    """The pods of ``state``'s store with generated names, grouped by namespace, generateName
    and controller (owner uid), in classes of at least 2, each sorted by name; classes in order
    of their first member. A pod whose name the scenario mentions (``excluded``) is in none."""
    groups: dict[tuple[str, str, str], list[PodId]] = {}
    for key, pod in state.store.objects.items():
        if key[0] != "Pod":
            continue
        meta = pod.meta
        prefix = meta.generate_name[:58]
        name = meta.name
        if not prefix or len(name) != len(prefix) + SUFFIX or not name.startswith(prefix) or name in excluded:
            continue
        ref = meta.controller_ref()
        groups.setdefault((meta.namespace, prefix, ref.uid if ref is not None else ""), []).append(
            (name, meta.uid, key)
        )
    return tuple(sorted(tuple(sorted(g)) for g in groups.values() if len(g) >= 2))


def _pod_signature(pod: Any) -> str:
    """Everything about a pod object but its identity (name, uid) and resourceVersion."""
    return repr(attrs.evolve(pod, meta=attrs.evolve(pod.meta, name="", uid="", resource_version=0)))


def encode_frame(pairs: Sequence[tuple[str, str]]) -> str:
    """A pod renaming as an action argument: ``a:b,b:a`` (each pod, the name it takes)."""
    return ",".join(f"{a}:{b}" for a, b in sorted(pairs))


def decode_frame(frame: Any) -> list[tuple[str, str]] | None:
    if not isinstance(frame, str) or not frame:
        return None
    pairs = []
    for part in frame.split(","):
        a, sep, b = part.partition(":")
        if not sep or not a or not b or a == b:
            return None
        pairs.append((a, b))
    return pairs


def _pattern(names: Sequence[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(n) for n in names)
    return re.compile(rf"(?<![\w.-])({alternatives})(?![\w.-])")


def _is_node_object(obj: Any) -> bool:
    """Whether ``obj``'s old resourceVersion may move relative to other objects' old revisions
    (``Symmetry._canonical_old_revisions``): a Node, a node Lease or a Pod, whose revisions
    nothing compares by order."""
    kind = getattr(obj, "KIND", None)
    return kind == "Node" or kind == "Pod" or (kind == "Lease" and obj.meta.namespace == NODE_LEASE_NAMESPACE)


def _declared_revisions(record: Any) -> list[int]:
    """The revisions a component's memory or a monitor's record holds in fields declared ``rev``
    / ``revs`` / ``rev-values`` (``kmodel.k8s.abstraction.declare``)."""
    if record is None or not attrs.has(type(record)):
        return []
    out: list[int] = []
    for name, kind in declared_kinds(type(record)).items():
        v = getattr(record, name)
        if kind == REV:
            out.append(v)
        elif kind == REVS:
            out.extend(v)
        elif kind == REV_VALUES:
            out.extend(x for x in v.values() if x >= 0)
    return out


def _live_revision_floor(state: Any) -> int:
    """The lowest revision anything but an object's own resourceVersion holds: the watch log's
    compaction point, the head, component cursors and skips, and the revisions declared in
    component memory and monitor records (``_declared_revisions``)."""
    store = state.store
    low = store.events[0].revision - 1 if store.events else store.revision
    for cs in state.components.values():
        low = min([low, cs.cursor, *cs.skip, *_declared_revisions(cs.local)])
    for record in state.monitor.values():
        low = min([low, *_declared_revisions(record)])
    return low


def _objects_held(state: Any) -> list[Any]:
    """Every API object ``state`` holds, in a canonical order: the store by key, each component's
    cache (by component, kind and key), the watch log's objects, then each component's memory
    (its attrs fields in declaration order)."""
    out: list[Any] = list(state.store.objects.values())
    for cs in state.components.values():
        for objs in cs.cache.values():
            out.extend(objs.values())
    for ev in state.store.events:
        out.extend(o for o in (ev.obj, ev.prev) if o is not None and isinstance(getattr(o, "meta", None), ObjectMeta))
    for cs in state.components.values():
        if cs.local is not None:
            out.extend(
                obj for obj, name, x in attrs_fields_in(cs.local) if name == "meta" and isinstance(x, ObjectMeta)
            )
    return out


def _old_revision_mapping(state: Any) -> dict[int, int]:
    """Renumber the old resourceVersions (module docstring, "Creation order"): the revisions of
    objects below ``_live_revision_floor``, which no cursor, skip, compaction point or declared
    memory holds, keep their set of values; the Node / node-Lease / Pod ones take the lowest of
    them in the order their objects are met (``_objects_held``), and the others (compared by
    order upstream: EndpointSlices, leader-election Leases) the rest, in their own order.

    Strictly below the floor: a revision equal to one a component holds (a stopped kubelet's
    cursor on its Lease's last write) is compared with it for equality by the abstraction's
    dense renumbering, so moving it would tell equal states apart. And the Node / node-Lease /
    Pod revisions are moved below all others rather than among their own old slots: which
    slots they hold depends on history, so after a step that drops one of them the other
    objects' ranks would differ between two states that differ only in those revisions (both
    were found by ``tests/test_reduction_agreement.py`` as traces the explorer could not
    concretise: ``tests/test_symmetry.py``)."""
    floor = _live_revision_floor(state)
    moved: list[int] = []
    fixed: list[int] = []
    seen: set[int] = set()
    for obj in _objects_held(state):
        rv = obj.meta.resource_version
        if rv < floor and rv not in seen:
            seen.add(rv)
            (moved if _is_node_object(obj) else fixed).append(rv)
    order = moved + sorted(fixed)
    return {a: b for a, b in zip(order, sorted(order), strict=True) if a != b}


class _Renumber(MemoMap):
    """Replace old resourceVersions by ``mapping`` in every object of a state."""

    def __init__(self, mapping: dict[int, int]) -> None:
        super().__init__()
        self.mapping = mapping

    def node(self, value: Any) -> Any:
        meta = getattr(value, "meta", None)
        if isinstance(meta, ObjectMeta):
            new = self.mapping.get(meta.resource_version)
            if new is None:
                return value
            return attrs.evolve(value, meta=attrs.evolve(meta, resource_version=new))
        if isinstance(value, ObjectMeta):
            return value
        return remap(value, self.map)


def symmetry(config: Any, initial: Any, *, pods: bool = True) -> Symmetry:
    """The reduction for a scenario (``config``) whose initial state is ``initial``; ``pods``
    False keeps pods out of it."""
    classes = interchangeable_classes(config)
    identities: dict[str, tuple[str, ...]] = {}
    for c in classes:
        for name in c:
            node = initial.store.get(("Node", "", name))
            lease = initial.store.get(("Lease", NODE_LEASE_NAMESPACE, name))
            identities[name] = (node.meta.uid, lease.meta.uid if lease is not None else "")
    replicated = ("ReplicaSet", "ReplicationController", "Deployment")
    workloads = any(getattr(o, "KIND", "") in replicated for o in config.objects)
    pods = pods and workloads and not config.controllers and not config.user_invariants
    excluded = frozenset(re.findall(r"[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?", repr((config.objects, config.user))))
    return Symmetry(classes, identities, pods=pods, excluded=excluded)
