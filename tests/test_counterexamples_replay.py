"""Every counterexample kmodel writes replays to the violation it reports (issue 19).

``check`` finds a violation inside a Hypothesis run (``kmodel.core.machine``, whose memo reuses
steps, safety checks and settle phases across runs), ``minimize`` shortens it by replaying
candidates, and ``replay`` re-runs the saved trace from scratch on a model rebuilt from the
trace's embedded scenario (``kmodel.core.run.run_steps``). Those are three executions of one
trace; the product's promise is that they agree. Issue 19 was a trace they did not agree on: a
settle phase with no step at all (a settled start whose construction-time settle had already
recorded HPASettles' never-settles flap) crashed ``run_steps``, which ``minimize`` mistook for
"does not reproduce" and ``replay`` for "does not fit this model".

The property test draws a shipped scenario (every ``properties/scenarios/*.yaml`` and the
built-in default), flips its ``start`` and some ``variants``, picks a small budget and a seed,
runs ``kmodel.check`` or a bounded ``kmodel.explore``, and replays every counterexample from its
saved YAML: the replay must end in the very violation the trace records.
"""

from __future__ import annotations

import collections
import copy
import functools
import tempfile
from collections.abc import Hashable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kmodel
from kmodel.api import save_trace
from kmodel.cli import main
from kmodel.core.machine import check_model
from kmodel.core.model import Action, ActionSpec, Property
from kmodel.core.run import SETTLE, minimize, run_steps
from kmodel.core.trace import Trace
from kmodel.k8s.state import Variants
from kmodel.scenario import VARIANTS, scenario_from_data

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "properties" / "scenarios"
HPA_SETTLED = ROOT / "tests" / "data" / "hpa-oscillation-settled.yaml"

DEFAULT = "<built-in default>"
SOURCES: tuple[str, ...] = (DEFAULT, *sorted(p.stem for p in SCENARIOS.glob("*.yaml")))

# Scenarios whose settle phases run to MAX_SETTLE_STEPS (a fight that never ends, with no
# never-settles stop to cut it short): one check of them costs seconds per run and per
# minimisation candidate. Under the ci profile they are drawn for a bounded explore with
# ``start: applied`` only (under a second); other profiles also check them, on the smallest
# budgets.
HEAVY = frozenset({"op-field-fight"})


def replays_to_its_violation(trace: Trace, directory: Path) -> kmodel.ReplayResult:
    """Save ``trace`` as ``kmodel check`` does, replay the file, and require the replay to end
    in the recorded violation: same invariant, kind, step, settle step and message."""
    path = directory / "trace.yaml"
    save_trace(trace, path)
    result = kmodel.replay(path)
    assert result.violation == trace.violation, f"the trace records {trace.violation} but replays to {result.violation}"
    return result


# -- the regression: issue 19 ------------------------------------------------------------------


def test_settled_hpa_oscillation_check_writes_a_trace_that_replays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """hpa-oscillation started settled: ``kmodel check`` exits 1 with HPASettles, writes the
    trace and the report, and ``kmodel replay`` of that trace reproduces HPASettles."""
    out = tmp_path / "reports"
    assert main(["check", str(HPA_SETTLED), "--out", str(out)]) == 1
    stdout, stderr = capsys.readouterr()
    assert "HPASettles VIOLATED" in stdout, stderr
    (trace_file,) = sorted((out / "traces").glob("*.yaml"))
    report = (out / "hpa-oscillation.md").read_text()
    assert "**violated**" in report and "HPASettles" in report
    assert main(["replay", str(trace_file)]) == 1
    stdout, _ = capsys.readouterr()
    assert "HPASettles (liveness) broke here" in stdout
    assert stdout.strip().endswith("reproduced: HPASettles")


def test_settled_hpa_oscillation_trace_is_its_empty_settle_phase(tmp_path: Path) -> None:
    """The construction-time settle already recorded the flap, so nothing before the settle
    phase is needed: the minimal trace is one settle phase of no steps, and it replays."""
    result = kmodel.check(HPA_SETTLED)
    trace = result.trace
    assert trace is not None and trace.violation.invariant == "HPASettles"
    assert trace.steps == (SETTLE,)
    replayed = replays_to_its_violation(trace, tmp_path)
    (row,) = replayed.rows
    assert row.sub == () and row.violation == trace.violation


class Quiet:
    """A model already quiescent where it starts (no system step, no timer) whose liveness
    property fails: every settle phase has no step. Its one user step changes nothing the
    property reads. The smallest model of issue 19, free of Kubernetes."""

    quiet_period = 1

    def initial(self) -> int:
        return 0

    def action_space(self) -> Sequence[ActionSpec]:
        return [ActionSpec("poke", "user")]

    def actions(self, state: int) -> list[Action]:
        return [Action("poke")] if state < 3 else []

    def system_actions(self, state: int) -> list[Action]:
        return []

    def time_action(self, state: int) -> Action | None:
        return None

    def step(self, state: int, action: Action) -> int | None:
        return state + 1 if action == Action("poke") and state < 3 else None

    def properties(self) -> Sequence[Property[int]]:
        return [Property("Done", "eventually", "never holds", lambda s: f"not done after {s} pokes")]

    def clock(self, state: int) -> int:
        return 0

    def progress_key(self, state: int) -> Hashable:
        return state

    def pending_until(self, state: int) -> int:
        return 0

    def truth_key(self, state: int) -> tuple[object, ...]:
        return (state,)

    def describe(self, before: int, action: Action, after: int) -> str:
        return f"{before} → {after}"


def test_an_empty_settle_phase_replays_and_minimises() -> None:
    """``run_steps`` replays a settle phase that takes no step (it used to raise from a strict
    ``zip``), and ``minimize`` can therefore delete every step before it."""
    model = Quiet()
    rows = list(run_steps(model, [Action("poke"), SETTLE]))
    assert [(i, a, v is None, sub) for i, a, _, _, v, sub in rows] == [
        (1, Action("poke"), True, []),
        (2, SETTLE, False, []),
    ]
    violation = rows[-1][4]
    assert violation is not None and (violation.invariant, violation.step, violation.settle_step) == ("Done", 2, 0)
    outcome = check_model(model, examples=5, steps=3)
    assert outcome.violation is not None and outcome.steps[-1] == SETTLE
    steps, minimal = minimize(model, outcome.steps, outcome.violation)
    assert steps == [SETTLE] and minimal.message == "not done after 0 pokes"


# -- the property: every counterexample replays -------------------------------------------------


@functools.cache
def shipped(source: str) -> dict[str, Any]:
    """The scenario as a trace embeds it (manifests and user modules inlined)."""
    return kmodel.load_scenario(None if source == DEFAULT else SCENARIOS / f"{source}.yaml").resolved


@attrs.frozen
class Variant:
    """One scenario variant and the search run on it."""

    source: str
    start: str
    variants: tuple[tuple[str, bool], ...]  # overrides of the scenario's own spec.variants
    mode: str  # "check" or "explore"
    seed: int = 0
    examples: int = 1
    steps: int = 1
    max_states: int = 1
    symmetry: bool = False
    por: bool = False

    def scenario(self) -> kmodel.Scenario:
        data = copy.deepcopy(shipped(self.source))
        spec = data["spec"]
        spec["start"] = self.start
        spec["variants"] = {**spec.get("variants", {}), **dict(self.variants)}
        return scenario_from_data(data, f"{self.source} ({self})")


def heavy_in_ci(source: str) -> bool:
    return source in HEAVY and settings.default.derandomize


EXAMPLES_PER_SCENARIO = max(1, settings.default.max_examples // 50)  # ci and dev: 1; deep: 40


def rotate(options: tuple[Any, ...], by: int) -> tuple[Any, ...]:
    by %= len(options)
    return options[by:] + options[:by]


@st.composite
def scenario_variants(draw: st.DrawFn, source: str) -> Variant:
    """A variant of ``source`` and a small search on it. Hypothesis tries the simplest draw
    first, and under ci that is the only one: so the first option of each choice is the
    informative one (the start the scenario does not ship with; a budget that finds things),
    and which start, which variant flag flipped and which search come first rotates over the
    scenarios, so a ci run covers both searches, both starts and every flag."""
    index = SOURCES.index(source)
    shipped_start = shipped(source)["spec"].get("start", "settled")
    flipped = "applied" if shipped_start == "settled" else "settled"
    cheap = heavy_in_ci(source)
    start = "applied" if cheap else draw(st.sampled_from(rotate((flipped, shipped_start), index // 2)))
    own = shipped(source)["spec"].get("variants", {})
    flip = draw(st.sampled_from(rotate((None, *sorted(VARIANTS)), index // 4)))
    flags = {} if flip is None else {flip: not own.get(flip, getattr(Variants(), VARIANTS[flip]))}
    flags.update(draw(st.dictionaries(st.sampled_from(sorted(VARIANTS)), st.booleans(), max_size=2)))
    variants = tuple(sorted(flags.items()))
    mode = "explore" if cheap else draw(st.sampled_from(rotate(("check", "explore"), index)))
    if mode == "explore":
        return Variant(
            source,
            start,
            variants,
            "explore",
            max_states=draw(st.sampled_from((300, 50, 1000, 3000))),
            symmetry=draw(st.booleans()),
            por=draw(st.booleans()),
        )
    return Variant(
        source,
        start,
        variants,
        "check",
        seed=draw(st.integers(0, 5)),
        examples=draw(st.sampled_from((1, 2) if source in HEAVY else (4, 1, 2, 8))),
        steps=draw(st.sampled_from((3, 1) if source in HEAVY else (10, 1, 3, 20))),
    )


def find(variant: Variant) -> Trace | None:
    """The counterexample ``check`` or ``explore`` finds on ``variant``, if any."""
    sc = variant.scenario()
    if variant.mode == "check":
        return kmodel.check(sc, seed=variant.seed, examples=variant.examples, steps=variant.steps).trace
    run = kmodel.explore(sc, max_states=variant.max_states, symmetry=variant.symmetry, por=variant.por)
    return run.trace


TALLY: collections.Counter[str] = collections.Counter()


@pytest.fixture(scope="module")
def tally(pytestconfig: pytest.Config) -> Iterator[collections.Counter[str]]:
    """Counts what the property test tried, found and replayed; written to the terminal after
    the module (not under xdist, whose workers have no terminal)."""
    yield TALLY
    tried = TALLY["check tried"] + TALLY["explore tried"]
    if TALLY["sources"] == len(SOURCES):  # the whole sample ran: it must not pass vacuously
        assert TALLY["check violated"] > 0 and TALLY["explore violated"] > 0, TALLY
    terminal = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    if tried and terminal is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            terminal.write_line(
                f"\ncounterexamples replay: {tried} scenario variants of {TALLY['sources']} scenarios; "
                + "; ".join(
                    f"{m}: {TALLY[m + ' tried']} tried, {TALLY[m + ' violated']} violated, "
                    f"{TALLY[m + ' replayed']} replayed"
                    for m in ("check", "explore")
                )
            )


@pytest.mark.parametrize("source", SOURCES)
def test_every_counterexample_replays_to_its_violation(source: str, tally: collections.Counter[str]) -> None:
    """Variants of ``source`` (start, variants flags, search and budget): each counterexample
    of ``check`` and of a bounded ``explore`` replays, from its saved YAML, to its violation.
    One variant per scenario under ci and dev (the simplest draw); many under deep."""
    tally["sources"] += 1

    # kmodel.check runs its own Hypothesis search (seeded, its own settings) inside each example
    @settings(
        parent=settings.default,
        max_examples=EXAMPLES_PER_SCENARIO,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.nested_given],
    )
    @given(scenario_variants(source))
    def replays(variant: Variant) -> None:
        tally[f"{variant.mode} tried"] += 1
        trace = find(variant)
        if trace is None:
            return
        tally[f"{variant.mode} violated"] += 1
        with tempfile.TemporaryDirectory() as directory:
            replays_to_its_violation(trace, Path(directory))
        tally[f"{variant.mode} replayed"] += 1

    replays()
