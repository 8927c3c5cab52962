"""The pytest plugin and kmodel bugs: an internal error is a pytest error (``E``), never a failed
property, and the ``kmodel violations`` summary lists it apart."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "properties" / "scenarios"

SUITE = f"""
import kmodel.api

def boom(*args, **kwargs):
    raise TypeError("injected by the test")

def test_kmodel_bug(kmodel_check, monkeypatch):
    monkeypatch.setattr(kmodel.api, "check_model", boom)
    kmodel_check({str(SCENARIOS / "web-tight-capacity.yaml")!r}, examples=3)

def test_kmodel_bug_in_a_direct_api_call(monkeypatch):
    monkeypatch.setattr(kmodel.api, "check_model", boom)
    kmodel.check({str(SCENARIOS / "web-tight-capacity.yaml")!r}, examples=3)

def test_real_violation(kmodel_check):
    kmodel_check({str(SCENARIOS / "web-tight-capacity.yaml")!r}, examples=5)
"""


def test_internal_error_is_an_error_not_a_failure(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=SUITE)
    report = pytester.path / "kmodel-out"
    result = pytester.runpytest("-p", "no:cacheprovider", f"--kmodel-report={report}")
    result.assert_outcomes(errors=2, failed=1)
    out = result.stdout.str()
    result.stdout.re_match_lines([r"test_user.py EEF\b.*"])
    result.stdout.fnmatch_lines(["*ERROR*test_user.py::test_kmodel_bug*"])
    summary = out[out.index("kmodel violations") :]
    assert "UNEXPECTED: web-tight-capacity: ReplicasConverge" in summary
    assert "kmodel internal errors (bugs in kmodel, not verdicts): 2" in summary
    assert (
        "INTERNAL ERROR: test_user.py::test_kmodel_bug: internal error (a kmodel bug): TypeError at kmodel/api.py:"
        in summary
    )
    assert "INTERNAL ERROR: test_user.py::test_kmodel_bug_in_a_direct_api_call:" in summary
    # the crashed check wrote nothing; the real violation wrote its trace and reports
    assert sorted(p.name for p in (report / "traces").iterdir()) == ["web-tight-capacity-ReplicasConverge-seed0.yaml"]


def test_internal_error_is_an_error_under_xdist(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(test_user=SUITE.split("def test_real_violation")[0])
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(errors=2)
    out = result.stdout.str()
    assert "kmodel internal errors (bugs in kmodel, not verdicts): 2" in out
