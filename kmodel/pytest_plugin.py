"""pytest plugin (entry point ``pytest11: kmodel``): check scenarios from ordinary tests.

A property suite over your own scenario is a few lines::

    def test_checkout_survives_a_node_crash(kmodel_check):
        kmodel_check("scenarios/checkout.yaml")                  # fails with trace + replay command

    def test_known_bug_is_found(kmodel_check):
        kmodel_check("scenarios/no-expectations.yaml", expect="NoExcessReplicas")

Relative paths resolve against the test file's directory, as a scenario's own paths resolve
against the scenario: ``kmodel_check("scenarios/drain.yaml")`` in ``myproj/test_props.py``
is ``myproj/scenarios/drain.yaml`` wherever pytest runs from. A relative path that exists
only relative to the current directory still works (the test file's directory wins when both
exist); an absolute path is used as it is.

A trace kept as the regression test of a fix is one line::

    def test_db_operator_fix(kmodel_regression):
        kmodel_regression("traces/op-delete-by-name-ReadyDatabaseHasSecret-seed0.yaml")

``kmodel_regression(trace, scenario=None)`` replays the trace on the scenario's user modules
as they are now (``kmodel.replay(trace, current_code=True)``) and fails while its violation,
or another, still happens; it returns the ``ReplayResult``.

``kmodel_check(path, expect="held", seed=None, examples=None, steps=None, deviations=None,
schedules=None)`` runs ``kmodel.check`` (the random phase, then the deviation-bounded search) with
the session's options, writes the trace and the reports under the report directory, and asserts
the expected verdict; it returns the ``CheckResult`` (``.guarantee`` is what the bounded search
covered, the line the reports give; a failure message for an expected violation that was not
found ends with it).

Options (and ini keys): ``--kmodel-seed`` (``kmodel_seed``, default 0), ``--kmodel-examples``
(``kmodel_examples``), ``--kmodel-steps`` (``kmodel_steps``), ``--kmodel-deviations``
(``kmodel_deviations``; -1 turns the bounded search off), ``--kmodel-schedules``
(``kmodel_schedules``), ``--kmodel-report DIR``
(``kmodel_report``, default ``<pytest basetemp>/kmodel``). The ``kmodel`` marker tags such tests
(``-m kmodel`` selects them). At the end the terminal summary lists every violation found with
its trace and replay command; under pytest-xdist the workers' findings are sent to the
controller and listed there.

A bug in kmodel itself (``kmodel.KmodelInternalError``, from ``kmodel_check`` or from any
``kmodel`` call in a test) is no verdict about the scenario: the test is reported as an error
(``E``, counted in "errors"), never as a failed property, and the summary lists it apart from
the violations.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

_KEY = "kmodel_findings"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kmodel", "kmodel model checking")
    group.addoption("--kmodel-seed", type=int, default=None, help="seed for kmodel checks (default 0)")
    group.addoption("--kmodel-examples", type=int, default=None, help="runs per check (default: scenario budget)")
    group.addoption("--kmodel-steps", type=int, default=None, help="steps per run (default: scenario budget)")
    group.addoption("--kmodel-deviations", type=int, default=None, help="deviation bound (default: scenario budget)")
    group.addoption("--kmodel-schedules", type=int, default=None, help="bounded-search schedules (default: budget)")
    group.addoption("--kmodel-report", default=None, help="directory for kmodel traces and reports")
    parser.addini("kmodel_seed", "seed for kmodel checks", default="0")
    parser.addini("kmodel_examples", "runs per kmodel check", default="")
    parser.addini("kmodel_steps", "steps per kmodel run", default="")
    parser.addini("kmodel_deviations", "deviation bound of kmodel's bounded search", default="")
    parser.addini("kmodel_schedules", "schedules kmodel's bounded search may run", default="")
    parser.addini("kmodel_report", "directory for kmodel traces and reports", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "kmodel: a test that model-checks a kmodel scenario")
    config.stash[_findings] = []


_findings = pytest.StashKey[list[dict[str, Any]]]()


@functools.cache
def cached_check(
    path: str | None,
    seed: int,
    examples: int | None = None,
    steps: int | None = None,
    deviations: int | None = None,
    schedules: int | None = None,
) -> Any:
    """``kmodel.check`` of a scenario file, memoised for the session: tests that check the same
    scenario with the same settings share one run (results are deterministic)."""
    import kmodel

    sc = kmodel.load_scenario(path)
    return kmodel.check(sc, seed=seed, examples=examples, steps=steps, deviations=deviations, schedules=schedules)


def _option(config: pytest.Config, name: str) -> Any:
    value = config.getoption(f"--kmodel-{name}")
    if value is not None:
        return value
    raw = config.getini(f"kmodel_{name}")
    if raw in ("", None):
        return None
    return raw if name == "report" else int(raw)


def _report_dir(config: pytest.Config, factory: pytest.TempPathFactory) -> Path:
    configured = _option(config, "report")
    if configured:
        return Path(configured)
    return factory.getbasetemp() / "kmodel"


@pytest.fixture
def kmodel_check(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Any]:
    """Check a scenario file and assert its verdict (see the module docstring)."""
    from kmodel.api import EXPECTED_ERRORS
    from kmodel.errors import KmodelInternalError

    request.node.add_marker("kmodel")

    def run(
        scenario: str | Path | None = None,
        *,
        expect: str = "held",
        seed: int | None = None,
        examples: int | None = None,
        steps: int | None = None,
        deviations: int | None = None,
        schedules: int | None = None,
    ) -> Any:
        budget = (examples, steps, deviations, schedules)
        try:
            return _check(request, tmp_path_factory, scenario, expect, seed, budget)
        except EXPECTED_ERRORS:
            raise
        except Exception as exc:  # e.g. in writing the reports: a kmodel bug all the same
            raise KmodelInternalError(exc) from exc

    return run


def resolve_path(request: pytest.FixtureRequest, path: str | Path) -> Path:
    """A path a test gives: absolute as it is; relative, against the test file's directory if
    it exists there, else against the current directory if it exists there, else (so that the
    error names where it was looked for first) against the test file's directory."""
    p = Path(path)
    if p.is_absolute():
        return p
    beside = Path(request.path).parent / p
    if beside.exists() or not p.exists():
        return beside
    return p


@pytest.fixture
def kmodel_regression(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """Replay a trace on the current code and fail while it is still violated (see above)."""
    from kmodel.api import EXPECTED_ERRORS
    from kmodel.errors import KmodelInternalError

    request.node.add_marker("kmodel")

    def run(trace: str | Path, *, scenario: str | Path | None = None) -> Any:
        import kmodel

        trace_file = resolve_path(request, trace)
        try:
            result = kmodel.replay(
                trace_file, current_code=True, scenario=None if scenario is None else resolve_path(request, scenario)
            )
        except EXPECTED_ERRORS:
            raise
        except Exception as exc:
            raise KmodelInternalError(exc) from exc
        v = result.violation
        if v is not None:
            where = f"\n  first differs from the recorded run at {result.difference}" if result.difference else ""
            pytest.fail(
                f"{trace_file}: {v.invariant} still violated on the current code: {v.message}{where}\n"
                f"  replay: kmodel replay {trace_file} --current-code",
                pytrace=False,
            )
        return result

    return run


def _check(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    scenario: str | Path | None,
    expect: str,
    seed: int | None,
    budget: tuple[int | None, int | None, int | None, int | None],
) -> Any:
    """``kmodel_check``'s body: check, write the trace and reports together, assert the verdict."""
    import kmodel
    from kmodel.api import save_trace, trace_path
    from kmodel.report.write import write_reports
    from kmodel.staging import Staging

    config = request.config
    if scenario is not None:
        scenario = resolve_path(request, scenario)
    sc = kmodel.load_scenario(scenario)
    names = ("examples", "steps", "deviations", "schedules")
    given = [value if value is not None else _option(config, name) for name, value in zip(names, budget, strict=True)]
    result = cached_check(
        None if scenario is None else str(scenario),
        seed if seed is not None else (_option(config, "seed") or 0),
        *given,
    )
    out = _report_dir(config, tmp_path_factory)
    trace_file = None
    with Staging(out) as staged:
        if result.trace is not None:
            trace_file = trace_path(out, result.trace, sc.name)
            save_trace(result.trace, trace_file, staging=staged)
        write_reports(result, trace_file, out, staging=staged)
        staged.commit()
    if result.trace is not None:
        v = result.trace.violation
        config.stash[_findings].append(
            {
                "test": request.node.nodeid,
                "scenario": sc.name,
                "invariant": v.invariant,
                "message": v.message,
                "trace": str(trace_file),
                "expected": expect == v.invariant,
            }
        )
    if expect == "held":
        if result.trace is not None:
            v = result.trace.violation
            pytest.fail(
                f"{sc.name}: {v.invariant} violated: {v.message}\n"
                f"  trace:  {trace_file}\n  replay: kmodel replay {trace_file}",
                pytrace=False,
            )
    elif result.trace is None:
        pytest.fail(
            f"{sc.name}: expected {expect} to be violated, but every invariant held; {result.guarantee}", pytrace=False
        )
    elif result.trace.violation.invariant != expect:
        v = result.trace.violation
        pytest.fail(
            f"{sc.name}: expected {expect} to be violated, but {v.invariant} was: {v.message}\n"
            f"  replay: kmodel replay {trace_file}",
            pytrace=False,
        )
    return result


def _internal_error_class() -> type[BaseException] | None:
    """``KmodelInternalError`` if kmodel was imported (else no test can have raised it); the
    plugin itself must not import kmodel into every pytest session."""
    errors = sys.modules.get("kmodel.errors")
    return getattr(errors, "KmodelInternalError", None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Mark a test that raised ``KmodelInternalError`` (the mark travels to an xdist
    controller with the report) and list it among the findings."""
    report = yield
    internal = _internal_error_class()
    if internal is not None and call.excinfo is not None and call.excinfo.errisinstance(internal):
        report.kmodel_internal_error = True
        item.config.stash[_findings].append({"test": item.nodeid, "internal": str(call.excinfo.value)})
    return report


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    """A kmodel bug is an error (``E``), not a failed property (``F``)."""
    if report.failed and getattr(report, "kmodel_internal_error", False):
        return "error", "E", "ERROR"
    return None


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand findings to the controller
        mine: list[dict[str, Any]] = config.stash.get(_findings, [])
        workeroutput[_KEY] = list(mine)


def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist controller: merge a finished worker's findings."""
    found: list[dict[str, Any]] = getattr(node, "workeroutput", {}).get(_KEY, [])
    findings: list[dict[str, Any]] = node.config.stash[_findings]
    findings.extend(found)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    stashed: list[dict[str, Any]] = config.stash.get(_findings, [])
    findings = sorted((f for f in stashed if "internal" not in f), key=lambda f: (f["test"], f["trace"]))
    internal = sorted((f for f in stashed if "internal" in f), key=lambda f: f["test"])
    if not findings and not internal:
        return
    terminalreporter.section("kmodel violations")
    for f in findings:
        tag = "expected" if f["expected"] else "UNEXPECTED"
        terminalreporter.write_line(f"{tag}: {f['scenario']}: {f['invariant']}: {f['message']}")
        terminalreporter.write_line(f"    trace:  {f['trace']}")
        terminalreporter.write_line(f"    replay: kmodel replay {f['trace']}")
    if internal:
        terminalreporter.write_line(f"kmodel internal errors (bugs in kmodel, not verdicts): {len(internal)}")
        for f in internal:
            terminalreporter.write_line(f"INTERNAL ERROR: {f['test']}: {f['internal']}")
