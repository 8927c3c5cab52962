"""Running a model: checked steps, the fair settle phase, and violations.

These are shared by every checker (Hypothesis, replay, and later the explorer), so a trace
replays exactly as it was found.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Generic, TypeVar

import attrs

from kmodel.core.model import Action, Model, Property

S = TypeVar("S")

SETTLE = Action("settle")
"""Pseudo-step standing for a whole fair settle phase; replay expands it deterministically."""

MAX_SETTLE_STEPS = 20_000
MAX_REPEAT = 100  # in one round an action repeats while enabled (drains queues), up to this


@attrs.frozen
class Violation:
    """A property that failed: its name, kind, one-line reason, and where.

    ``step`` is the 1-based index into the trace's steps; ``settle_step`` the 1-based index inside
    the settle phase when the failure happened there (else 0).
    """

    invariant: str
    kind: str
    message: str
    step: int
    settle_step: int = 0


class NotEnabled(ValueError):  # noqa: N818 - reads as what happened: "step 3 ... not enabled"
    """A trace's step is not enabled where ``run_steps`` reached it: the trace does not fit this
    model. The only error ``run_steps`` raises on purpose; anything else is a bug in the model
    or the checker and must not be mistaken for a trace that does not replay."""


class PropertyFailed(AssertionError):  # noqa: N818 - it is an assertion failure for Hypothesis
    """Raised inside a Hypothesis run; carries the violation and the steps that led to it."""

    def __init__(self, violation: Violation, steps: tuple[Action, ...]) -> None:
        super().__init__(f"{violation.invariant}: {violation.message}")
        self.violation = violation
        self.steps = steps


def first_failure(props: Sequence[Property[S]], state: S) -> tuple[Property[S], str] | None:
    for p in props:
        msg = p.check(state)
        if msg is not None:
            return p, msg
    return None


def same(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    """Elementwise identity: cheap proof that nothing a property reads has changed."""
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def always_props(model: Model[S]) -> list[Property[S]]:
    return [p for p in model.properties() if p.kind == "always"]


def eventually_props(model: Model[S]) -> list[Property[S]]:
    return [p for p in model.properties() if p.kind == "eventually"]


@attrs.define
class SettleOutcome(Generic[S]):
    state: S
    steps: list[Action]
    settled: bool
    failure: tuple[Property[S], str] | None = None
    states: list[S] = attrs.field(factory=list)  # the state after each step, when recorded


def settle_steps(model: Model[S], state: S, max_steps: int = MAX_SETTLE_STEPS) -> Iterator[tuple[Action, S]]:
    """Yield (action, state) pairs of the fair settle phase, ending when quiescent long enough.

    Round-robin over the system actions, each repeated while it stays enabled (so a component
    drains its pending events before it reconciles), until a full round changes nothing; then
    advance time
    to the next timer. The phase ends once ``progress_key`` has not changed for
    ``quiet_period`` clock units (only heartbeats and clocks moved) and every timer that could
    still change something has fired (``pending_until``), or when no timer is pending.
    Faults and user steps never run here.
    """
    key = model.progress_key(state)
    quiet_since = model.clock(state)
    n = 0
    while n < max_steps:
        progressed = False
        for action in model.system_actions(state):
            for _ in range(MAX_REPEAT):
                nxt = model.step(state, action)
                if nxt is None:
                    break
                state = nxt
                progressed = True
                n += 1
                yield action, state
        if progressed:
            continue
        k = model.progress_key(state)
        if k != key:
            key = k
            quiet_since = model.clock(state)
        elif model.clock(state) - quiet_since >= model.quiet_period and model.clock(state) >= model.pending_until(
            state
        ):
            return
        tick = model.time_action(state)
        if tick is None:
            return
        nxt = model.step(state, tick)
        if nxt is None:
            return
        state = nxt
        n += 1
        yield tick, state


def settle(model: Model[S], state: S, check_safety: bool = True, record: bool = False) -> SettleOutcome[S]:
    """Run the settle phase, checking safety after every step and liveness at the end.
    ``record`` keeps every intermediate state (for replays that show the phase step by step)."""
    safety = always_props(model) if check_safety else []
    steps: list[Action] = []
    states: list[S] = []
    key = model.truth_key(state)
    for action, nxt in settle_steps(model, state):
        state = nxt
        steps.append(action)
        if record:
            states.append(state)
        new_key = model.truth_key(state)
        if not same(key, new_key):
            key = new_key
            failed = first_failure(safety, state)
            if failed is not None:
                return SettleOutcome(state, steps, False, failed, states)
    settled = len(steps) < MAX_SETTLE_STEPS
    failed = first_failure(eventually_props(model), state)
    if failed is not None and not settled:
        prop, msg = failed
        failed = (prop, f"{msg} (the cluster never settled within {MAX_SETTLE_STEPS} steps)")
    return SettleOutcome(state, steps, settled, failed, states)


def run_steps(
    model: Model[S], steps: Sequence[Action], skip_disabled: bool = False
) -> Iterator[tuple[int, Action, S, S, Violation | None, list[tuple[Action, S, S]]]]:
    """Replay ``steps`` from the initial state, yielding per step:
    (index, action, before, after, violation-or-None, expanded settle sub-steps).

    A step that is not enabled raises ``NotEnabled`` (the trace does not fit this model), or
    with ``skip_disabled`` is yielded with ``after is before`` and skipped — how a trace
    replays against a model that has since been fixed.
    """
    safety = always_props(model)
    state = model.initial()
    failed = first_failure(safety, state)
    if failed is not None:
        prop, msg = failed
        yield 0, Action("initial"), state, state, Violation(prop.name, prop.kind, msg, 0), []
        return
    for i, action in enumerate(steps, start=1):
        before = state
        if action == SETTLE:
            violation = None
            outcome = settle(model, state, record=True)
            # the state before each settle step: the phase may have no step at all (a model that
            # is already quiescent, or one whose settle phase is cut short, as ClusterModel's is
            # once a never-settles invariant has recorded its violation)
            befores = [state, *outcome.states][: len(outcome.states)]
            sub: list[tuple[Action, Any, Any]] = list(zip(outcome.steps, befores, outcome.states, strict=True))
            state = outcome.state
            if outcome.failure is not None:
                prop, msg = outcome.failure
                settle_at = len(outcome.steps) if prop.kind == "always" else 0
                violation = Violation(prop.name, prop.kind, msg, i, settle_at)
            yield i, action, before, state, violation, sub
            if violation is not None:
                return
            continue
        nxt = model.step(state, action)
        if nxt is None:
            if skip_disabled:
                yield i, action, state, state, None, []
                continue
            raise NotEnabled(f"step {i}: {action} is not enabled in this state")
        state = nxt
        failed = first_failure(safety, state)
        violation = None
        if failed is not None:
            prop, msg = failed
            violation = Violation(prop.name, prop.kind, msg, i)
        yield i, action, before, state, violation, []
        if violation is not None:
            return


def reproduce(model: Model[S], steps: Sequence[Action], invariant: str) -> Violation | None:
    """Replay ``steps``; the violation of ``invariant`` they lead to, or None (including when a
    step is not enabled, or another property fails first). Any other error propagates: a
    candidate that crashes the replay is a bug, and taking it for "does not reproduce" would
    leave ``minimize`` unable to shorten, and ``check`` writing, a trace that cannot replay."""
    try:
        for _, _, _, _, violation, _ in run_steps(model, steps):
            if violation is not None:
                return violation if violation.invariant == invariant else None
    except NotEnabled:
        return None
    return None


def minimize(model: Model[S], steps: Sequence[Action], violation: Violation) -> tuple[list[Action], Violation]:
    """Delete steps while the same property still fails (greedy delta debugging).

    Hypothesis shrinks the choice sequence; this pass works on the actions themselves, which
    are named by stable keys, so deleting one rarely changes what the others mean. It finds
    1-minimal traces: no single step can be removed. A trailing settle phase is kept.
    """
    current = list(steps[: violation.step])
    tail = [SETTLE] if current and current[-1] == SETTLE else []
    body = current[: len(current) - len(tail)]
    chunk = max(1, len(body) // 2)
    while chunk >= 1:
        i = 0
        removed = False
        while i < len(body):
            candidate = body[:i] + body[i + chunk :]
            found = reproduce(model, candidate + tail, violation.invariant)
            if found is not None:
                body = candidate[: found.step] if found.step <= len(candidate) and not tail else candidate
                violation = found
                removed = True
            else:
                i += chunk
        if not removed:
            chunk //= 2
        if chunk == 0 and len(body) <= PAIR_LIMIT:
            pair = _remove_pair(model, body, tail, violation)
            if pair is not None:
                body, violation = pair
                chunk = 1
    return body + tail, violation


PAIR_LIMIT = 40


def _remove_pair(
    model: Model[S], body: list[Action], tail: list[Action], violation: Violation
) -> tuple[list[Action], Violation] | None:
    """The first trace without two of ``body``'s steps that still shows the violation."""
    for i in range(len(body)):
        for j in range(i + 1, len(body)):
            candidate = body[:i] + body[i + 1 : j] + body[j + 1 :]
            found = reproduce(model, candidate + tail, violation.invariant)
            if found is not None:
                return (candidate[: found.step] if found.step <= len(candidate) and not tail else candidate), found
    return None
