"""Exhaustive breadth-first exploration of a Model: every state of a small scope.

This is the explicit-state checker beside the Hypothesis one (after TLC and stateright's
``checker/bfs.rs``); like the rest of ``kmodel.core`` it knows nothing of Kubernetes.

- **Safety.** Breadth-first search from ``initial()`` over ``actions(state)`` / ``step``.
  States are deduplicated by the state objects themselves (frozen and hashable; the model makes
  every field that matters part of equality). ``always`` properties are checked on every new
  state; the search stops at the first failure, and parent pointers give a *shortest* trace to
  it (BFS order).
- **Abstraction.** An optional model hook ``abstract(state) -> state`` maps a state to a
  canonical state that behaves alike (a bisimulation quotient, e.g. times relative to the clock,
  TLC's ``VIEW``); it is always applied. Like symmetry below, traces are re-executed to be
  concrete.
- **Symmetry.** An optional model hook ``representative(state) -> state`` (with an optional
  ``symmetry_active() -> bool`` saying whether it can merge anything) maps a state to a
  canonical member of its symmetry class (e.g. interchangeable nodes renamed in a fixed order);
  the search stores representatives only. Traces are turned back into concrete actions by
  re-executing them (``_concretise``), so they replay on the model as is. Properties must be
  symmetric (invariant under the renaming) for this to be sound.
- **Partial-order reduction.** An optional model hook ``ample(state, successors) -> index | None``
  names one enabled transition that may be explored alone (an ample set of size one: Peled,
  "All from one, one for all", CAV 1993; Clarke, Grumberg and Peled, *Model Checking*, ch. 10).
  The model guarantees independence (C1) and invisibility (C2); the search adds the cycle
  proviso (C3): when that transition leads to a state already seen, the state is expanded fully,
  so every cycle of the reduced graph has a fully expanded state. A reduced state still records
  every fair action enabled in it, so fairness is judged on the full enabled sets. Safety
  violations found are real and, after a re-search without the reduction one step less deep
  (``_shortest``), shortest; lassos found are real (they are re-checked on concrete states).
  The reduction is used only without ``max_depth``: a reduced path can be longer than the run it
  stands for.
- **Liveness.** ``eventually`` properties mean "eventually always P" (convergence), checked under
  weak fairness of the ``system`` and ``time`` actions. The state graph is a ``networkx.DiGraph``;
  only system/time edges can stay in a cycle forever (faults are budgeted in the state, user
  steps are the environment, which may stop). A violation is a reachable state with no enabled
  system/time action where P is false, or a fair strongly connected component (every
  system/time action enabled in all of its states is taken on one of its edges) containing a
  state where P is false. The counterexample is a lasso: a shortest prefix to the component,
  then a cycle inside it that visits a failing state and takes every such action. With an
  abstraction the cycle closes on abstract states: the concrete run it stands for repeats the
  same steps forever while its clock and revisions grow (``lasso_violation`` checks exactly that).
  An optional model hook ``fairness_key(action)`` names the fair action an action belongs to
  (default: the action itself), so that several variants of one step (e.g. the ways one
  component may resolve a tie) count as one weakly fair action, taken when any of them is.
- **Bounds.** ``max_states`` (distinct states) and ``max_depth`` (steps from the initial state)
  stop the search early; the verdict is then ``"bound"`` unless a violation was already found.
  Liveness violations found in the part explored so far are real (every state of the lasso had
  all its successors computed); "held" for liveness needs the whole space.

The search keeps no wall clock: callers time it (``on_progress`` gets the counters).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Sequence
from typing import Any, Generic, Literal, TypeVar

import attrs
import networkx as nx

from kmodel.core.model import Action, Categories, Model, Property, hooks
from kmodel.core.run import SETTLE, Violation, always_props, eventually_props, first_failure

S = TypeVar("S")
Verdict = Literal["held", "violated", "bound"]
Bound = Literal["max_states", "max_depth"]

FAIR_CATEGORIES = frozenset({"system", "time", "choice"})
"""Categories whose actions are weakly fair and may repeat forever in a cycle (a ``choice`` is
another outcome of a system action: the model's ``fairness_key`` makes it the same fair action)."""

PROGRESS_EVERY = 1000  # call on_progress every this many generated states (and after each level)
MAX_UNROLL = 64  # times a symmetric cycle is unrolled to close it on concrete states


def fingerprint(state: object) -> str:
    """A short, process-independent digest of a state, for output (reports, JSON).

    It hashes ``repr(state)``, which for frozen attrs classes, ``FMap`` (sorted keys), tuples,
    strings and integers does not depend on ``PYTHONHASHSEED``. It is *not* used for
    deduplication: the search keys its table by the states themselves, so a digest collision
    can never merge two states.
    """
    return hashlib.sha256(repr(state).encode()).hexdigest()[:16]


@attrs.frozen
class ExploreProgress:
    """Counters handed to ``on_progress``: states generated (duplicates included), distinct
    states, and the deepest level reached so far."""

    states: int
    distinct: int
    depth: int


@attrs.frozen
class ExploreResult(Generic[S]):
    """What an exploration found.

    ``steps`` is the counterexample (concrete actions that replay on the model); for a liveness
    violation ``loop_start`` is the number of prefix steps: ``steps[loop_start:]`` repeat forever
    (an empty cycle means no system/time action is enabled after the last step). ``states``
    counts generated states (the initial one plus one per enabled transition, duplicates
    included), ``distinct`` the states kept, ``levels[d]`` the distinct states first found at
    depth ``d``. ``depth`` is the deepest level reached.
    """

    verdict: Verdict
    bound: Bound | None
    violation: Violation | None
    steps: tuple[Action, ...]
    loop_start: int | None
    states: int
    distinct: int
    edges: int
    depth: int
    levels: tuple[int, ...]
    symmetry: bool
    fingerprint: str | None  # of the state the counterexample ends in
    por: bool = False  # whether partial-order reduction was used
    reduced: int = 0  # states expanded by one ample action instead of all enabled ones
    shortest: bool = True  # a safety counterexample is a shortest one (see ``explore``'s ``por``)
    graph: Any = attrs.field(default=None, eq=False, repr=False)  # networkx.DiGraph, when built

    @property
    def held(self) -> bool:
        return self.verdict == "held"


class SymmetryError(AssertionError):
    """``representative`` does not commute with the model's steps or properties."""


def explore(
    model: Model[S],
    *,
    max_states: int | None = None,
    max_depth: int | None = None,
    symmetry: bool = True,
    por: bool = False,
    on_progress: Callable[[ExploreProgress], None] | None = None,
) -> ExploreResult[S]:
    """Explore every state reachable from ``model.initial()`` (within the bounds).

    Args:
        model: any ``Model``; optional hooks ``representative(state)`` (symmetry reduction) and
            ``successors(state) -> [(action, next_state)]`` (enabled transitions in
            ``actions`` order, when the model can list them cheaper than ``actions`` + ``step``).
        max_states: stop before keeping more than this many distinct states (None: no limit).
        max_depth: do not expand states this many steps from the initial state (None: no limit).
        symmetry: use ``model.representative`` when the model has one.
        por: use ``model.ample`` (partial-order reduction) when the model has one and
            ``max_depth`` is None (a reduced path can be longer than the run it stands for). A safety
            violation found with it is then re-sought without it up to one step less deep, so
            the trace reported is still a shortest one whenever that search fits in
            ``max_states`` (``ExploreResult.shortest`` says whether it did).
        on_progress: called with the counters every ``PROGRESS_EVERY`` generated states and
            after each level.
    """
    hook = hooks(model)
    rep = hook.representative if symmetry else None
    if rep is not None and hook.symmetry_active is not None and not hook.symmetry_active():
        rep = None  # nothing is interchangeable: no reduction, and none reported
    # A reduced path may be longer than the run it stands for (deliveries made first), so a
    # depth bound would cut runs the full search reaches: the reduction is for unbounded depth.
    ample = hook.ample if por and max_depth is None else None
    view = hook.abstract
    canon: Callable[[S], S] = _compose(view, rep)
    successors = _successor_function(model)
    safety = always_props(model)
    liveness = eventually_props(model)
    categories = Categories(model.action_space())
    fair_key = _fairness_key(model)
    graph: nx.DiGraph | None = nx.DiGraph() if liveness else None

    init = canon(model.initial())
    ids: dict[S, int] = {init: 0}
    states: list[S] = [init]
    parent: list[tuple[int, Action] | None] = [None]
    depth_of: list[int] = [0]
    levels = [1]
    if graph is not None:
        graph.add_node(0)
    edges = 0
    bound: Bound | None = None
    failed: tuple[int, Property[S], str] | None = None
    first = first_failure(safety, init)
    if first is not None:
        failed = (0, *first)

    level = [0]
    d = 0
    reduced = 0
    while level and failed is None and bound is None:
        closed = max_depth is not None and d >= max_depth  # probe only: is anything new out there?
        next_level: list[int] = []
        for sid in level:
            succ = successors(states[sid])
            fair_enabled = (
                [fair_key(a) for a, _ in succ if categories.of(a) in FAIR_CATEGORIES] if graph is not None else []
            )
            todo: Sequence[tuple[Action, S]] = succ
            known: S | None = None  # the canonical form of todo[0], when already computed
            if ample is not None and len(succ) > 1:
                pick = ample(states[sid], succ)
                if pick is not None:
                    known = canon(succ[pick][1])
                    if known not in ids:  # cycle proviso: else expand fully
                        todo = [succ[pick]]
                        reduced += 1
                    else:
                        known = None
            complete = True
            for action, nxt in todo:
                edges += 1
                if on_progress is not None and edges % PROGRESS_EVERY == 0:
                    on_progress(ExploreProgress(edges + 1, len(states), d + 1 if next_level else d))
                c = known if known is not None else canon(nxt)
                tid = ids.get(c)
                if tid is None:
                    if closed:
                        bound = "max_depth"
                    elif max_states is not None and len(states) >= max_states:
                        bound = "max_states"
                    if bound is not None:
                        complete = False
                        break
                    tid = len(states)
                    ids[c] = tid
                    states.append(c)
                    parent.append((sid, action))
                    depth_of.append(d + 1)
                    next_level.append(tid)
                    found = first_failure(safety, c)
                    if found is not None:
                        failed = (tid, *found)
                        complete = False
                        break
                if graph is not None:
                    category = categories.of(action)
                    if tid not in graph:
                        graph.add_node(tid)
                    if graph.has_edge(sid, tid):
                        graph[sid][tid]["labels"].append((action, category))
                    else:
                        graph.add_edge(sid, tid, labels=[(action, category)])
            if graph is not None and complete:
                graph.nodes[sid]["fair"] = tuple(dict.fromkeys(fair_enabled))
            if not complete:
                break
        if next_level:
            levels.append(len(next_level))
        level = next_level
        d += 1
        if on_progress is not None:
            on_progress(ExploreProgress(edges + 1, len(states), d))

    result: ExploreResult[S] = ExploreResult(
        verdict="bound" if bound is not None else "held",
        bound=bound,
        violation=None,
        steps=(),
        loop_start=None,
        states=edges + 1,
        distinct=len(states),
        edges=edges,
        depth=len(levels) - 1,
        levels=tuple(levels),
        symmetry=rep is not None,
        fingerprint=None,
        graph=graph,
        por=ample is not None,
        reduced=reduced,
    )
    if failed is not None:
        tid, prop, _ = failed
        steps, end = _concretise(model, canon, [states[i] for i in _path_ids(parent, tid)], _path(parent, tid))
        concrete = first_failure(safety, end)
        if concrete is None or concrete[0].name != prop.name:
            raise SymmetryError(f"{prop.name} fails on a representative but not on the concrete state")
        violation = Violation(prop.name, prop.kind, concrete[1], len(steps))
        safe = attrs.evolve(
            result, verdict="violated", violation=violation, steps=tuple(steps), fingerprint=fingerprint(end)
        )
        if reduced and len(steps) > 1:
            return _shortest(model, safe, max_states=max_states, symmetry=symmetry)
        return safe
    if graph is not None:
        lasso = _find_lasso(graph, states, parent, depth_of, liveness, fair_key)
        if lasso is not None:
            prefix_ids, cycle = lasso
            steps, loop_start, end = _concretise_lasso(model, canon, view, states, parent, prefix_ids, cycle)
            live = lasso_violation(model, steps, loop_start)
            if live is None:
                raise SymmetryError("the lasso found on representatives does not replay as a fair cycle")
            return attrs.evolve(
                result,
                verdict="violated",
                violation=live,
                steps=tuple(steps),
                loop_start=loop_start,
                fingerprint=fingerprint(end),
            )
    return result


# -- helpers -----------------------------------------------------------------------------------


def _shortest(model: Model[S], found: ExploreResult[S], *, max_states: int | None, symmetry: bool) -> ExploreResult[S]:
    """A reduced search finds a violation on a path whose actions are a reordering of a real
    run's (plus deliveries it made first), which may be longer than the shortest run. Search
    again without the reduction, one step less deep: a violation there is shorter (and, BFS,
    shortest); none within the depth proves the reduced trace shortest. When that search
    hits ``max_states`` first, the reduced trace stands and ``shortest`` is False."""
    again = explore(model, max_states=max_states, max_depth=len(found.steps) - 1, symmetry=symmetry, por=False)
    if again.verdict == "violated" and again.loop_start is None:
        return attrs.evolve(found, violation=again.violation, steps=again.steps, fingerprint=again.fingerprint)
    if again.bound == "max_states":
        return attrs.evolve(found, shortest=False)
    return found


def _identity(state: S) -> S:
    return state


def _fairness_key(model: Model[S]) -> Callable[[Action], Action]:
    hook = hooks(model).fairness_key
    return hook if hook is not None else _identity


def _compose(view: Callable[[S], S] | None, rep: Callable[[S], S] | None) -> Callable[[S], S]:
    """The canonical form of a state: the model's abstraction (``abstract``), then its symmetry
    representative."""
    if view is None:
        return rep if rep is not None else _identity
    if rep is None:
        return view
    return lambda s: rep(view(s))


def _successor_function(model: Model[S]) -> Callable[[S], Sequence[tuple[Action, S]]]:
    hook = hooks(model).successors
    if hook is not None:
        return hook

    def successors(state: S) -> list[tuple[Action, S]]:
        out = []
        for action in model.actions(state):
            nxt = model.step(state, action)
            if nxt is not None:
                out.append((action, nxt))
        return out

    return successors


def _path_ids(parent: list[tuple[int, Action] | None], sid: int) -> list[int]:
    ids = [sid]
    while (p := parent[ids[-1]]) is not None:
        ids.append(p[0])
    ids.reverse()
    return ids


def _path(parent: list[tuple[int, Action] | None], sid: int) -> list[Action]:
    actions = []
    while (p := parent[sid]) is not None:
        actions.append(p[1])
        sid = p[0]
    actions.reverse()
    return actions


def _concretise(
    model: Model[S], canon: Callable[[S], S], targets: list[S], actions: list[Action], start: S | None = None
) -> tuple[list[Action], S]:
    """Concrete actions from ``start`` (default: the initial state) whose states have the
    representatives ``targets[1:]`` (``targets[0]`` is the start's). Without symmetry the
    abstract actions are already concrete; with it, step ``i`` may need another action (the same
    move on the symmetric counterpart), found by trying the enabled actions in order."""
    state = model.initial() if start is None else start
    out: list[Action] = []
    for i, action in enumerate(actions):
        target = targets[i + 1]
        nxt = model.step(state, action)
        if nxt is None or canon(nxt) != target:
            nxt = None
            for other in model.actions(state):
                cand = model.step(state, other)
                if cand is not None and canon(cand) == target:
                    action, nxt = other, cand
                    break
            if nxt is None:
                raise SymmetryError(f"step {i + 1}: no action leads to the representative reached by {action}")
        out.append(action)
        state = nxt
    return out, state


def _find_lasso(
    graph: nx.DiGraph,
    states: list[S],
    parent: list[tuple[int, Action] | None],
    depth_of: list[int],
    props: Sequence[Property[S]],
    key: Callable[[Action], Action] = _identity,
) -> tuple[list[int], list[tuple[int, Action, int]]] | None:
    """The shortest lasso (prefix state ids, cycle edges) violating the first property that has
    one, or None. Only fully expanded states (node attribute ``fair``) take part."""
    expanded = [n for n, data in graph.nodes(data=True) if "fair" in data]
    fair = nx.DiGraph()
    fair.add_nodes_from(expanded)
    for u, v, data in graph.edges(data=True):
        if u in fair and v in fair:
            acts = [a for a, cat in data["labels"] if cat in FAIR_CATEGORIES]
            if acts:
                fair.add_edge(u, v, actions=acts)
    components = sorted(
        (sorted(c, key=lambda n: (depth_of[n], n)) for c in nx.strongly_connected_components(fair)),
        key=lambda c: (depth_of[c[0]], c[0]),
    )
    cyclic = [c for c in components if len(c) > 1 or fair.has_edge(c[0], c[0])]
    fair_components = [c for c in cyclic if _is_fair(graph, fair, c, key)]
    terminal = [n for n in expanded if not graph.nodes[n]["fair"]]
    for prop in props:
        best: tuple[int, list[int], list[tuple[int, Action, int]]] | None = None
        for n in terminal:
            if prop.check(states[n]) is not None:
                length = depth_of[n]
                if best is None or length < best[0]:
                    best = (length, _path_ids(parent, n), [])
                break  # ``expanded`` is in BFS order: the first is the nearest
        for comp in fair_components:
            if best is not None and depth_of[comp[0]] >= best[0]:
                continue
            bad = [n for n in comp if prop.check(states[n]) is not None]
            if not bad:
                continue
            cycle = _cycle(graph, fair, comp, bad, key)
            length = depth_of[comp[0]] + len(cycle)
            if best is None or length < best[0]:
                best = (length, _path_ids(parent, comp[0]), cycle)
        if best is not None:
            return best[1], best[2]
    return None


def _is_fair(graph: nx.DiGraph, fair: nx.DiGraph, comp: list[int], key: Callable[[Action], Action] = _identity) -> bool:
    """Weak fairness: every system/time action enabled in every state of ``comp`` is taken on an
    edge inside it (else a fair run cannot stay in it forever). Node attribute ``fair`` holds
    fairness keys; edges hold actions, compared by ``key``."""
    always = set(graph.nodes[comp[0]]["fair"])
    for n in comp[1:]:
        always &= set(graph.nodes[n]["fair"])
    members = set(comp)
    taken = {key(a) for u in comp for v in fair.successors(u) if v in members for a in fair[u][v]["actions"]}
    return always <= taken


def _cycle(
    graph: nx.DiGraph,
    fair: nx.DiGraph,
    comp: list[int],
    bad: list[int],
    key: Callable[[Action], Action] = _identity,
) -> list[tuple[int, Action, int]]:
    """A closed walk from ``comp[0]`` inside ``comp`` that visits a failing state and takes every
    action enabled throughout the component (so it is a fair cycle; compared by ``key``)."""
    sub = fair.subgraph(comp)
    entry = comp[0]
    walk: list[tuple[int, Action, int]] = []
    taken: set[Action] = set()

    def go(to: int) -> None:
        here = walk[-1][2] if walk else entry
        nodes = nx.shortest_path(sub, here, to)
        for u, v in itertools.pairwise(nodes):
            a = sub[u][v]["actions"][0]
            walk.append((u, a, v))
            taken.add(key(a))

    dist = nx.single_source_shortest_path_length(sub, entry)
    go(min(bad, key=lambda n: (dist[n], n)))
    required = set(graph.nodes[comp[0]]["fair"])
    for n in comp[1:]:
        required &= set(graph.nodes[n]["fair"])
    for action in sorted(required - taken):
        if action in taken:
            continue
        here = walk[-1][2] if walk else entry
        dist = nx.single_source_shortest_path_length(sub, here)
        u, v, a = min(
            ((u, v, a) for u, v, acts in sub.edges(data="actions") for a in acts if key(a) == action),
            key=lambda e: (dist[e[0]], e[0], e[1], e[2]),
        )
        go(u)
        walk.append((u, a, v))
        taken.add(action)
    if not walk:  # the entry itself fails and nothing is required: any cycle through it
        v = min(sub.successors(entry))
        walk.append((entry, sub[entry][v]["actions"][0], v))
    if walk[-1][2] != entry:
        go(entry)
    return walk


def _concretise_lasso(
    model: Model[S],
    canon: Callable[[S], S],
    view: Callable[[S], S] | None,
    states: list[S],
    parent: list[tuple[int, Action] | None],
    prefix_ids: list[int],
    cycle: list[tuple[int, Action, int]],
) -> tuple[list[Action], int, S]:
    """Concrete (steps, loop_start, last state) for an abstract lasso.

    With symmetry the cycle closes on representatives, not necessarily on concrete states: it is
    unrolled until the state at the loop start repeats (the symmetry class is finite), and the
    passes before the repetition join the prefix. "Repeats" is up to the model's abstraction
    (``abstract``) when it has one: a concrete run whose clock and revisions keep growing never
    repeats exactly, but the abstraction is a bisimulation, so once the abstract state repeats
    the same steps repeat forever (see ``lasso_violation``).
    """
    prefix, state = _concretise(model, canon, [states[i] for i in prefix_ids], _path(parent, prefix_ids[-1]))
    if not cycle:
        return prefix, len(prefix), state
    targets = [states[cycle[0][0]]] + [states[v] for _, _, v in cycle]
    actions = [a for _, a, _ in cycle]
    key: Callable[[S], S] = view if view is not None else _identity
    passes: list[list[Action]] = []
    seen = {key(state): 0}
    for k in range(1, MAX_UNROLL + 1):
        acts, state = _concretise(model, canon, targets, actions, start=state)
        passes.append(acts)
        k_state = key(state)
        if k_state in seen:
            j = seen[k_state]
            steps = prefix + [a for p in passes[:j] for a in p]
            loop_start = len(steps)
            steps += [a for p in passes[j:] for a in p]
            return steps, loop_start, state
        seen[k_state] = k
    raise SymmetryError(f"the cycle did not close on concrete states within {MAX_UNROLL} passes")


def lasso_violation(model: Model[S], steps: Sequence[Action], loop_start: int) -> Violation | None:
    """The liveness violation a lasso trace shows, checked on concrete states, or None.

    ``steps[:loop_start]`` lead to the loop; ``steps[loop_start:]`` must be system/time actions
    returning to the state after ``loop_start`` steps — exactly, or up to the model's abstraction
    (``abstract``, a bisimulation: from equal abstract states the same actions lead to equal
    abstract states, so the loop repeats forever although the clock and revisions of the concrete
    run keep growing) — taking every system/time action
    enabled in all the loop's states (weak fairness); an empty loop needs a state with no
    enabled system/time action. The violation is the first ``eventually`` property false in a
    state of the loop. None when any of this does not hold (a step is not enabled, the loop
    does not close, is unfair, or every property holds) — how a fixed model answers a replay.
    """
    if not 0 <= loop_start <= len(steps) or SETTLE in steps:
        return None
    categories = Categories(model.action_space())
    key = _fairness_key(model)
    trail = [model.initial()]
    for action in steps:
        if action.op not in categories:
            return None
        nxt = model.step(trail[-1], action)
        if nxt is None:
            return None
        trail.append(nxt)
    loop = list(steps[loop_start:])

    def fair_enabled(state: S) -> set[Action]:
        return {key(a) for a in model.actions(state) if categories.of(a) in FAIR_CATEGORIES}

    if loop:
        view = hooks(model).abstract
        same = trail[-1] == trail[loop_start] or (view is not None and view(trail[-1]) == view(trail[loop_start]))
        if not same or any(categories.of(a) not in FAIR_CATEGORIES for a in loop):
            return None
        members = trail[loop_start:-1]
        always = fair_enabled(members[0])
        for s in members[1:]:
            always &= fair_enabled(s)
        if not always <= {key(a) for a in loop}:
            return None
        where = f"steps {loop_start + 1}–{len(steps)} repeat forever under fair scheduling"
    else:
        if fair_enabled(trail[-1]):
            return None
        members = [trail[-1]]
        where = f"after step {len(steps)} no system or time action is enabled, so nothing changes any more"
    for prop in eventually_props(model):
        for s in members:
            msg = prop.check(s)
            if msg is not None:
                return Violation(prop.name, prop.kind, f"{msg} ({where})", len(steps))
    return None
