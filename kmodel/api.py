"""The public API: check a scenario, save and load traces, replay them.

This is an edge module: it may time runs and touch files; the model underneath stays pure.

Every public function here raises ``InputError`` for bad input, ``UserCodeError`` when a user
controller or invariant fails, and ``KmodelInternalError`` (chained to the cause) for anything
else: a bug in kmodel is never passed off as a verdict or as bad input.
"""

from __future__ import annotations

import copy
import functools
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import attrs

from kmodel._version import __version__
from kmodel.core.bounded import BoundedOutcome, bounded_search
from kmodel.core.explore import ExploreProgress, ExploreResult, lasso_violation
from kmodel.core.explore import explore as explore_model
from kmodel.core.machine import CheckOutcome, check_model
from kmodel.core.model import Action, ActionSpec, Scalar, expand
from kmodel.core.run import SETTLE, Violation, always_props, first_failure, minimize, run_steps, settle_steps
from kmodel.core.trace import Trace
from kmodel.errors import InputError, KmodelInternalError, OutputError
from kmodel.fields import _type_name, suggest
from kmodel.k8s.explore_view import ExploreView
from kmodel.k8s.symmetry import PodScopeError, decode_frame
from kmodel.k8s.usercontrollers import UserCodeError
from kmodel.scenario import Scenario, scenario_from_data
from kmodel.scenario import load_scenario as _load_scenario
from kmodel.yamlio import dump, load_documents, read_text, write_atomic

if TYPE_CHECKING:
    from kmodel.staging import Staging

_P = ParamSpec("_P")
_R = TypeVar("_R")

# Not kmodel bugs: passed through unwrapped. BrokenPipeError: the reader of a progress line left.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (InputError, UserCodeError, KmodelInternalError, BrokenPipeError)


def internal_errors(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """``fn``, raising ``KmodelInternalError`` from any exception but ``EXPECTED_ERRORS`` (and
    ``KeyboardInterrupt``, which is no ``Exception``)."""

    @functools.wraps(fn)
    def guarded(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return fn(*args, **kwargs)
        except EXPECTED_ERRORS:
            raise
        except Exception as exc:
            raise KmodelInternalError(exc) from exc

    return guarded


@internal_errors
def load_scenario(path: str | Path | None = None) -> Scenario:
    """Load a scenario file (the built-in default when ``path`` is None);
    ``kmodel.scenario.load_scenario`` with internal errors raised as ``KmodelInternalError``."""
    return _load_scenario(path)


@attrs.frozen
class CheckResult:
    scenario: Scenario
    seed: int
    examples: int
    steps: int
    outcome: CheckOutcome
    trace: Trace | None
    seconds: float
    found_steps: int  # length of the failing run before minimising
    search_seconds: float = 0.0  # the random search alone: time to the first violation, or the whole budget
    bounded: BoundedOutcome | None = None  # the deviation-bounded search, when it ran
    found_by: str = ""  # "random" or "bounded" when a violation was found
    bounded_seconds: float = 0.0  # the deviation-bounded search alone (0 when it did not run); no minimising
    initial_settle: bool = False
    """The violation happened while settling the initial state (``start: settled``): the trace
    is that settle phase's steps, shrunk, on the scenario with ``start: applied``."""

    @property
    def guarantee(self) -> str:
        """The line a report and the summary give for what the deviation-bounded search covered."""
        if self.bounded is not None:
            return self.bounded.guarantee()
        if self.trace is not None:
            return "deviation-bounded search: not run (the random phase found a violation first)"
        if self.outcome.interrupted:
            return "deviation-bounded search: not run (interrupted)"
        return "deviation-bounded search: off"

    @property
    def held(self) -> bool:
        return self.trace is None


def _as_scenario(scenario: Scenario | str | Path | None) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


@internal_errors
def check(
    scenario: Scenario | str | Path | None = None,
    *,
    seed: int = 0,
    examples: int | None = None,
    steps: int | None = None,
    hypothesis_shrink: bool = False,
    on_run: Callable[[int], None] | None = None,
    deviations: int | None = None,
    schedules: int | None = None,
    on_schedule: Callable[[int, int, int], None] | None = None,
) -> CheckResult:
    """Search a scenario for an invariant violation.

    Two searches run, within the scenario's budget: the random phase, then, if it found nothing,
    the deviation-bounded search (``kmodel.core.bounded``): every schedule with at most
    ``deviations`` (default ``budget.deviations``) departures from the fair default schedule,
    fewest first, up to ``schedules`` schedules (default: ``budget.schedules``, and
    ``budget.boundedSteps`` model steps in them); ``deviations=-1`` turns it
    off. ``on_schedule(k, schedules, points)`` reports its progress.

    Hypothesis generates runs (seeded, no example database, so the same seed gives the same
    result). A failing run is then minimised by deleting steps while the same invariant still
    fails (``kmodel.core.run.minimize``). Hypothesis's own shrinker is off by default: on the
    walking-skeleton scenarios it took 8–31 s per failure where the step-deletion pass takes
    under 0.1 s and gives traces as short or shorter; ``hypothesis_shrink=True`` runs both.
    """
    sc = _as_scenario(scenario)
    model = sc.model()
    ex = examples if examples is not None else sc.budget.examples
    st = steps if steps is not None else sc.budget.steps
    t0 = time.perf_counter()
    progress = None if on_run is None else (lambda stats: on_run(stats.runs))
    outcome = check_model(model, seed_value=seed, examples=ex, steps=st, shrink=hypothesis_shrink, on_run=progress)
    searched = time.perf_counter() - t0
    trace = None
    found = len(outcome.steps)
    found_steps, found_violation, found_by = outcome.steps, outcome.violation, "random"
    dev = deviations if deviations is not None else sc.budget.deviations
    bounded = None
    bounded_seconds = 0.0
    if outcome.violation is None and not outcome.interrupted and dev >= 0:
        tb = time.perf_counter()
        bounded = bounded_search(
            model,
            deviations=dev,
            max_schedules=schedules if schedules is not None else sc.budget.schedules,
            max_steps=sc.budget.bounded_steps if schedules is None else None,
            on_progress=on_schedule,
        )
        bounded_seconds = time.perf_counter() - tb
        found_steps, found_violation, found_by = bounded.steps, bounded.violation, "bounded"
        found = len(bounded.steps)
    initial_settle = False
    if found_violation is not None:
        steps_min, violation = minimize(model, found_steps, found_violation)
        resolved = sc.resolved
        unrolled = _unroll_initial_settle(sc) if violation.step == 0 and sc.config.start == "settled" else None
        if unrolled is not None:
            resolved, steps_min, violation = unrolled
            initial_settle = True
        trace = Trace(__version__, resolved, seed, tuple(steps_min), violation, scenario_file=scenario_file(sc))
    else:
        found_by = ""
    seconds = time.perf_counter() - t0
    return CheckResult(
        sc, seed, ex, st, outcome, trace, seconds, found, searched, bounded, found_by, bounded_seconds, initial_settle
    )


def applied_start(resolved: dict[str, Any]) -> dict[str, Any]:
    """A resolved scenario with ``start: applied``: the objects just created, nothing run yet."""
    data = copy.deepcopy(resolved)
    data["spec"]["start"] = "applied"
    return data


def _unroll_initial_settle(sc: Scenario) -> tuple[dict[str, Any], list[Action], Violation] | None:
    """A violation in the initial state of a ``start: settled`` scenario happened while the
    initial state was being settled, where no invariant is checked. Its trace is that settle
    phase: the same steps (``settle_steps``) from the state before it (``start: applied``),
    up to the first that breaks a safety invariant, then shrunk like any other trace. None if
    no step of it breaks one (then the 0-step trace stands)."""
    data = applied_start(sc.resolved)
    model = scenario_from_data(data, sc.source).model()
    safety = always_props(model)
    start = model.initial()
    if first_failure(safety, start) is not None:
        return None
    steps: list[Action] = []
    for action, state in settle_steps(model, start):
        steps.append(action)
        failed = first_failure(safety, state)
        if failed is not None:
            prop, msg = failed
            shrunk, violation = minimize(model, steps, Violation(prop.name, prop.kind, msg, len(steps)))
            return data, shrunk, violation
    return None


def scenario_file(sc: Scenario) -> str | None:
    """The scenario's file as an absolute path, for a scenario with user modules (what
    ``replay(current_code=True)`` reads them beside); None for any other scenario, so that
    their traces stay as they were."""
    if not sc.resolved.get("spec", {}).get("modules"):
        return None
    path = Path(sc.source)
    return str(path.resolve()) if path.is_file() else None


def trace_path(out_dir: Path, trace: Trace, scenario_name: str) -> Path:
    return out_dir / "traces" / f"{scenario_name}-{trace.violation.invariant}-seed{trace.seed}.yaml"


@internal_errors
def save_trace(trace: Trace, path: Path, *, staging: Staging | None = None) -> None:
    """Write ``trace`` to ``path`` atomically, or into ``staging`` (committed by the caller)."""
    header = (
        f"# kmodel trace: {trace.violation.invariant} violated after {len(trace.steps)} steps.\n"
        f"# Replay it with: kmodel replay {path}\n"
    )
    text = header + dump(trace.to_data(relative_to=os.path.abspath(path.parent)))
    if staging is None:
        try:
            write_atomic(path, text)
        except OSError as err:
            raise OutputError(f"cannot write: {err.strerror or err}", file=str(path)) from None
    else:
        staging.write(path, text)


@internal_errors
def load_trace(path: str | Path) -> Trace:
    p = Path(path)
    label = str(path)
    docs = load_documents(read_text(p, label), label)
    if len(docs) != 1:
        raise InputError(f"expected one YAML document, found {len(docs)}", file=label)
    try:
        trace = Trace.from_data(docs[0], __version__, os.path.abspath(p.parent))
    except InputError as err:
        raise err.within(file=label, document=1) from None
    return trace


def check_steps(model: ExploreView, steps: Sequence[Action], label: str) -> None:
    """Check every step of a trace against the operations ``model`` declares, before any runs.

    A trace is input: a step must name an op of ``model.action_space()`` and give exactly the
    parameters one of its specs declares, each of the declared type and one of its allowed
    values. The explorer's variants are steps too: a scheduler tie (``model.tie_actions()``,
    ``reconcile`` with a ``node``) and a pod ``frame`` on any step (which ``plain_action``
    strips; it must be a renaming ``a:b,b:a``, and one this state does not allow is skipped
    as not enabled). Raises ``InputError`` naming ``steps[i]`` and the argument."""
    specs: dict[str, list[ActionSpec]] = {}
    for spec in model.action_space():
        specs.setdefault(spec.op, []).append(spec)
    ties = model.tie_actions()
    known = {a for spec in model.action_space() for a in expand(spec)} | set(ties)
    params: dict[str, dict[str, list[Scalar]]] = {}
    for op, op_specs in specs.items():
        for spec in op_specs:
            for name, values in spec.params:
                params.setdefault(op, {}).setdefault(name, []).extend(values)
    for tie in ties:
        for name, value in tie.args:
            params.setdefault(tie.op, {}).setdefault(name, []).append(value)

    for i, action in enumerate(steps):

        def error(detail: str, arg: str | None = None, i: int = i, action: Action = action) -> InputError:
            text = str(action) if len(str(action)) <= 80 else str(action)[:77] + "..."
            message = f"does not replay on this model: {text} is not an action of this scenario: {detail}"
            return InputError(message, file=label, document=1, path=("steps", i, *((arg,) if arg else ())))

        if action.op == SETTLE.op:
            if action.args:
                raise error("unknown argument (settle takes none)", action.args[0][0])
            continue
        allowed = params.get(action.op)
        if allowed is None and action.op not in specs:
            raise error(f"unknown op {action.op!r} for this scenario{suggest(action.op, sorted(specs), 'known')}", "op")
        allowed = allowed or {}
        for name, value in action.args:
            if name == "frame":
                if decode_frame(value) is None:
                    raise error(
                        f"expected a pod renaming like 'web-a:web-b,web-b:web-a', got {_type_name(value)}", name
                    )
                continue
            if name not in allowed:
                if not allowed:
                    raise error(f"unknown argument ({action.op} takes none)", name)
                raise error(f"unknown argument of {action.op}{suggest(name, [*allowed, 'frame'], 'expected')}", name)
            choices = allowed[name]
            if not any(type(value) is type(v) for v in choices):
                raise error(f"expected {_kind(choices[0])}, got {_type_name(value)}", name)
            if not any(type(value) is type(v) and value == v for v in choices):
                shown = ", ".join(str(v) for v in dict.fromkeys(choices[:10]))
                more = ", ..." if len(choices) > 10 else ""
                raise error(f"{value!r} is not a value this scenario allows ({shown}{more})", name)
        plain = model.plain_action(action)
        if plain not in known:
            given = {k for k, _ in plain.args}
            for spec in specs.get(action.op, ()):
                missing = [k for k, _ in spec.params if k not in given]
                if missing and given <= {k for k, _ in spec.params}:
                    raise error(f"{action.op} needs the argument {missing[0]!r}")
            raise InputError(
                f"does not replay on this model: {action} is not an action of this scenario",
                file=label,
                document=1,
                path=("steps", i),
            )


def _kind(value: Scalar) -> str:
    return "a boolean" if isinstance(value, bool) else "an integer" if isinstance(value, int) else "a string"


@attrs.frozen
class ReplayRow:
    index: int
    action: Action
    description: str
    violation: Violation | None
    clock: int
    sub: tuple[tuple[Action, str, int, bool], ...] = ()  # action, description, clock, progressed
    sample: tuple[tuple[str, int], ...] = ()  # ``replay(sample=...)`` of the state after the step


@attrs.frozen
class ReplayResult:
    rows: tuple[ReplayRow, ...]
    violation: Violation | None
    expected: Violation
    loop_start: int | None = None  # a lasso: rows after this many steps repeat forever
    initial_sample: tuple[tuple[str, int], ...] = ()
    initial_clock: int = 0
    current_code: bool = False  # replayed on the modules as they are on disk now
    difference: Difference | None = None  # current_code: where the run first left the recorded one

    @property
    def reproduced(self) -> bool:
        return self.violation is not None and self.violation.invariant == self.expected.invariant

    @property
    def held(self) -> bool:
        """No invariant was violated along the replay (with ``current_code``, along the trace
        and the settle phase after it): for a trace kept as a regression test, the fix holds."""
        return self.violation is None


@attrs.frozen
class Difference:
    """The first step where a replay on the current code did something else than the run the
    trace recorded: the step's index, what it did then, and what it does now."""

    step: int
    action: Action
    recorded: str
    now: str

    def __str__(self) -> str:
        return f"step {self.step} ({self.action}): recorded: {self.recorded}; now: {self.now}"


@internal_errors
def replay(
    trace: Trace | str | Path,
    sample: Callable[[Any], dict[str, int]] | None = None,
    *,
    current_code: bool = False,
    scenario: str | Path | None = None,
) -> ReplayResult:
    """Re-execute a trace step by step, describing what each step changed. ``sample``, if
    given, measures the state after each step (e.g. ``kmodel.k8s.metrics.workload_metrics``)
    in the same pass, for charts.

    ``current_code=True`` replays the trace's steps on the scenario's user modules (its
    controllers and invariants, and the modules they import) as they are on disk now, read
    beside the scenario file the trace names (``scenarioFile``; ``scenario`` gives another),
    instead of the source the trace embeds; a settle phase follows the last step if the trace
    has none, so a fix holds only if nothing is violated after the trace either. The result's
    ``held`` says whether the fix holds, and ``difference`` where the run first did something
    else than the recorded one."""
    tr = trace if isinstance(trace, Trace) else load_trace(trace)
    label = "<trace>" if isinstance(trace, Trace) else str(trace)
    tr = _settled_start_as_steps(tr)
    if not current_code:
        if scenario is not None:
            raise InputError("a scenario is read only with current_code=True (--current-code)", file=label)
        return _replay(_trace_model(tr, label), tr, tr.steps, sample)
    recorded = _replay(_trace_model(tr, label), tr, tr.steps, None)
    model = _current_model(tr, label, scenario)
    steps = tr.steps if tr.steps and tr.steps[-1] == SETTLE else (*tr.steps, SETTLE)
    result = _replay(model, tr, steps, sample)
    return attrs.evolve(result, current_code=True, difference=_difference(recorded.rows, result.rows))


def _settled_start_as_steps(tr: Trace) -> Trace:
    """A trace whose violation is in the initial state of a ``start: settled`` scenario (0
    steps; ``check`` writes such traces with the settle's steps, older kmodels did not): the
    same trace on ``start: applied`` with one ``settle`` step, so that replay shows how the
    settle broke the invariant, step by step."""
    spec = tr.scenario.get("spec")
    if tr.steps or tr.violation.step != 0 or not isinstance(spec, dict) or spec.get("start", "settled") != "settled":
        return tr
    return attrs.evolve(tr, scenario=applied_start(tr.scenario), steps=(SETTLE,))


def _replay(
    model: ExploreView, tr: Trace, steps: Sequence[Action], sample: Callable[[Any], dict[str, int]] | None
) -> ReplayResult:
    def measure(state: Any) -> tuple[tuple[str, int], ...]:
        return tuple(sample(state).items()) if sample is not None else ()

    rows: list[ReplayRow] = []
    found: Violation | None = None
    for i, action, before, after, violation, sub in run_steps(model, steps, skip_disabled=True):
        if after is before and action != SETTLE and action.op != "initial":
            rows.append(
                ReplayRow(i, action, "not enabled in this state: skipped", None, after.clock, sample=measure(after))
            )
        elif action.op == "initial":
            desc = "the initial state"
            if model.config.start == "settled":
                desc += " (start: settled): violated while settling the initial state"
            rows.append(ReplayRow(i, action, desc, violation, after.clock, sample=measure(after)))
        elif action == SETTLE:
            subrows = tuple(
                (a, model.describe(b, a, s), s.clock, model.progress_key(b) != model.progress_key(s)) for a, b, s in sub
            )
            desc = f"fair settle phase: {len(sub)} steps, clock {before.clock}s → {after.clock}s"
            rows.append(ReplayRow(i, action, desc, violation, after.clock, subrows, measure(after)))
        else:
            desc = model.describe(before, action, after)
            rows.append(ReplayRow(i, action, desc, violation, after.clock, sample=measure(after)))
        if violation is not None:
            found = violation
    if tr.loop_start is not None and found is None:
        # A liveness lasso from ``explore``: replayed once; the loop must close on the same
        # state, be fair, and contain a state where the property is false.
        found = lasso_violation(model, tr.steps, tr.loop_start)
        if found is not None and rows:
            rows[-1] = attrs.evolve(rows[-1], violation=found)
    start = model.initial()
    return ReplayResult(tuple(rows), found, tr.violation, tr.loop_start, measure(start), start.clock)


def _difference(recorded: Sequence[ReplayRow], now: Sequence[ReplayRow]) -> Difference | None:
    """The first row where two replays of one trace differ: in what the step did (a settle
    phase: in any of its steps), or in a violation one of them found there."""

    def said(row: ReplayRow) -> str:
        v = row.violation
        return row.description + (f"; ✗ {v.invariant}: {v.message}" if v is not None else "")

    for old, new in zip(recorded, now, strict=False):
        if old.sub != new.sub:
            for j, (a, b) in enumerate(zip(old.sub, new.sub, strict=False), start=1):
                if a[:2] != b[:2]:
                    return Difference(old.index, old.action, f"settle step {j}: {a[0]}: {a[1]}", f"{b[0]}: {b[1]}")
        if said(old) != said(new) or old.sub != new.sub:
            return Difference(old.index, old.action, said(old), said(new))
    if len(now) > len(recorded) and recorded:
        last = recorded[-1]
        return Difference(last.index, last.action, said(last), "(not violated here: the replay went on)")
    if len(recorded) > len(now) and now:
        last = now[-1]
        return Difference(last.index, last.action, "(the recorded run went on)", said(last))
    return None


def _current_model(tr: Trace, label: str, scenario: str | Path | None) -> ExploreView:
    """The model of a trace's embedded scenario with its user modules read from disk now,
    beside the scenario file (``scenario``, else the trace's ``scenarioFile``)."""
    given = scenario if scenario is not None else tr.scenario_file
    if given is None:
        if not tr.scenario.get("spec", {}).get("modules"):
            raise InputError(
                "the trace's scenario has no user modules (spec.controllers, spec.invariants): "
                "there is no current code to replay it on",
                file=label,
                document=1,
                path=("scenario", "spec", "modules"),
            )
        raise InputError(
            "the trace does not name the scenario file its modules are beside; give it with --scenario FILE",
            file=label,
            document=1,
            path=("scenarioFile",),
        )
    file = Path(given)
    if not file.is_file():
        where = "--scenario" if scenario is not None else "scenarioFile"
        raise InputError(
            f"scenario {file} not found (its modules are read beside it); give it with --scenario FILE",
            file=label,
            document=1,
            path=(where,),
        )
    data = copy.deepcopy(tr.scenario)
    spec = data.get("spec")
    if isinstance(spec, dict):
        spec.pop("modules", None)
        # a module the scenario file itself inlines is not read from disk, as when it was checked
        docs = load_documents(read_text(file, str(file)), str(file))
        own = docs[0].get("spec", {}).get("modules") if len(docs) == 1 and isinstance(docs[0], dict) else None
        if isinstance(own, dict) and own:
            spec["modules"] = own
    sc = scenario_from_data(data, str(file), file.parent)
    model = ExploreView(sc.model())
    check_steps(model, tr.steps, label)
    return model


def _trace_model(tr: Trace, label: str) -> ExploreView:
    """The model a trace replays on, built from its embedded scenario, once every step is known
    to be an action of that scenario (one line, exit 2, otherwise). Replay then skips a step
    that is not enabled (``run_steps(skip_disabled=True)``), so an error past this point is a
    bug in kmodel, not a trace that does not fit: it is not turned into bad input."""
    try:
        sc = scenario_from_data(tr.scenario, label)
    except InputError as err:
        raise InputError(err.message, file=label, document=1, path=("scenario", *err.path)) from None
    # the explorer's view steps every trace: check's, and explore's with choices and pod frames
    model = ExploreView(sc.model())
    check_steps(model, tr.steps, label)
    return model


@attrs.frozen
class ExploreRun:
    """An exploration of a scenario: the result, its counterexample as a Trace, and the time."""

    scenario: Scenario
    result: ExploreResult[Any]
    trace: Trace | None
    seconds: float
    max_states: int | None
    max_depth: int | None
    symmetry_note: str | None = None  # why part of the symmetry reduction was turned off

    @property
    def held(self) -> bool:
        return self.result.verdict == "held"

    @property
    def liveness_unknown(self) -> str | None:
        """Why a "held" says nothing about liveness, or None. Partial-order reduction and the
        symmetry reduction are shown to keep safety verdicts and to report only real lassos
        (``kmodel.core.explore``; tests/test_reduction_agreement.py found no disagreement on
        657 generated scopes), but neither is proved to find every lasso under weak fairness: the
        standard ample-set conditions are not enough for that. So where one of them cut the
        search (an ample state was expanded alone; symmetry was active), an "eventually"
        invariant's verdict is unknown, not held."""
        r = self.result
        cut = (("partial-order reduction", r.por and r.reduced > 0), ("symmetry", r.symmetry))
        used = [name for name, on in cut if on]
        if r.verdict != "held" or not used:
            return None
        if not any(p.kind == "eventually" for p in self.scenario.model().properties()):
            return None
        return (
            f"liveness unknown: {' and '.join(used)} may hide a fair cycle; run without "
            f"{'/'.join('--por' if u.startswith('partial') else '--symmetry' for u in used)} to check it"
        )


@internal_errors
def explore(
    scenario: Scenario | str | Path | None = None,
    *,
    max_states: int | None = None,
    max_depth: int | None = None,
    symmetry: bool = False,
    por: bool = False,
    on_progress: Callable[[ExploreProgress], None] | None = None,
) -> ExploreRun:
    """Explore every state of a scenario breadth-first (``kmodel.core.explore.explore``).

    A violation comes with a shortest trace (a lasso with ``loop_start`` for liveness) in the
    same Trace format as ``check``, so ``replay`` replays it. The explorer is deterministic, so
    the trace's seed is 0.
    """
    sc = _as_scenario(scenario)
    t0 = time.perf_counter()
    pods_off = None
    for pods in (True, False):
        # With symmetry on, the explorer also takes the other resolutions of scheduler score ties
        # (upstream picks at random; kmodel.k8s.symmetry) and every step in the other name orders
        # of interchangeable pods: renaming maps the default choice to another one, so the
        # reduction needs them all. Off, the model is exactly ``check``'s.
        model = ExploreView(sc.model(), ties=symmetry, pod_symmetry=pods)
        try:
            result = explore_model(
                model, max_states=max_states, max_depth=max_depth, symmetry=symmetry, por=por, on_progress=on_progress
            )
            break
        except PodScopeError as exc:
            # Pod symmetry is sound only with every renaming of the pods taken at every step;
            # past MAX_POD_CLASS pods of one owner that costs too much: explore again without it.
            pods_off = f"pod symmetry off: {exc}"
    seconds = time.perf_counter() - t0
    trace = None
    if result.violation is not None:
        trace = Trace(__version__, sc.resolved, 0, result.steps, result.violation, result.loop_start, scenario_file(sc))
    return ExploreRun(sc, result, trace, seconds, max_states, max_depth, pods_off)


def explore_trace_path(out_dir: Path, trace: Trace, scenario_name: str) -> Path:
    """Where ``kmodel explore`` writes a trace: beside ``check``'s, without overwriting them."""
    return out_dir / "traces" / f"{scenario_name}-{trace.violation.invariant}-explore.yaml"


@internal_errors
def describe_explore(run: ExploreRun) -> dict[str, Any]:
    """Plain data about an exploration, for reports and JSON (no timings: it must be reproducible)."""
    r = run.result
    return {
        "scenario": run.scenario.name,
        "verdict": r.verdict,
        "bound": r.bound,
        "maxStates": run.max_states,
        "maxDepth": run.max_depth,
        "symmetry": r.symmetry,
        "partialOrderReduction": r.por,
        "states": r.states,
        "distinct": r.distinct,
        "edges": r.edges,
        "depth": r.depth,
        "distinctPerDepth": list(r.levels),
        "violation": None if run.trace is None else run.trace.to_data()["violation"],
        "traceSteps": None if run.trace is None else len(run.trace.steps),
        "loopStart": r.loop_start,
        "fingerprint": r.fingerprint,
        # only when part of the symmetry reduction was turned off, so earlier summaries stay as they were
        **({"symmetryNote": run.symmetry_note} if run.symmetry_note is not None else {}),
        # only when a reduction leaves liveness unknown (``ExploreRun.liveness_unknown``), likewise
        **({"liveness": "unknown"} if run.liveness_unknown is not None else {}),
    }


@internal_errors
def state_after(trace: Trace | str | Path, step: int) -> dict[str, list[str]]:
    """The full cluster state after ``step`` steps of a trace (0: the initial state), as
    sections of readable lines (``kmodel replay --step N``)."""
    from kmodel.k8s.show import cluster_state

    tr = trace if isinstance(trace, Trace) else load_trace(trace)
    label = "<trace>" if isinstance(trace, Trace) else str(trace)
    if not 0 <= step <= len(tr.steps):
        raise InputError(f"--step must be between 0 and {len(tr.steps)}, got {step}", file=label)
    model = _trace_model(tr, label)
    state = model.initial()
    for _, _, _, after, _, _ in run_steps(model, tr.steps[:step], skip_disabled=True):
        state = after
    return cluster_state(model, state)
