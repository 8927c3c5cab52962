"""Deviation-bounded search: every schedule with at most k adversarial decisions, at any depth.

Random walks dilute as a scenario grows (every extra object and step makes the one bad
interleaving rarer), and breadth-first search is exhaustive but its depth is capped by state
explosion. The bugs a cluster meets are deep in steps and shallow in decisions: a pause, a force
delete at the wrong moment, one cache that lags at one point; everything else is the cluster
doing its normal job for many steps. This strategy searches exactly that space, after CHESS's
preemption bounding (Musuvathi & Qadeer, "Iterative context bounding for systematic testing of
multithreaded programs", PLDI'07: every unknown bug it found needed at most 2 preemptions) and
delay-bounded scheduling (Emmi, Qadeer & Rakamarić, POPL'11).

- **The default schedule** is the model's fair settle phase (``kmodel.core.run.settle_steps``):
  system actions round-robin, each repeated while enabled, and time advanced when nothing else
  is due, until the model is quiescent.
- **A deviation** is any other enabled action of the model's action space at a point of a
  schedule: a fault, a user action, a component run out of turn (which delays the one the default schedule
  would run), time advanced while something is still due, or another option of a
  nondeterministic choice.
- **The search** runs the default schedule from the initial state (0 deviations), then, for
  k = 1, 2, …, every schedule that takes one more deviation at some point of a schedule of
  k - 1 deviations and then follows the default schedule again, to the end. There is no depth
  bound: each schedule runs until the cluster settles (``MAX_SETTLE_STEPS``), safety properties
  are checked after every step and liveness properties at the end, as in ``check``.
- **Points.** Every state of a schedule is a point, but faults, user actions, time and choices
  are taken only at *full* points: the schedule's start, its end, and each state whose step
  changed what the properties read (``truth_key``); elsewhere (after a watch delivery, where a
  component's view changed) only system actions run out of turn.
- **Pruning.** A point is expanded once, at the fewest deviations that reach it, and a schedule
  that starts from a state already started from is not run again. States are compared by
  ``key``, the state itself by default; a caller may pass a coarser bisimulation (the
  explorer's ``ExploreHooks.abstract``), which folds more but costs about 5 ms a state on the
  Kubernetes model, more than the duplicates it saves. A deviation that is not enabled, or that
  leads where the default step leads, is no deviation.

The result is the counterexample with the fewest deviations (a replayable trace: the explicit
steps up to the last deviation, then either the steps to a safety violation or ``SETTLE`` for a
liveness one), or a guarantee: no violation within k deviations, over N schedules and M distinct
points. This module knows nothing of Kubernetes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import attrs

from kmodel.core.model import Action, Model, Property, expand
from kmodel.core.run import (
    MAX_SETTLE_STEPS,
    SETTLE,
    Violation,
    always_props,
    eventually_props,
    first_failure,
    same,
    settle_steps,
)

S = TypeVar("S")
KINDS = frozenset(("system", "time", "fault", "user", "choice"))
"""The kinds of deviation, by the category of the action taken (``ActionSpec.category``): a
system action run out of turn, time advanced while something is due, a fault, a user action,
another option of a nondeterministic choice."""


@attrs.frozen
class BoundedOutcome:
    """What a deviation-bounded search found or covered.

    ``covered`` is the largest k for which every schedule with at most k deviations was run (-1
    when not even the default schedule finished), ``complete`` whether that was every schedule
    there is (no point had a deviation left); ``violation`` and ``steps`` the counterexample with
    the fewest deviations (``deviations`` of them), if any; ``schedules`` the schedules run,
    ``partial`` how many of them had ``covered + 1`` deviations and ``queued`` how many such
    schedules there were in all (when the budget cut that level); ``points`` the distinct states
    deviations were taken from; ``steps_run`` the model steps the schedules took."""

    violation: Violation | None
    steps: tuple[Action, ...]
    deviations: int
    bound: int
    covered: int
    schedules: int
    points: int
    steps_run: int
    complete: bool = False
    partial: int = 0
    queued: int = 0
    interrupted: bool = False

    def guarantee(self) -> str:
        """The one line a report and a summary give for this search."""
        cost = f"{self.schedules:,} schedules, {self.points:,} distinct states"
        if self.violation is not None:
            return f"deviation-bounded search: {self.violation.invariant} violated with {_n(self.deviations)} ({cost})"
        if self.covered < 0:
            return "deviation-bounded search: stopped before the default schedule finished"
        if self.complete:
            return f"no violation in any schedule: every deviation was tried ({cost})"
        line = f"no violation within {_n(self.covered)} ({cost})"
        if self.queued:
            why = "interrupted" if self.interrupted else "budget reached"
            line += f"; with {self.covered + 1}: {self.partial:,} of {self.queued:,} schedules run ({why})"
        return line


def _n(k: int) -> str:
    return f"{k} deviation{'s' if k != 1 else ''}"


@attrs.frozen
class _Schedule(Generic[S]):
    """A schedule to run: the explicit steps from the initial state to ``start``, and the
    deviations among them."""

    steps: tuple[Action, ...]
    start: S
    deviations: int


@attrs.frozen
class _Point(Generic[S]):
    """A state a deviation may be taken from: the steps to it, the state, the step the default
    schedule took there (None at its end), whether every kind of deviation is tried there
    (``full``: the step into it changed what properties read) or only system actions run out
    of turn."""

    run: list[Action]  # the steps of the run it is on, shared by the run's points (appended to only)
    index: int  # how many of them lead to it
    state: S
    default: Action | None
    full: bool

    @property
    def steps(self) -> tuple[Action, ...]:
        return tuple(self.run[: self.index])


class _Found(Exception):  # noqa: N818 - control flow: the search stops at its first violation
    def __init__(self, violation: Violation, steps: tuple[Action, ...], deviations: int) -> None:
        self.violation = violation
        self.steps = steps
        self.deviations = deviations


@attrs.define
class _Search(Generic[S]):
    model: Model[S]
    key: Callable[[S], Hashable]
    kinds: frozenset[str] = KINDS
    schedules: int = 0
    steps_run: int = 0
    points: set[Hashable] = attrs.field(factory=set)  # the keys of the points expanded, or to be
    starts: set[Hashable] = attrs.field(factory=set)
    candidates: list[tuple[Action, bool]] = attrs.field(factory=list)  # (action, is a system action)
    safety: list[Property[S]] = attrs.field(factory=list)

    def __attrs_post_init__(self) -> None:
        self.safety = always_props(self.model)
        self.candidates = [
            (a, spec.category == "system")
            for spec in self.model.action_space()
            if spec.category in self.kinds
            for a in expand(spec)
        ]

    def run(self, sched: _Schedule[S], expand: bool) -> list[_Point[S]]:
        """Run ``sched``'s default schedule to the end, checking properties (``_Found`` on a
        violation); return its points not met before (none unless ``expand``)."""
        model = self.model
        self.schedules += 1
        safety = self.safety
        state, steps = sched.start, list(sched.steps)
        truth = model.truth_key(state)
        points: list[_Point[S]] = []
        n = 0  # steps taken (counted in ``steps_run`` once the schedule has run to its end)
        changed = True  # the schedule's start is a full point
        for action, nxt in settle_steps(model, state):
            if expand:
                points.append(_Point(steps, len(steps), state, action, changed))
            steps.append(action)
            state = nxt
            n += 1
            new_truth = model.truth_key(state)
            changed = not same(truth, new_truth)
            if changed:
                truth = new_truth
                failed = first_failure(safety, state)
                if failed is not None:
                    prop, msg = failed
                    raise _Found(Violation(prop.name, prop.kind, msg, len(steps)), tuple(steps), sched.deviations)
        self.steps_run += n
        if expand:
            points.append(_Point(steps, len(steps), state, None, True))
        failed = first_failure(eventually_props(model), state)
        if failed is not None:
            prop, msg = failed
            if n >= MAX_SETTLE_STEPS:
                msg = f"{msg} (the cluster never settled within {MAX_SETTLE_STEPS} steps)"
            trace = (*sched.steps, SETTLE)
            raise _Found(Violation(prop.name, prop.kind, msg, len(trace)), trace, sched.deviations)
        return self._new_points(points)

    def outcome(
        self,
        found: _Found | None,
        bound: int,
        covered: int,
        *,
        complete: bool = False,
        partial: int = 0,
        queued: int = 0,
        interrupted: bool = False,
    ) -> BoundedOutcome:
        v, steps, devs = (found.violation, found.steps, found.deviations) if found is not None else (None, (), 0)
        return BoundedOutcome(
            v, steps, devs, bound, covered, self.schedules, len(self.points), self.steps_run,
            complete, partial, queued, interrupted,
        )  # fmt: skip

    def _new_points(self, points: list[_Point[S]]) -> list[_Point[S]]:
        out = []
        for point in points:
            k = self.key(point.state)
            if k not in self.points:
                self.points.add(k)
                out.append(point)
        return out

    def deviate(self, point: _Point[S], deviations: int) -> list[_Schedule[S]]:
        """The schedules that take one deviation at ``point`` and follow the default after.

        A deviation that breaks a safety property is a counterexample at once. (Deviations that
        commute with the default step are not left out: the state between them is where the
        next deviation may matter, and measured on the default scenario, leaving them to the
        next point saved 2% of the points.)"""
        steps, state, default = point.steps, point.state, point.default
        model = self.model
        default_next = model.step(state, default) if default is not None else None
        default_key = self.key(default_next) if default_next is not None else None
        out = []
        for action, system in self.candidates:
            if action == default or not (system or point.full):
                continue
            nxt = model.step(state, action)
            if nxt is None:
                continue
            k = self.key(nxt)
            if k == default_key or k in self.starts:
                continue
            failed = first_failure(self.safety, nxt)
            if failed is not None:  # the deviation itself breaks a safety property
                prop, msg = failed
                trace = (*steps, action)
                raise _Found(Violation(prop.name, prop.kind, msg, len(trace)), trace, deviations)
            self.starts.add(k)
            out.append(_Schedule((*steps, action), nxt, deviations))
        return out


def bounded_search(
    model: Model[S],
    *,
    deviations: int = 2,
    key: Callable[[S], Hashable] | None = None,
    max_schedules: int = 1_000_000,
    max_steps: int | None = None,
    deepen: bool = True,
    kinds: frozenset[str] = KINDS,
    on_progress: Callable[[int, int, int], None] | None = None,
) -> BoundedOutcome:
    """Run every schedule of ``model`` with at most ``deviations`` deviations (module docstring),
    fewest first, and stop at the first violation; with ``deepen``, go on to more deviations
    while the budget lasts (up to ``MAX_DEVIATIONS``): ``max_schedules`` schedules and, if given,
    ``max_steps`` model steps in them (a budget of work: cheap schedules come many to the
    step). ``key`` tells states apart for pruning (default: the state itself); ``kinds`` the
    categories of actions a deviation may take (``ActionSpec.category``; default all);
    ``on_progress(k, schedules, points)`` is called after each schedule. Ctrl-C stops it with
    what it covered so far."""
    search: _Search[S] = _Search(model, key or (lambda s: s), kinds)
    initial = model.initial()
    failed = first_failure(search.safety, initial)
    if failed is not None:
        prop, msg = failed
        return BoundedOutcome(Violation(prop.name, prop.kind, msg, 0), (), 0, deviations, -1, 0, 0, 0)
    search.starts.add(search.key(initial))
    level: list[_Schedule[S]] = [_Schedule((), initial, 0)]
    limit = MAX_DEVIATIONS if deepen else deviations

    def spent() -> bool:
        return search.schedules >= max_schedules or (max_steps is not None and search.steps_run >= max_steps)

    covered, done, interrupted = -1, 0, False
    try:
        for k in range(limit + 1):
            points: list[_Point[S]] = []
            done = 0
            for sched in level:
                if spent():
                    break
                points.extend(search.run(sched, expand=k < limit))
                done += 1
                if on_progress is not None:
                    on_progress(k, search.schedules, len(search.points))
            if done < len(level):
                break  # the budget cut this level
            covered, done = k, 0
            if k == limit or (k >= deviations and spent()):
                break
            level = [sched for point in points for sched in search.deviate(point, k + 1)]
            if not level:
                return search.outcome(None, deviations, covered, complete=True)
    except _Found as found:
        return search.outcome(found, deviations, covered)
    except KeyboardInterrupt:
        interrupted = True
    queued = len(level) if done or interrupted else 0
    return search.outcome(None, deviations, covered, partial=done, queued=queued, interrupted=interrupted)


MAX_DEVIATIONS = 8  # the deepest ``deepen`` goes: past a few, schedules outnumber any budget
