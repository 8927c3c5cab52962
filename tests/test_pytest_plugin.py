"""The pytest plugin: a user's property suite in a few lines, options, summary, xdist."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "properties" / "scenarios"

SUITE = f"""
def test_default_holds(kmodel_check):
    kmodel_check(examples=5)

def test_known_bug_found(kmodel_check):
    kmodel_check({str(SCENARIOS / "web-no-expectations.yaml")!r}, expect="NoExcessReplicas")

def test_wrong_expectation_fails(kmodel_check):
    kmodel_check({str(SCENARIOS / "web-no-expectations.yaml")!r})
"""


def test_user_suite_reports_verdicts_traces_and_replay_commands(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=SUITE)
    report = pytester.path / "kmodel-out"
    result = pytester.runpytest("-p", "no:cacheprovider", f"--kmodel-report={report}")
    result.assert_outcomes(passed=2, failed=1)
    out = result.stdout.str()
    # the failing test says what broke and how to replay it
    result.stdout.fnmatch_lines(["*web-no-expectations: NoExcessReplicas violated*", "*replay: kmodel replay *"])
    # the summary lists both violations, expected and unexpected
    assert "kmodel violations" in out
    assert "expected: web-no-expectations: NoExcessReplicas" in out
    assert "UNEXPECTED: web-no-expectations: NoExcessReplicas" in out
    traces = sorted((report / "traces").glob("*.yaml"))
    assert len(traces) == 1  # same scenario and seed: same trace file
    assert (report / "web-no-expectations.html").exists() and (report / "index.html").exists()


def test_seed_option_and_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nkmodel_examples = 3\n")
    pytester.makepyfile(
        test_seed="""
def test_uses_options(kmodel_check, request):
    result = kmodel_check()
    assert result.seed == 7
    assert result.examples == 3
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--kmodel-seed=7")
    result.assert_outcomes(passed=1)


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_m="""
import pytest

@pytest.mark.kmodel
def test_x():
    pass
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers", "-m", "kmodel")
    result.assert_outcomes(passed=1)


def test_xdist_workers_report_to_the_controller(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(test_user=SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=2, failed=1)
    out = result.stdout.str()
    assert "kmodel violations" in out and "UNEXPECTED: web-no-expectations" in out
    assert "replay: kmodel replay" in out


# -- paths resolve against the test file; kmodel_regression ---------------------------------

COUNTER = """
import kmodel


class Counter(kmodel.Controller):
    name, watches, owns = "counter", ("Widget",), ("Widget",)
    LIMIT = 5

    def reconcile(self, view):
        return [kmodel.update(w.evolve(spec={"count": w.spec["count"] + 1}))
                for w in view.list("Widget") if w.spec["count"] < self.LIMIT]


@kmodel.invariant(kind="always")
def count_below_three(cluster):
    for w in cluster.list("Widget"):
        if w.spec["count"] >= 3:
            return f"{w.meta.name} counted to {w.spec['count']}"
    return None
"""

WIDGETS = """
apiVersion: kmodel/v1
kind: Scenario
metadata: {name: widgets}
spec:
  nodes: [{name: node-1, capacity: {cpu: "1", memory: 1Gi}}]
  objects: [{apiVersion: example.com/v1, kind: Widget, metadata: {name: w}, spec: {count: 0}}]
  start: applied
  controllers: ["ops/counter.py:Counter"]
  invariants: ["ops/counter.py:CountBelowThree"]
"""


def widgets(directory: Path, limit: int = 5) -> None:
    """The counter scenario in ``directory``: CountBelowThree is violated unless ``limit`` < 3."""
    (directory / "ops").mkdir(parents=True)
    (directory / "ops" / "counter.py").write_text(COUNTER.replace("LIMIT = 5", f"LIMIT = {limit}"))
    (directory / "widgets.yaml").write_text(WIDGETS)


def test_relative_paths_resolve_against_the_test_file(pytester: pytest.Pytester) -> None:
    proj = pytester.path / "myproj"
    widgets(proj / "scenarios")
    widgets(pytester.path / "cwd-only")
    (proj / "test_props.py").write_text(
        "def test_beside_the_test_file(kmodel_check):\n"
        '    kmodel_check("scenarios/widgets.yaml", expect="CountBelowThree")\n'
        "\n"
        "def test_relative_to_the_cwd_still_works(kmodel_check):\n"
        '    kmodel_check("cwd-only/widgets.yaml", expect="CountBelowThree")\n'
        "\n"
        "def test_absolute(kmodel_check):\n"
        f'    kmodel_check({str(proj / "scenarios" / "widgets.yaml")!r}, expect="CountBelowThree")\n'
    )
    # pytest runs one level up from the test file: the first path is myproj/scenarios/widgets.yaml
    result = pytester.runpytest("-p", "no:cacheprovider", "myproj/test_props.py")
    result.assert_outcomes(passed=3)


def test_the_test_files_directory_wins_over_the_cwd(pytester: pytest.Pytester) -> None:
    proj = pytester.path / "myproj"
    widgets(proj / "scenarios")  # beside the test: violated
    widgets(pytester.path / "scenarios", limit=2)  # the same relative path from the cwd: held
    (proj / "test_win.py").write_text(
        'def test_which(kmodel_check):\n    kmodel_check("scenarios/widgets.yaml", expect="CountBelowThree")\n'
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "myproj/test_win.py")
    result.assert_outcomes(passed=1)


def test_a_missing_relative_path_names_the_test_files_directory(pytester: pytest.Pytester) -> None:
    (pytester.path / "myproj").mkdir()
    (pytester.path / "myproj" / "test_missing.py").write_text(
        'def test_missing(kmodel_check):\n    kmodel_check("scenarios/nope.yaml")\n'
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "myproj/test_missing.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*myproj/scenarios/nope.yaml*file not found*"])


def test_kmodel_regression_fails_until_the_fix_holds(pytester: pytest.Pytester) -> None:
    import kmodel

    proj = pytester.path / "myproj"
    widgets(proj)
    result = kmodel.check(proj / "widgets.yaml")
    assert result.trace is not None
    (proj / "traces").mkdir()
    kmodel.save_trace(result.trace, proj / "traces" / "counter.yaml")
    (proj / "test_fix.py").write_text(
        'def test_counter_fix(kmodel_regression):\n    kmodel_regression("traces/counter.yaml")\n'
    )
    failed = pytester.runpytest("-p", "no:cacheprovider", "myproj/test_fix.py")
    failed.assert_outcomes(failed=1)
    failed.stdout.fnmatch_lines(["*CountBelowThree still violated on the current code*", "*--current-code*"])
    (proj / "ops" / "counter.py").write_text(COUNTER.replace("LIMIT = 5", "LIMIT = 2"))
    passed = pytester.runpytest("-p", "no:cacheprovider", "myproj/test_fix.py")
    passed.assert_outcomes(passed=1)
