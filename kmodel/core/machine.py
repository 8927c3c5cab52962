"""A Hypothesis RuleBasedStateMachine built from any Model, and the ``check`` loop around it.

One rule per operation of the model's action space. Each rule draws its arguments from fixed
lists of stable names (node names, component names, replica counts), never positions in a list
that changes, so deleting a step while shrinking does not change what later steps mean. A drawn
action that is not enabled is a no-op and is not recorded in the trace.

Safety properties are checked after every recorded step; at the end of each run the fair settle
phase runs (no faults, no user steps) and the liveness properties are checked.

Swarm testing (Groce et al., "Swarm testing", ISSTA'12) comes with Hypothesis's stateful
testing: each run draws feature flags that disable a random share of the rules for that run
(``hypothesis/stateful.py: RuleStrategy`` over ``hypothesis/strategies/_internal/
featureflags.py: FeatureFlags``, Hypothesis 6.x; the share is itself drawn, from none to almost
all, and flags "shrink open" so a shrunk trace may use every rule). A rule here is one operation
of the action space: each fault kind (``crash_node``, ``reconcile_lossy``, ...), each user op,
``tick``, and the components' ``deliver`` and ``reconcile``, so one run may see only a partition
and a scale, another every fault.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import attrs
from hypothesis import HealthCheck, Phase, Verbosity, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, get_state_machine_test, precondition, rule

from kmodel.core.model import Action, ActionSpec, Model, Property, expand
from kmodel.core.run import (
    SETTLE,
    PropertyFailed,
    SettleOutcome,
    Violation,
    always_props,
    first_failure,
    same,
    settle,
)

S = TypeVar("S")


@attrs.define
class Stats:
    """Counters a check run accumulates (no wall clock: timing belongs to the edges)."""

    runs: int = 0
    rule_calls: int = 0  # rules Hypothesis ran, including draws that were no-ops
    first_failure_run: int = 0
    steps: int = 0
    settle_steps: int = 0
    op_counts: dict[str, int] = attrs.field(factory=dict)
    # distinct ``progress_key`` values seen (the cluster's abstract states: objects, not clocks,
    # heartbeats or caches), like TLC's coverage of distinct states
    abstract: set[Any] = attrs.field(factory=set)


MEMO_LIMIT = 200_000  # states a check remembers steps of before it starts afresh (memory bound)


class StepMemo:
    """``model.step``, safety checks and settle phases, memoised across the runs of one check.

    Every Hypothesis run starts from the same ``initial()`` object and most runs replay a
    prefix of an earlier one (Hypothesis mutates the runs it has seen), so a run walks through
    state objects an earlier run already stepped from. Steps are remembered per state object
    (by identity: no hashing, and a remembered successor is the very object a later run then
    steps from, so whole prefixes are reused), as is whether each fixed action is enabled, and
    whether the safety properties hold. Settle phases are remembered by state equality (one
    hash per run): runs that differ only in no-ops or in order often end in equal states.

    The model is a pure function, so this changes no result, only what is recomputed. Only the
    successor a run actually took is kept beyond the current state (a precondition needs just
    a bool), and everything is dropped past ``MEMO_LIMIT`` states to bound memory.
    """

    def __init__(self, model: Model[Any]) -> None:
        self.model = model
        self.safety = always_props(model)
        # id(state) -> (state, {action: None (disabled) | True (enabled) | successor})
        self._known: dict[int, tuple[Any, dict[Action, Any]]] = {}
        self._checked: dict[int, tuple[Any, Any]] = {}  # id(state) -> (state, first_failure)
        self._settled: dict[Any, SettleOutcome[Any]] = {}
        self._cur: Any = None  # the state whose computed successors are all still at hand
        self._cur_next: dict[Action, Any] = {}

    def _entry(self, state: Any) -> dict[Action, Any]:
        hit = self._known.get(id(state))
        if hit is not None:
            return hit[1]
        if len(self._known) >= MEMO_LIMIT:
            self._known.clear()
            self._checked.clear()
        d: dict[Action, Any] = {}
        self._known[id(state)] = (state, d)
        return d

    def _compute(self, state: Any, action: Action) -> Any:
        if self._cur is not state:
            self._cur = state
            self._cur_next = {}
        nxt = self._cur_next.get(action, self)
        if nxt is self:
            nxt = self._cur_next[action] = self.model.step(state, action)
        return nxt

    def enabled(self, state: Any, action: Action) -> bool:
        """``model.step(state, action) is not None``."""
        d = self._entry(state)
        known = d.get(action, self)
        if known is self:
            nxt = self._compute(state, action)
            d[action] = None if nxt is None else True
            return nxt is not None
        return known is not None

    def step(self, state: Any, action: Action) -> Any:
        """``model.step(state, action)``."""
        d = self._entry(state)
        known = d.get(action, self)
        if known is None or (known is not self and known is not True):
            return known
        nxt = d[action] = self._compute(state, action)
        return nxt

    def first_failure(self, state: Any) -> tuple[Property[Any], str] | None:
        """``first_failure`` of the safety properties in ``state``."""
        hit = self._checked.get(id(state))
        if hit is not None and hit[0] is state:
            return hit[1]  # type: ignore[no-any-return]
        failed = first_failure(self.safety, state)
        self._checked[id(state)] = (state, failed)
        return failed

    def settle(self, state: Any) -> SettleOutcome[Any]:
        """``settle(model, state)``."""
        outcome = self._settled.get(state)
        if outcome is None:
            if len(self._settled) >= MEMO_LIMIT // 100:
                self._settled.clear()
            outcome = self._settled[state] = settle(self.model, state)
        return outcome


def build_machine(model: Model[S], stats: Stats) -> type[RuleBasedStateMachine]:
    """Return a RuleBasedStateMachine class that drives ``model``."""
    memo = StepMemo(model)

    class ModelMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.state: Any = model.initial()
            self.steps: list[Action] = []
            self.failed = False
            stats.runs += 1
            self._check(0)

        def _check(self, settle_at: int) -> None:
            failed = memo.first_failure(self.state)
            if failed is not None:
                prop, msg = failed
                self.failed = True
                if not stats.first_failure_run:
                    stats.first_failure_run = stats.runs
                v = Violation(prop.name, prop.kind, msg, len(self.steps), settle_at)
                raise PropertyFailed(v, tuple(self.steps))

        def _enabled(self, action: Action) -> bool:
            """Whether ``action`` is enabled now (a precondition; the step is kept for the rule)."""
            return memo.enabled(self.state, action)

        def do(self, action: Action) -> None:
            stats.rule_calls += 1
            nxt = memo.step(self.state, action)
            if nxt is None:
                return
            before = model.truth_key(self.state)
            self.state = nxt
            self.steps.append(action)
            stats.steps += 1
            stats.op_counts[action.op] = stats.op_counts.get(action.op, 0) + 1
            if not same(before, model.truth_key(nxt)):
                stats.abstract.add(model.progress_key(nxt))
                self._check(0)

        def teardown(self) -> None:
            if self.failed:
                return
            outcome = memo.settle(self.state)
            stats.settle_steps += len(outcome.steps)
            stats.abstract.add(model.progress_key(outcome.state))
            if outcome.failure is not None:
                prop, msg = outcome.failure
                if not stats.first_failure_run:
                    stats.first_failure_run = stats.runs
                self.steps.append(SETTLE)
                settle_at = len(outcome.steps) if prop.kind == "always" else 0
                v = Violation(prop.name, prop.kind, msg, len(self.steps), settle_at)
                raise PropertyFailed(v, tuple(self.steps))

    used: set[str] = set()
    for spec in model.action_space():
        if any(len(values) == 0 for _, values in spec.params):
            continue
        name = spec.op
        if len(spec.params) == 1 and len(spec.params[0][1]) == 1:
            name = f"{spec.op}_{_ident(spec.params[0][1][0])}"
        n = 1
        while name in used:
            n += 1
            name = f"{spec.op}_{n}"
        used.add(name)
        setattr(ModelMachine, name, _make_rule(spec, name))
    return ModelMachine


@contextlib.contextmanager
def _no_local_constants() -> Iterator[None]:
    """Keep Hypothesis from mixing constants found in the caller's source into its draws.

    Hypothesis seeds integer draws (and so rule choice) with literals collected from every
    "local" module in ``sys.modules`` (``hypothesis.internal.conjecture.providers.
    _get_local_constants``). Which modules are loaded, and whether kmodel is an editable
    install, would then change what a given seed explores: measured here, importing
    ``kmodel.cli`` changed the default scenario's run from 223 to 228 examples. kmodel promises
    same seed → same trace, so the pool is emptied for the duration of a check.
    """
    from hypothesis.internal.conjecture import providers

    original = getattr(providers, "_get_local_constants", None)
    if original is None:  # a future Hypothesis without the feature: nothing to do
        yield
        return
    empty = providers.Constants()
    providers._get_local_constants = lambda: empty
    try:
        yield
    finally:
        providers._get_local_constants = original


def _ident(value: Any) -> str:
    return "".join(c if c.isalnum() else "_" for c in str(value))


def _make_rule(spec: ActionSpec, name: str) -> Any:
    """A rule whose keyword arguments are the action's, prefixed so they never clash with
    ``rule()``'s own (``target``, ``targets``).

    A rule with no choice left (every parameter has one value) gets a precondition: it is
    drawn only when its action is enabled, so runs are not wasted on no-ops. The step it
    computes is memoised and reused when the rule runs.
    """
    op = spec.op

    def run(self: Any, **kwargs: Any) -> None:
        self.do(Action.of(op, **{k[2:]: v for k, v in kwargs.items()}))

    run.__name__ = name
    strategies = {f"a_{pname}": _choice(values) for pname, values in spec.params}
    result = rule(**strategies)(run)  # type: ignore[call-overload]
    if all(len(values) == 1 for _, values in spec.params):
        fixed = Action.of(op, **{pname: values[0] for pname, values in spec.params})

        def enabled(self: Any) -> bool:
            return self._enabled(fixed)  # type: ignore[no-any-return]

        # a named function, not a lambda: Hypothesis describes every precondition it evaluates,
        # and a lambda's description means reading its source
        enabled.__name__ = f"{name}_enabled"
        result = precondition(enabled)(result)
    elif spec.category == "choice":
        # another option of a choice a system action makes exists only now and then (a score
        # tie): drawn only when one of its actions is enabled, so runs are not spent on no-ops
        options = expand(spec)

        def any_enabled(self: Any) -> bool:
            return any(self._enabled(a) for a in options)

        any_enabled.__name__ = f"{name}_enabled"
        result = precondition(any_enabled)(result)
    _stable_hash(result, name)
    return result


def _choice(values: tuple[Any, ...]) -> Any:
    """``sampled_from`` by index: a strategy whose Hypothesis label does not depend on
    ``hash()`` of the values (``sampled_from``'s does, and so on PYTHONHASHSEED)."""
    return st.integers(0, len(values) - 1).map(values.__getitem__)


def _stable_hash(rule_function: Any, name: str) -> None:
    """Give the Rule a hash derived from its name.

    Hypothesis labels ``sampled_from(rules)`` by ``hash(rule)``, which hashes function and
    strategy objects by identity, i.e. by memory address; labels steer its mutator, so the same
    seed could explore differently depending on what else the process imported. Pinning the
    cached hash makes runs reproducible byte for byte. (Relies on ``Rule._cached_hash``; if a
    future Hypothesis drops it this silently does nothing and the determinism test catches it.)
    """
    rule_obj = getattr(rule_function, "hypothesis_stateful_rule", None)
    if rule_obj is not None and hasattr(rule_obj, "_cached_hash"):
        digest = hashlib.sha256(name.encode()).digest()
        rule_obj._cached_hash = int.from_bytes(digest[:8], "big") >> 2


@attrs.frozen
class CheckOutcome:
    """The result of checking a model: a violation with its (shrunk) steps, or none."""

    violation: Violation | None
    steps: tuple[Action, ...]
    runs: int
    first_failure_run: int
    rule_calls: int
    model_steps: int
    settle_steps: int
    op_counts: tuple[tuple[str, int], ...]
    interrupted: bool = False  # stopped by Ctrl-C before the budget was used
    abstract_states: int = 0  # distinct abstract states reached (see Stats.abstract)


def check_model(
    model: Model[S],
    *,
    seed_value: int = 0,
    examples: int = 100,
    steps: int = 50,
    shrink: bool = True,
    on_run: Callable[[Stats], None] | None = None,
) -> CheckOutcome:
    """Search for a violation with Hypothesis; shrink it; return it with the run statistics.

    Same model and seed give the same outcome: the example database is off and the search is
    seeded, so nothing from earlier runs leaks in.
    """
    stats = Stats()
    machine = build_machine(model, stats)
    if on_run is not None:
        original_init = machine.__init__

        def init(self: Any) -> None:
            original_init(self)
            on_run(stats)

        machine.__init__ = init  # type: ignore[method-assign]
    hyp_settings = settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        derandomize=False,
        print_blob=False,
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        phases=[Phase.explicit, Phase.generate, Phase.shrink] if shrink else [Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    test = get_state_machine_test(machine, settings=hyp_settings)
    test = seed(seed_value)(test)
    interrupted = False
    try:
        with _no_local_constants():
            test()
    except KeyboardInterrupt:
        interrupted = True  # Ctrl-C: report what was explored so far
    except PropertyFailed as failure:
        return CheckOutcome(
            failure.violation,
            failure.steps,
            stats.runs,
            stats.first_failure_run,
            stats.rule_calls,
            stats.steps,
            stats.settle_steps,
            tuple(sorted(stats.op_counts.items())),
            abstract_states=len(stats.abstract),
        )
    ops = tuple(sorted(stats.op_counts.items()))
    return CheckOutcome(
        None,
        (),
        stats.runs,
        0,
        stats.rule_calls,
        stats.steps,
        stats.settle_steps,
        ops,
        interrupted,
        len(stats.abstract),
    )
