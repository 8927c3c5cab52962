"""The ``kmodel`` command line.

Exit codes (``EXIT_CODES``; each command's ``--help`` lists its own): 0 held, 1 violated, 2 bad
input, 3 explore reached a bound first, 70 internal error (a kmodel bug, with a crash report),
130 interrupted. ``replay``: 1 the violation reproduces, 0 it no longer does. Errors are one
line (``kmodel: error: FILE: document N: field.path: ...``); ``--debug`` shows the traceback.

Every command writes its files under ``--out`` together at the end, or none of them
(``kmodel.staging``); the only file a crash leaves is its crash report (``kmodel.crash``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

from kmodel._version import __version__
from kmodel.core.bounded import MAX_DEVIATIONS
from kmodel.errors import InputError
from kmodel.k8s.usercontrollers import UserCodeError

_T = TypeVar("_T")

EXIT_HELD, EXIT_VIOLATED, EXIT_INPUT = 0, 1, 2
EXIT_BOUND = 3  # explore: a bound was reached before the state space was exhausted
EXIT_INTERNAL = 70  # EX_SOFTWARE (sysexits.h): a kmodel bug, never a verdict
EXIT_INTERRUPTED = 130

EXIT_CODES = {
    EXIT_HELD: "every invariant held",
    EXIT_VIOLATED: "an invariant was violated",
    EXIT_INPUT: "bad input: a scenario, manifest or trace file, an option, or an --out that cannot be written",
    EXIT_BOUND: "explore: incomplete: a bound was reached first, or a reduction left liveness unknown",
    EXIT_INTERNAL: "internal error: a bug in kmodel, not a verdict (EX_SOFTWARE); see the crash report",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}


def _exit_codes(**meaning: str) -> str:
    """The ``exit codes:`` block of a ``--help``: every code, with a command's own meanings
    (``meaning["c0"]`` for 0, ...) where it has them."""
    rows = [f"  {code:<4} {meaning.get(f'c{code}', text)}" for code, text in EXIT_CODES.items()]
    return "exit codes:\n" + "\n".join(rows) + "\n"


EPILOG_CHECK = """examples:
  kmodel check                                   the built-in default scenario
  kmodel check my-app.yaml k8s/                  an application's manifests, in kmodel's default scenario
  helm template my-chart | kmodel check -        manifests from stdin
  kmodel check properties/scenarios/web-no-expectations.yaml --seed 3
  kmodel check a.yaml b.yaml --examples 500 --steps 80 --out /tmp/kmodel

""" + _exit_codes(c3="(not used by check)", c130="interrupted (Ctrl-C); the report covers the runs done so far")


EPILOG_REPLAY = """examples:
  kmodel replay reports/traces/web-no-expectations-NoExcessReplicas-seed0.yaml
  kmodel replay TRACE --settle              every step of the settle phase, heartbeats included
  kmodel replay TRACE --format json         machine-readable steps
  kmodel replay TRACE --step 3              the whole cluster state after step 3
  kmodel replay TRACE --current-code        on your controllers' code as it is now: does the fix hold?

--current-code replays the steps on the scenario's user modules (spec.controllers, spec.invariants
and the modules they import) as they are on disk now, beside the scenario file the trace names
(--scenario FILE: another), instead of the source the trace embeds, then settles; it says where
the run first differs from the recorded one.

""" + _exit_codes(
    c0="the violation no longer reproduces (--current-code: no invariant is violated along the trace "
    "and its settle: the fix holds; --step: the state was printed)",
    c1="the violation reproduces (--current-code: or another invariant is violated)",
    c3="(not used by replay)",
)

EPILOG_REPORT = """examples:
  kmodel report                                   the built-in default scenario
  kmodel report properties/scenarios/*.yaml --out /tmp/reports --explore-states 50000

""" + _exit_codes(c0="every invariant held (in the random search)", c3="(not used by report)")

EPILOG_BENCH = """examples:
  kmodel bench                                    the built-in default scenario, 50 runs
  kmodel bench properties/scenarios/web-all-faults.yaml --examples 200 --json
  kmodel bench --suite                            every scenario (built-in + properties/scenarios/*.yaml), 5 seeds
  kmodel bench --suite a.yaml b.yaml --seeds 2 --out /tmp/bench

--suite writes benchmarks.md and benchmarks.json under --out: a row per scenario and per diluted
twin (the scenario plus an unrelated Deployment and Service, 3x the steps; --no-diluted: none),
each measured twice, by the random search alone and by the default check (random, then the
deviation-bounded search): seeds that found a violation and the time to it (median and worst
over seeds 0..N-1), the bounded counterexample's deviations, the shrunk trace's length, and for
safety violations a bounded explore's shortest trace and the ratio. The summary counts the
known-bad scenarios each mode found and the held ones it reported violated, against --expected.
Times are wall clock: these files are not golden results.

""" + _exit_codes(c0="the figures were measured", c1="(not used by bench)", c3="(not used by bench)")


def _subcommand(sub: Any, name: str, help: str, epilog: str) -> argparse.ArgumentParser:
    """A subcommand parser with its examples, and ``--debug`` accepted after the command too
    (SUPPRESS as default, so it does not override a ``--debug`` given before the command)."""
    p: argparse.ArgumentParser = sub.add_parser(
        name, help=help, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors")
    return p


INPUTS_HELP = (
    "scenario files, or an application's Kubernetes manifests (files, directories of *.yaml/*.yml in sorted "
    "order, - for stdin) to check in kmodel's default scenario (default: the built-in scenario)"
)


def _scenarios_out_seed(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenarios", nargs="*", metavar="INPUT", help=INPUTS_HELP)
    p.add_argument("--out", default="reports", type=Path, help="where reports and traces go (default: reports/)")
    p.add_argument("--seed", type=int, default=0, help="search seed (default 0); same seed, same result")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kmodel",
        description="Property-based model checker of Kubernetes orchestration behaviour.",
        epilog=_exit_codes(
            c0="held: every invariant held (replay: the violation no longer reproduces)",
            c1="violated: an invariant was violated (replay: the violation reproduces)",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"kmodel {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = _subcommand(sub, "check", "search scenarios for invariant violations", EPILOG_CHECK)
    _scenarios_out_seed(c)
    c.add_argument("--examples", type=_positive, help="runs to try (default: the scenario's budget)")
    c.add_argument("--steps", type=_positive, help="steps per run (default: the scenario's budget)")
    c.add_argument(
        "--hypothesis-shrink", action="store_true", help="also run Hypothesis's shrinker (slower) before minimising"
    )
    _bounded_flags(c)
    c.add_argument(
        "--report",
        action="store_true",
        help="also run a bounded exhaustive search (20000 states) and put it in the report, as `kmodel report` does",
    )

    rp = _subcommand(
        sub,
        "report",
        "check scenarios and write full reports, with an exhaustive search where the scope allows",
        EPILOG_REPORT,
    )
    _scenarios_out_seed(rp)
    rp.add_argument(
        "--explore-states", type=_positive, default=20_000, help="distinct states the exhaustive search may visit"
    )

    r = _subcommand(sub, "replay", "re-run a trace step by step", EPILOG_REPLAY)
    r.add_argument("trace", type=Path, metavar="TRACE")
    r.add_argument("--settle", action="store_true", help="also list every step of the settle phase")
    r.add_argument(
        "--format", choices=("table", "markdown", "json"), default="table", help="output format (default: table)"
    )
    r.add_argument("--step", type=int, metavar="N", help="print the full cluster state after step N (0: initial)")
    r.add_argument(
        "--current-code",
        action="store_true",
        help="replay on the scenario's user modules as they are on disk now, not the code the trace embeds",
    )
    r.add_argument(
        "--scenario",
        type=Path,
        metavar="FILE",
        help="with --current-code: the scenario file whose modules to read (default: the one the trace names)",
    )

    e = _subcommand(
        sub,
        "explore",
        "explore every state of a small scenario breadth-first (exit 3: a bound was reached first)",
        EPILOG_EXPLORE,
    )
    explore_help = INPUTS_HELP.replace("scenario files", "a scenario file")
    e.add_argument("scenarios", nargs="*", metavar="INPUT", help=explore_help)
    e.add_argument("--out", default="reports", type=Path, help="where the summary and traces go (default: reports/)")
    e.add_argument("--max-states", type=_positive, default=1_000_000, help="distinct states to keep at most (1000000)")
    e.add_argument("--max-depth", type=_positive, help="steps from the initial state to explore at most (no limit)")
    e.add_argument(
        "--symmetry",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="rename interchangeable nodes and pods to one representative (default: off)",
    )
    e.add_argument(
        "--por",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="partial-order reduction: deliver invisible watch events first when that is safe (default: off)",
    )

    _init_parser(sub)

    b = _subcommand(sub, "bench", "measure model and checker speed against a bare Hypothesis machine", EPILOG_BENCH)
    b.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="scenario file(s); more than one only with --suite")
    b.add_argument("--examples", type=_positive, default=50)
    b.add_argument("--steps", type=_positive, default=50)
    b.add_argument("--json", action="store_true", help="print the figures as JSON")
    b.add_argument(
        "--suite",
        action="store_true",
        help="benchmark the checker over scenarios (default: built-in + properties/scenarios/*.yaml)",
    )
    b.add_argument("--seeds", type=_positive, default=5, help="--suite: seeds 0..N-1 per scenario (default 5)")
    b.add_argument(
        "--explore-states",
        type=_positive,
        default=50_000,
        help="--suite: distinct states the bounded explore may visit (default 50000)",
    )
    b.add_argument(
        "--diluted",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="--suite: a row for each scenario's diluted twin too (default: on)",
    )
    b.add_argument(
        "--expected",
        type=Path,
        default=None,
        help="--suite: the expected verdicts the summary counts against (default: properties/expected.yaml if present)",
    )
    b.add_argument("--out", default="reports", type=Path, help="--suite: where benchmarks.md/.json go (reports/)")
    return p


def _init_parser(sub: Any) -> None:
    i = _subcommand(sub, "init", "write kmodel's default scenario for an application's manifests, to edit", EPILOG_INIT)
    i.add_argument("manifests", nargs="+", metavar="INPUT", help="manifest files, directories, or - for stdin")
    i.add_argument(
        "-o",
        "--output",
        type=Path,
        help="write the scenario to this file (default: stdout); manifest paths are relative to its directory",
    )


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {n}")
    return n


def _bounded_flags(c: argparse.ArgumentParser) -> None:
    """The deviation-bounded search's budget (``kmodel.core.bounded``), after the random phase."""
    c.add_argument(
        "--deviations",
        type=int,
        metavar="K",
        help="cover every schedule with at most K deviations from the fair default schedule, then go deeper while "
        "--schedules lasts (default: the scenario's budget.deviations, 2); -1 turns the search off",
    )
    c.add_argument(
        "--schedules",
        type=_positive,
        help="schedules the bounded search may run, instead of its step budget (default: budget.schedules and "
        "budget.boundedSteps)",
    )


_INT_FLAGS = {
    "seed": ("--seed", 0),
    "examples": ("--examples", 1),
    "steps": ("--steps", 1),
    "step": ("--step", None),
    "explore_states": ("--explore-states", 1),
    "max_states": ("--max-states", 1),
    "max_depth": ("--max-depth", 1),
    "seeds": ("--seeds", 1),
    "deviations": ("--deviations", -1),
    "schedules": ("--schedules", 1),
}


def check_flags(args: argparse.Namespace) -> None:
    """Integer flags hold integers, whatever argparse handed over: for ``--steps=--`` Python
    3.11's argparse gives ``[]`` without calling the flag's type. ``--seed`` must fit in int64,
    as every integer a trace holds must (``kmodel.yamlio``); ``--step``'s range is the trace's."""
    for attr, (flag, minimum) in _INT_FLAGS.items():
        value = getattr(args, attr, None)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"{flag}: expected an integer, got {value!r}")
        if attr == "seed" and not -(2**63) <= value < 2**63:
            raise InputError(f"{flag}: must fit in 64 bits (-2^63 to 2^63-1), got {value}")
        if minimum is not None and value < minimum:
            raise InputError(f"{flag}: expected a positive integer, got {value}")
        if attr == "deviations" and value > MAX_DEVIATIONS:
            raise InputError(f"{flag}: at most {MAX_DEVIATIONS}, got {value}")


def main(argv: Sequence[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(raw)
    except Exception as exc:  # a bug in the parser itself (argparse's own errors exit 2)
        if "--debug" in raw:
            raise
        return _internal_error(exc, None, raw)
    try:
        check_flags(args)
        if args.command == "check":
            return cmd_check(args)
        if args.command == "replay":
            return cmd_replay(args)
        if args.command == "report":
            return cmd_report(args)
        if args.command == "explore":
            return cmd_explore(args)
        if args.command == "init":
            return cmd_init(args)
        return cmd_bench(args)
    except InputError as err:
        if args.debug:
            raise
        print(f"kmodel: error: {err}", file=sys.stderr)
        return EXIT_INPUT
    except UserCodeError as err:  # a user controller or invariant failed: one line, like bad input
        if args.debug:
            raise
        print(f"kmodel: error: {err} (--debug shows the traceback)", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("kmodel: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `kmodel replay T | head`: the reader left; not an error
        sys.stderr.close()
        return 0
    except Exception as exc:  # anything else is a kmodel bug: never let it pass for a verdict
        if args.debug:
            raise
        return _internal_error(exc, args, raw)


def _internal_error(exc: BaseException, args: argparse.Namespace | None, argv: Sequence[str]) -> int:
    """One line on stderr naming the crash report, which holds what a bug report needs. Never
    raises: the handler of a bug must not have one of its own."""
    from kmodel import crash

    try:
        seed, inputs = _crash_context(args)
    except Exception:
        seed, inputs = "unknown", []
    path: Path | None = None
    failure: Exception | None = None
    try:
        path = crash.write(exc, argv=argv, seed=seed, inputs=inputs, out=getattr(args, "out", None))
    except Exception as err:
        failure = err
    print(crash.report_line(exc, path, failure), file=sys.stderr)
    return EXIT_INTERNAL


def _crash_context(args: argparse.Namespace | None) -> tuple[str, list[tuple[str, Path]]]:
    """The seed (as text) and the input files of a command, for its crash report."""
    from kmodel import crash
    from kmodel.scenario import default_scenario_path

    if args is None:
        return "unknown (the command line was not parsed)", []
    if args.command == "replay":
        return f"{crash.seed_of_trace(args.trace)} (the trace's)", [("trace", args.trace)]
    names = args.scenarios if hasattr(args, "scenarios") else args.manifests
    paths = [Path(n) for n in names if n is not None] or [default_scenario_path()]
    if args.command == "bench" and args.suite and not args.scenarios:
        paths = [default_scenario_path(), *sorted(Path("properties/scenarios").glob("*.yaml"))]
    inputs = [("scenario", path) for path in paths]
    if args.command == "explore":
        return "none (explore is deterministic)", inputs
    if args.command == "init":
        return "none (init does not search)", inputs
    if args.command == "bench":
        return (f"0..{args.seeds - 1} (--seeds {args.seeds})" if args.suite else "0"), inputs
    return str(args.seed), inputs


def _paint(text: str, colour: str, stream: object = None) -> str:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    stream = stream or sys.stdout
    isatty = getattr(stream, "isatty", None)
    if os.environ.get("NO_COLOR") or not (isatty and isatty()):
        return text
    code = {"red": "31", "green": "32", "yellow": "33"}[colour]
    return f"\033[{code}m{text}\033[0m"


class _Progress(Generic[_T]):
    """``with _Progress(render) as on_progress:`` a progress line on stderr that overwrites
    itself, showing ``render(counters, seconds since the start)`` at most every ``every``
    seconds; only on a terminal (``on_progress`` is None elsewhere, so the run does not even
    call it), and cleared on the way out, also when the run raises."""

    def __init__(self, render: Callable[[_T, float], str], every: float = 0.2) -> None:
        self.render, self.every = render, every
        self.on = sys.stderr.isatty()
        self.t0 = self.last = time.perf_counter()
        self.last -= every

    def _show(self, counters: _T) -> None:
        now = time.perf_counter()
        if now - self.last >= self.every:
            self.last = now
            print(f"\r{self.render(counters, now - self.t0)}", end="", file=sys.stderr, flush=True)

    def __enter__(self) -> Callable[[_T], None] | None:
        return self._show if self.on else None

    def __exit__(self, *exc: object) -> None:
        if self.on:
            print("\r\033[K", end="", file=sys.stderr, flush=True)


class _StickyInterrupt:
    """``with _StickyInterrupt() as interrupted:`` Ctrl-C that cannot be lost. Python raises
    KeyboardInterrupt wherever the main thread is when SIGINT arrives; if that is inside a
    garbage-collector callback (Hypothesis registers one: ``junkdrawer.gc_callback``) or a
    finalizer, the exception is printed as "Exception ignored" with a traceback and the run goes
    on (seen: a 100,000-example check ran on for 40 minutes after SIGINT). So the handler records
    the signal, and raises it only outside a collection (two gc callbacks, first and last in
    ``gc.callbacks``, bracket every collection); ``interrupted.check()``, called at the start of
    every run, raises a recorded one. The previous handler and gc callbacks are restored on the
    way out."""

    def __init__(self) -> None:
        self.pending = False
        self.collecting = False
        self.previous: Any = None

    def _handle(self, signum: int, frame: Any) -> None:
        self.pending = True
        if not self.collecting:
            raise KeyboardInterrupt

    def _gc_start(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.collecting = True

    def _gc_stop(self, phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            self.collecting = False

    def check(self) -> None:
        if self.pending:
            raise KeyboardInterrupt

    def __enter__(self) -> _StickyInterrupt:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            gc.callbacks.insert(0, self._gc_start)
            gc.callbacks.append(self._gc_stop)
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
            gc.callbacks.remove(self._gc_start)
            gc.callbacks.remove(self._gc_stop)


def _bench_phase(name: str, spent: float) -> str:
    return f"\033[Kbench: {name}…"


def _print_scope(sc: Any) -> None:
    """What the check did not exercise: the inert objects and the HPA metrics not evaluated
    (``kmodel.report.document.not_modelled_notes``), a few names per line."""
    from kmodel.report.document import not_modelled_notes

    notes = not_modelled_notes(sc)
    for key, what in (("notModelled", "present, not modelled"), ("metricsNotEvaluated", "HPA metrics not evaluated")):
        names = notes.get(key, [])
        if names:
            more = f", and {len(names) - 5} more (see the report)" if len(names) > 5 else ""
            print(f"  {what}: {', '.join(names[:5])}{more}")


def _print_violation(head: str, verdict: str, trace: Any, faults: Any, length: str, trace_file: Path | None) -> None:
    """The lines of a violation, as ``check`` and ``explore`` print them."""
    from kmodel.k8s.invariants import caveat

    v = trace.violation
    print(f"{head}: {v.invariant} {verdict}")
    print(f"  {v.message}")
    note = caveat(v.invariant, faults, (step.op for step in trace.steps))
    if note is not None:
        print(f"  {note}")
    print(f"  counterexample: {length}")
    print(f"  trace:  {trace_file}")
    print(f"  replay: kmodel replay {trace_file}")


def _found_by(result: Any) -> str:
    if result.found_by == "bounded":
        b = result.bounded
        return f"by the deviation-bounded search, {b.deviations} deviations in a schedule of {result.found_steps} steps"
    return f"in a run of {result.found_steps}"


def cmd_check(args: argparse.Namespace) -> int:
    from kmodel.api import check, describe_explore, explore, save_trace, trace_path
    from kmodel.inputs import load_inputs
    from kmodel.report.write import write_reports
    from kmodel.staging import Staging

    scenarios = load_inputs(args.scenarios)  # validate every input before any output
    out: Path = args.out
    code = EXIT_HELD
    with Staging(out) as staged:
        for sc in scenarios:
            budget = args.examples or sc.budget.examples

            def line(runs: int, spent: float, name: str = sc.name, budget: int = budget) -> str:
                left = spent / runs * max(budget - runs, 0) if runs else 0.0
                return f"{name}: run {runs}/{budget}, ~{left:.0f}s left "

            with _Progress(line) as progress, _StickyInterrupt() as interrupted:

                def on_run(runs: int, progress: Callable[[int], None] | None = progress) -> None:
                    interrupted.check()
                    if progress is not None:
                        progress(runs)

                result = check(
                    sc,
                    seed=args.seed,
                    examples=args.examples,
                    steps=args.steps,
                    hypothesis_shrink=args.hypothesis_shrink,
                    on_run=on_run,
                    deviations=args.deviations,
                    schedules=args.schedules,
                    on_schedule=lambda *_: interrupted.check(),
                )
            o = result.outcome
            trace_file = None
            if result.trace is not None:
                trace_file = trace_path(out, result.trace, sc.name)
                save_trace(result.trace, trace_file, staging=staged)
            exhaustive = None
            if args.report:
                exhaustive = describe_explore(explore(sc, max_states=20_000, symmetry=False))
            report_file = write_reports(result, trace_file, out, exhaustive, staging=staged)
            rate = (o.model_steps + o.settle_steps) / result.seconds if result.seconds > 0 else 0.0
            total = o.model_steps + o.settle_steps
            head = f"{sc.name}: {o.runs} runs, {total} steps in {result.seconds:.1f}s ({rate:,.0f} steps/s)"
            if result.trace is None and o.interrupted:
                print(f"{head}: {_paint('INTERRUPTED', 'yellow')}, no violation found so far")
            elif result.trace is None:
                print(f"{head}: {_paint('all invariants held', 'green')}")
            else:
                code = EXIT_VIOLATED
                length = f"{len(result.trace.steps)} steps (found {_found_by(result)})"
                if result.initial_settle:
                    length = (
                        f"{len(result.trace.steps)} steps: violated while settling the initial state "
                        "(start: settled); the trace replays that settle from the objects just applied (start: applied)"
                    )
                faults = sc.config.faults
                _print_violation(head, _paint("VIOLATED", "red"), result.trace, faults, length, trace_file)
            print(f"  {result.guarantee}")
            _print_scope(sc)
            print(f"  report: {report_file}")
            if o.interrupted or (result.bounded is not None and result.bounded.interrupted):
                print("kmodel: interrupted; the report covers the runs done so far", file=sys.stderr)
                code = EXIT_INTERRUPTED
                break
        staged.commit()
    return code


def cmd_report(args: argparse.Namespace) -> int:
    """``check`` plus a bounded exhaustive search per scenario, into one report each."""
    from kmodel.api import check, describe_explore, explore, save_trace, trace_path
    from kmodel.inputs import load_inputs
    from kmodel.report.write import write_reports
    from kmodel.staging import Staging

    scenarios = load_inputs(args.scenarios)
    out: Path = args.out
    worst = EXIT_HELD
    with Staging(out) as staged:
        for sc in scenarios:
            result = check(sc, seed=args.seed)
            trace_file = None
            if result.trace is not None:
                worst = EXIT_VIOLATED
                trace_file = trace_path(out, result.trace, sc.name)
                save_trace(result.trace, trace_file, staging=staged)
            exhaustive = describe_explore(explore(sc, max_states=args.explore_states, symmetry=False))
            report = write_reports(result, trace_file, out, exhaustive, staging=staged)
            verdict = "held" if result.held else f"{result.trace.violation.invariant} VIOLATED"  # type: ignore[union-attr]
            print(f"{sc.name}: {verdict}; exhaustive search: {exhaustive['verdict']} ({exhaustive['distinct']} states)")
            print(f"  report: {report} (and .html, .json)")
        staged.commit()
    print(f"index: {out / 'index.html'}")
    return worst


EPILOG_EXPLORE = """examples:
  kmodel explore properties/scenarios/web-no-expectations.yaml --max-depth 6
  kmodel explore small.yaml --max-states 200000 --symmetry --out /tmp/kmodel

""" + _exit_codes(
    c0="every state was explored and every invariant held",
    c3="a bound was reached first, or --por/--symmetry left the liveness verdict unknown",
)


def cmd_explore(args: argparse.Namespace) -> int:
    from kmodel.api import describe_explore, explore, explore_trace_path, save_trace
    from kmodel.core.explore import ExploreProgress
    from kmodel.inputs import load_one
    from kmodel.staging import Staging

    sc = load_one(args.scenarios, "explore")  # validate before any output

    def line(p: ExploreProgress, spent: float) -> str:
        rate = p.states / spent if spent > 0 else 0.0
        return f"{sc.name}: {p.states:,} states, {p.distinct:,} distinct, depth {p.depth}, {rate:,.0f} states/s "

    with _Progress(line) as on_progress:
        run = explore(
            sc,
            max_states=args.max_states,
            max_depth=args.max_depth,
            symmetry=args.symmetry,
            por=args.por,
            on_progress=on_progress,
        )
    r = run.result
    out: Path = args.out
    trace_file = None
    summary = out / f"{sc.name}.explore.json"
    with Staging(out) as staged:
        if run.trace is not None:
            trace_file = explore_trace_path(out, run.trace, sc.name)
            save_trace(run.trace, trace_file, staging=staged)
        staged.write(summary, json.dumps(describe_explore(run), indent=2) + "\n")
        staged.commit()
    rate = r.states / run.seconds if run.seconds > 0 else 0.0
    head = (
        f"{sc.name}: {r.states:,} states, {r.distinct:,} distinct, depth {r.depth} in {run.seconds:.1f}s "
        f"({rate:,.0f} states/s, {r.distinct / run.seconds if run.seconds > 0 else 0.0:,.0f} distinct/s)"
    )
    code = EXIT_HELD
    if run.trace is not None:
        code = EXIT_VIOLATED
        if run.trace.loop_start is None:
            length = f"{len(run.trace.steps)} steps (shortest)"
        else:
            cycle = len(run.trace.steps) - run.trace.loop_start
            length = f"a lasso of {run.trace.loop_start} steps, then a cycle of {cycle} repeating"
        if not run.trace.steps and sc.config.start == "settled":
            length = "0 steps: violated while settling the initial state (start: settled); replay shows that settle"
        _print_violation(head, "VIOLATED", run.trace, sc.config.faults, length, trace_file)
    elif r.verdict == "bound":
        code = EXIT_BOUND
        if r.bound == "max_states":
            print(f"{head}: INCOMPLETE, bound --max-states {args.max_states} reached")
            print(f"  every state within {r.depth - 1} steps held; depth {r.depth} partly explored")
        else:
            print(f"{head}: INCOMPLETE, bound --max-depth {args.max_depth} reached")
            print(f"  every state within {r.depth} steps held; deeper states exist")
    elif run.liveness_unknown is not None:
        code = EXIT_BOUND
        print(f"{head}: every state explored, safety invariants held; {run.liveness_unknown}")
    else:
        print(f"{head}: every state explored, all invariants held")
    if run.symmetry_note is not None:
        print(f"  {run.symmetry_note}")
    print(f"  summary: {summary}")
    return code


EPILOG_INIT = """examples:
  kmodel init my-app.yaml > scenario.yaml      then edit it, and: kmodel check scenario.yaml
  kmodel init k8s/ -o ci/scenario.yaml          every *.yaml/*.yml in k8s/; paths relative to ci/
  helm template my-chart | kmodel init - > scenario.yaml    objects from stdin are inlined

The scenario is the one `kmodel check my-app.yaml` runs: nodes sized N+1 from the requests, one
node crash and two container crashes, kubectl scale within +-2 replicas, every applicable invariant.

""" + _exit_codes(c0="the scenario was written", c1="(not used by init)", c3="(not used by init)")


def cmd_init(args: argparse.Namespace) -> int:
    """``kmodel init INPUT... [-o FILE]``: the default scenario for manifests, commented."""
    from kmodel.errors import OutputError
    from kmodel.inputs import is_scenario_doc, read_sources, wrap
    from kmodel.wrap import relocate, render_init
    from kmodel.yamlio import write_atomic

    sources = read_sources(args.manifests)
    for s in sources:
        if any(is_scenario_doc(d) for d in s.docs):
            raise InputError("is already a kmodel Scenario; kmodel init takes plain Kubernetes manifests", file=s.label)
    output: Path | None = args.output
    base = output.parent if output is not None else Path(".")
    data, sizing, scenario = wrap(sources, args.manifests[0])
    text = render_init(relocate(data, sources, base), sizing, [p.name for p in scenario.model().properties()])
    if output is None:
        sys.stdout.write(text)
        return EXIT_HELD
    try:
        write_atomic(output, text)
    except OSError as err:
        raise OutputError(f"cannot write: {err.strerror or err}", file=str(output)) from None
    print(f"wrote {output}; check it with: kmodel check {output}", file=sys.stderr)
    return EXIT_HELD


def cmd_replay(args: argparse.Namespace) -> int:
    from kmodel.api import replay

    if args.step is not None and not args.current_code:
        from kmodel.api import state_after

        sections = state_after(args.trace, args.step)
        if args.format == "json":
            print(json.dumps(sections, indent=2, ensure_ascii=False))
        else:
            for title, lines in sections.items():
                print(f"{title}:")
                for line in lines:
                    print(f"  {line}")
        return EXIT_HELD
    if args.scenario is not None and not args.current_code:
        raise InputError("--scenario is read only with --current-code", file=str(args.trace))
    if args.current_code:
        if args.step is not None:
            raise InputError("--step does not go with --current-code", file=str(args.trace))
        return _replay_current_code(args, replay(args.trace, current_code=True, scenario=args.scenario))
    result = replay(args.trace)
    if args.format != "table":
        rows = [
            {
                "index": row.index,
                "clock": row.clock,
                "action": str(row.action),
                "description": row.description,
                "violation": row.violation.invariant if row.violation else None,
                "changes": [
                    {"clock": c, "action": str(a), "description": d} for a, d, c, progressed in row.sub if progressed
                ],
            }
            for row in result.rows
        ]
        if args.format == "json":
            doc = {"reproduced": result.reproduced, "invariant": result.expected.invariant, "steps": rows}
            print(json.dumps(doc, indent=2, ensure_ascii=False))
        else:
            print("| # | clock | step | what changed |\n|---|---|---|---|")
            for r in rows:
                mark = f" **✗ {r['violation']}**" if r["violation"] else ""
                desc = str(r["description"]).replace("|", "\\|")
                print(f"| {r['index']} | {r['clock']}s | `{r['action']}` | {desc}{mark} |")
        return EXIT_VIOLATED if result.reproduced else EXIT_HELD
    _print_rows(result, args.settle)
    if result.reproduced:
        print(f"reproduced: {result.expected.invariant}")
        return EXIT_VIOLATED
    print(f"not reproduced: {result.expected.invariant} held on this model")
    return EXIT_HELD


def _print_rows(result: Any, settle: bool) -> None:
    """A replay's steps as the table format prints them."""
    for row in result.rows:
        if result.loop_start is not None and row.index == result.loop_start + 1:
            print(f"  ↺ loop: steps {row.index}–{len(result.rows)} repeat forever (a fair cycle)")
        print(f"{row.index:>3}  t={row.clock}s  {row.action}: {row.description}")
        if row.sub:
            # By default only the settle steps that changed the cluster (not heartbeats,
            # deliveries or ticks); --settle lists every one.
            shown = [s for s in row.sub if settle or s[3]]
            for action, desc, clock, _ in shown:
                print(f"       t={clock}s  {action}: {desc}")
            if len(shown) < len(row.sub):
                hidden = len(row.sub) - len(shown)
                print(f"       ({hidden} heartbeat, delivery and clock steps hidden; --settle lists them)")
        if row.violation is not None:
            v = row.violation
            print(f"  ✗ {v.invariant} ({'safety' if v.kind == 'always' else 'liveness'}) broke here: {v.message}")


def _replay_current_code(args: argparse.Namespace, result: Any) -> int:
    """``replay --current-code``: 0 when the fix holds (nothing violated along the trace and
    its settle), 1 when the trace's violation, or another, still happens."""
    expected = result.expected.invariant
    v = result.violation
    if v is None:
        verdict = f"fixed: {expected} no longer violated along the trace and its settle (current code)"
    elif v.invariant == expected:
        verdict = f"reproduced: {expected} (current code)"
    else:
        verdict = f"violated: {v.invariant} (current code; the trace's {expected} did not reproduce first)"
    diff = (
        f"first differs from the recorded run at {result.difference}"
        if result.difference is not None
        else "runs as recorded: no step differs"
    )
    if args.format == "json":
        doc = {
            "currentCode": True,
            "held": result.held,
            "reproduced": result.reproduced,
            "invariant": expected,
            "violation": None if v is None else v.invariant,
            "firstDifference": None
            if result.difference is None
            else {
                "step": result.difference.step,
                "action": str(result.difference.action),
                "recorded": result.difference.recorded,
                "now": result.difference.now,
            },
            "steps": [
                {"index": r.index, "clock": r.clock, "action": str(r.action), "description": r.description}
                for r in result.rows
            ],
        }
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        _print_rows(result, args.settle)
        print(diff)
        print(verdict)
    return EXIT_HELD if result.held else EXIT_VIOLATED


def cmd_bench(args: argparse.Namespace) -> int:
    from kmodel.bench import run_bench

    if args.suite:
        return cmd_bench_suite(args)
    if len(args.scenarios) > 1:
        raise InputError("bench takes one scenario (several only with --suite)")
    scenario = args.scenarios[0] if args.scenarios else None
    with _Progress(_bench_phase, every=0.0) as phase:
        figures = run_bench(scenario, examples=args.examples, steps=args.steps, progress=phase)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for k, v in figures.items():
            print(f"{k:<34} {v}")
    return 0


def cmd_bench_suite(args: argparse.Namespace) -> int:
    """``kmodel bench --suite``: figures per scenario into ``benchmarks.md`` and ``.json``."""
    from kmodel.bench import kept_sections, load_expected, render_suite_markdown, run_suite
    from kmodel.staging import Staging

    paths: list[str | None] = list(args.scenarios)
    if not paths:
        paths = [None, *(str(p) for p in sorted(Path("properties/scenarios").glob("*.yaml")))]
    expected_path: Path | None = args.expected
    if expected_path is None and Path("properties/expected.yaml").is_file():
        expected_path = Path("properties/expected.yaml")
    expected = None if expected_path is None else load_expected(expected_path)
    with _Progress(_bench_phase, every=0.0) as phase:
        doc = run_suite(
            paths,
            seeds=args.seeds,
            explore_states=args.explore_states,
            dilute=args.diluted,
            expected=expected,
            progress=phase,
        )
    out: Path = args.out
    md, js = out / "benchmarks.md", out / "benchmarks.json"
    kept = kept_sections(md.read_text(encoding="utf-8") if md.is_file() else None)
    with Staging(out) as staged:
        staged.write(js, json.dumps(doc, indent=2) + "\n")
        staged.write(md, render_suite_markdown(doc, kept))
        staged.commit()
    s = doc["summary"]
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        for e in doc["scenarios"]:
            if e["noRoom"] is not None:
                print(f"{e['scenario']}: not measured ({e['noRoom']})")
                continue
            modes = []
            for mode, label in (("random", "random alone"), ("default", "default check")):
                m = e[mode]
                t = m["timeToViolation"]
                when = "" if t is None else f", {t['median']}s median / {t['worst']}s worst"
                modes.append(f"{label} {m['foundInSeeds']}/{e['seeds']} seeds{when}")
            print(f"{e['scenario']}: {e['verdict']} ({'; '.join(modes)})")
        found = []
        for mode, label in (("random", "random alone"), ("default", "default check")):
            p, d = s[mode]["plain"], s[mode]["diluted"]
            plain, diluted = f"{p['foundInEverySeed']}/{p['knownBad']}", f"{d['foundInEverySeed']}/{d['knownBad']}"
            found.append(f"{label} {plain} plain, {diluted} diluted")
        held = sum(len(s["default"][g]["heldButViolated"]) for g in ("plain", "diluted"))
        print(
            f"suite: {s['scenarios']} scenarios, {s['dilutedTwins']} diluted twins; known-bad found in every seed: "
            f"{'; '.join(found)}; held but violated: {held}"
        )
    print(f"  benchmarks: {md} (and {js.name})")
    return EXIT_HELD


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
