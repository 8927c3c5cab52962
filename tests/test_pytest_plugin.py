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
