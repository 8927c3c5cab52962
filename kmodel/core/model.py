"""The Model protocol every checker works on; it knows nothing of Kubernetes.

A model is a deterministic transition system (after stateright's ``Model`` trait and TLA+'s
Init/Next): ``initial()`` gives the start state, ``action_space()`` names every action that could
ever be taken (by stable names, so Hypothesis shrinks well), ``step(state, action)`` returns the
next state or ``None`` when the action is not enabled, and ``properties()`` says what must hold.

Actions fall in categories (``Category``):

- ``system``: the components doing their job; the fair *settle* phase runs only those (the
  model's ``system_actions``) plus ``time``;
- ``time``: advancing the clock;
- ``choice``: another option of a nondeterministic choice a system action makes (upstream picks
  at random, e.g. the node of a scheduler's score tie); never taken by the settle phase, which
  keeps taking the default option, but drawn by the random phase like any action and, for the
  explorer, one more outcome of a weakly fair system action (it may repeat in a fair cycle);
- ``fault`` and ``user``: the adversary's and the user's moves during the random phase.

One op may have specs of different categories (``reconcile(component)`` is ``system``,
``reconcile(component, node)`` a ``choice``): ``categories`` tells them apart by their arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, Literal, Protocol, TypeVar

import attrs

S = TypeVar("S")
Scalar = str | int | bool
Category = Literal["system", "time", "choice", "fault", "user"]
PropertyKind = Literal["always", "eventually"]


@attrs.frozen(order=True)
class Action:
    """One step: an operation name and its arguments as sorted (name, value) pairs."""

    op: str
    args: tuple[tuple[str, Scalar], ...] = ()

    @classmethod
    def of(cls, op: str, **args: Scalar) -> Action:
        return cls(op, tuple(sorted(args.items())))

    def arg(self, name: str) -> Any:
        for k, v in self.args:
            if k == name:
                return v
        raise KeyError(name)

    def to_data(self) -> dict[str, Scalar]:
        d: dict[str, Scalar] = {"op": self.op}
        d.update(self.args)
        return d

    def __str__(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.args)
        return f"{self.op}({inner})"


@attrs.frozen
class ActionSpec:
    """Every value each argument of ``op`` may take, for drawing actions by stable names."""

    op: str
    category: Category
    params: tuple[tuple[str, tuple[Scalar, ...]], ...] = ()


@attrs.frozen
class Property(Generic[S]):
    """A named property. ``check`` returns ``None`` when it holds, else a one-line reason.

    ``always`` properties are checked after every step; ``eventually`` ones after the fair settle
    phase (a finite stand-in for "eventually always": once the system is quiescent the property
    must hold, and must still hold after more fair steps).
    """

    name: str
    kind: PropertyKind
    description: str
    check: Callable[[S], str | None] = attrs.field(eq=False, repr=False)


class Model(Protocol[S]):
    def initial(self) -> S: ...

    def action_space(self) -> Sequence[ActionSpec]: ...

    def actions(self, state: S) -> list[Action]:
        """Every enabled action in a deterministic order."""
        ...

    def system_actions(self, state: S) -> list[Action]:
        """Candidate ``system`` actions for the fair settle phase, in round-robin order."""
        ...

    def time_action(self, state: S) -> Action | None:
        """The action advancing time to the next timer, or None when no timer is pending."""
        ...

    def step(self, state: S, action: Action) -> S | None:
        """The next state, or None when ``action`` is not enabled (it would change nothing)."""
        ...

    def properties(self) -> Sequence[Property[S]]: ...

    def clock(self, state: S) -> int: ...

    def progress_key(self, state: S) -> Hashable:
        """A projection that changes only on real progress (not on heartbeats or clocks)."""
        ...

    quiet_period: int
    """Clock units a quiescent state must stay unchanged (but for heartbeats) to be settled."""

    def pending_until(self, state: S) -> int:
        """The clock time by which every timer that could still change something has fired;
        a state is not settled before it."""
        ...

    def truth_key(self, state: S) -> tuple[object, ...]:
        """The parts of the state properties read. When every part is identical (``is``) to
        the previous state's, the properties need not be checked again."""
        ...

    def describe(self, before: S, action: Action, after: S) -> str:
        """One line saying what ``action`` changed, for replays and reports."""
        ...


class ExploreHooks(Protocol[S]):
    """Optional hooks a model may add for the exhaustive explorer (``kmodel.core.explore``); a
    model may have any subset of them, and ``hooks(model)`` finds the ones it has."""

    def successors(self, state: S) -> Sequence[tuple[Action, S]]:
        """Every enabled action with its next state, in ``actions`` order (cheaper than
        ``actions`` followed by ``step``)."""
        ...

    def fairness_key(self, action: Action) -> Action:
        """The fair action ``action`` counts as (variants of one action are one fair action)."""
        ...

    def abstract(self, state: S) -> S:
        """A canonical state that behaves alike (a bisimulation quotient; TLC's ``VIEW``)."""
        ...

    def representative(self, state: S) -> S:
        """The canonical member of ``state``'s symmetry class."""
        ...

    def symmetry_active(self) -> bool:
        """Whether ``representative`` can merge anything."""
        ...

    def ample(self, state: S, succ: Sequence[tuple[Action, S]]) -> int | None:
        """Partial-order reduction: the index in ``succ`` of a transition that may be explored
        alone, or None."""
        ...


HOOKS = ("successors", "fairness_key", "abstract", "representative", "symmetry_active", "ample")


@attrs.frozen
class Hooks:
    """The ``ExploreHooks`` a model has, each None where it has not."""

    successors: Callable[[Any], Sequence[tuple[Action, Any]]] | None = None
    fairness_key: Callable[[Action], Action] | None = None
    abstract: Callable[[Any], Any] | None = None
    representative: Callable[[Any], Any] | None = None
    symmetry_active: Callable[[], bool] | None = None
    ample: Callable[[Any, Sequence[tuple[Action, Any]]], int | None] | None = None


def hooks(model: object) -> Hooks:
    """The ``ExploreHooks`` methods ``model`` defines (by the names the protocol declares)."""
    return Hooks(**{name: getattr(model, name, None) for name in HOOKS})


def expand(spec: ActionSpec) -> list[Action]:
    """Every action a spec allows (the cartesian product of its parameter values)."""
    combos: list[dict[str, Scalar]] = [{}]
    for name, values in spec.params:
        combos = [{**c, name: v} for c in combos for v in values]
    return [Action.of(spec.op, **c) for c in combos]


class Categories:
    """The category of any action of an action space: that of the spec of its op whose parameters
    are the most of the action's arguments (``reconcile(component, node)`` is the ``choice``
    spec's, ``reconcile(component)`` the ``system`` one's; arguments no spec declares, like the
    explorer's pod ``frame``, are ignored)."""

    def __init__(self, space: Sequence[ActionSpec]) -> None:
        by_op: dict[str, list[tuple[frozenset[str], Category]]] = {}
        for spec in space:
            by_op.setdefault(spec.op, []).append((frozenset(name for name, _ in spec.params), spec.category))
        self._single = {op: specs[0][1] for op, specs in by_op.items() if len({c for _, c in specs}) == 1}
        mixed = {op: specs for op, specs in by_op.items() if op not in self._single}
        self._mixed = {op: sorted(specs, key=lambda s: -len(s[0])) for op, specs in mixed.items()}

    def __contains__(self, op: object) -> bool:
        return op in self._single or op in self._mixed

    def of(self, action: Action) -> Category:
        """``action``'s category; raises KeyError for an op the space does not have."""
        cat = self._single.get(action.op)
        if cat is not None:
            return cat
        specs = self._mixed[action.op]
        names = {name for name, _ in action.args}
        return next((c for params, c in specs if params <= names), specs[-1][1])
