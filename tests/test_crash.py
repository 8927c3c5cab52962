"""Internal errors (issue 22): a kmodel bug exits 70 with one line and a crash report, never as
a verdict, and leaves nothing else in ``--out``: a run's files are all there or none are."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import kmodel
import kmodel.api
import kmodel.bench
from kmodel._version import __version__
from kmodel.cli import EXIT_CODES, main

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "properties" / "scenarios"
NO_EXPECTATIONS = SCENARIOS / "web-no-expectations.yaml"
TIGHT = SCENARIOS / "web-tight-capacity.yaml"
STALE_RELIST = SCENARIOS / "rs-stale-relist.yaml"
MANIFEST = SCENARIOS / "manifests" / "web-app.yaml"

LINE = re.compile(
    r"kmodel: internal error \(a kmodel bug\): TypeError at (kmodel/[\w/]+\.py:\d+); crash report: (\S+crash-\S+\.txt)"
)


def boom(*args: Any, **kwargs: Any) -> Any:
    raise TypeError("injected by the test")


def after(n: int, real: Callable[..., Any]) -> Callable[..., Any]:
    """``real`` for the first ``n`` calls, then ``boom``: a crash after some output was staged."""
    calls = [0]

    def fn(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs) if calls[0] <= n else boom()

    return fn


def files_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


def crashed(
    capsys: pytest.CaptureFixture[str], code: int, out: Path | None, *, argv: list[str], seed: str, inputs: list[Path]
) -> str:
    """Assert exit 70, the one stderr line, and a crash report with every field; return it."""
    stdout, stderr = capsys.readouterr()
    assert code == 70, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    m = LINE.fullmatch(lines[0])
    assert m is not None, lines[0]
    report_path = Path(m.group(2))
    if out is not None:
        assert report_path.parent == out
        # the only file a crash leaves in --out is its crash report; no staging dir beside it
        assert files_under(out) == [report_path.name]
        assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []
    report = report_path.read_text()
    assert "Traceback (most recent call last)" in report and "TypeError: injected by the test" in report
    assert f"kmodel {__version__}" in report
    assert f"command:  kmodel {' '.join(argv)}" in report
    assert f"seed:     {seed}" in report
    assert f"error:    TypeError at {m.group(1)}" in report
    for path in inputs:
        assert f": {path} ==\n{path.read_text()}" in report, path
    assert "VIOLATED" not in stdout or "injected" not in stdout
    return report


def test_check_crash_after_a_first_scenario_leaves_only_the_crash_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr(kmodel.api, "check_model", after(1, kmodel.api.check_model))
    argv = ["check", str(NO_EXPECTATIONS), str(TIGHT), "--out", str(out), "--seed", "4"]
    code = main(argv)
    report = crashed(capsys, code, out, argv=argv, seed="4", inputs=[NO_EXPECTATIONS, MANIFEST, TIGHT])
    assert "TypeError at kmodel/api.py:" in report  # the innermost kmodel frame: api.check calls check_model


def test_report_crash_after_a_trace_was_staged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr(kmodel.api, "explore_model", boom)  # after check found the violation's trace
    argv = ["report", str(NO_EXPECTATIONS), "--out", str(out), "--explore-states", "50"]
    crashed(capsys, main(argv), out, argv=argv, seed="0", inputs=[NO_EXPECTATIONS])


def test_explore_crash_after_the_trace_was_staged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr(kmodel.api, "describe_explore", boom)  # the summary, after the shortest trace
    argv = ["explore", str(STALE_RELIST), "--out", str(out)]
    crashed(capsys, main(argv), out, argv=argv, seed="none (explore is deterministic)", inputs=[STALE_RELIST])


def test_bench_suite_crash_between_its_two_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr(kmodel.bench, "run_suite", lambda *a, **k: {"summary": {}, "scenarios": []})
    monkeypatch.setattr(kmodel.bench, "render_suite_markdown", boom)  # benchmarks.json is staged by then
    argv = ["bench", "--suite", str(TIGHT), "--seeds", "2", "--out", str(out)]
    crashed(capsys, main(argv), out, argv=argv, seed="0..1 (--seeds 2)", inputs=[TIGHT])


def test_bench_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr(kmodel.bench, "run_bench", boom)
    argv = ["bench", str(TIGHT), "--out", str(out)]
    crashed(capsys, main(argv), out, argv=argv, seed="0", inputs=[TIGHT])


@pytest.fixture(scope="module")
def trace_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    assert main(["check", str(TIGHT), "--out", str(out)]) == 1
    (trace,) = sorted((out / "traces").glob("*.yaml"))
    return trace


def test_replay_crash_report_goes_to_the_temporary_directory(
    trace_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    capsys.readouterr()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # replay has no --out
    monkeypatch.setattr(kmodel.api, "run_steps", boom)
    argv = ["replay", str(trace_file)]
    report = crashed(capsys, main(argv), None, argv=argv, seed="0 (the trace's)", inputs=[trace_file])
    (written,) = tmp_path.glob("kmodel-crash-*.txt")
    assert written.read_text() == report
    assert "== trace: " in report


def test_debug_still_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kmodel.api, "check_model", boom)
    with pytest.raises(kmodel.KmodelInternalError) as exc:
        main(["check", str(TIGHT), "--out", str(tmp_path / "out"), "--debug"])
    assert isinstance(exc.value.__cause__, TypeError)
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []


def test_a_real_process_exits_70(tmp_path: Path) -> None:
    """The exit status a shell sees, from ``python -m kmodel``-style startup."""
    inject = (
        "import sys, kmodel.api\n"
        "def boom(*a, **k): raise TypeError('injected by the test')\n"
        "kmodel.api.check_model = boom\n"
        "from kmodel.cli import main\n"
        "sys.exit(main())\n"
    )
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-c", inject, "check", str(TIGHT), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 70, proc.stderr
    assert LINE.fullmatch(proc.stderr.strip()) is not None, proc.stderr
    assert proc.stdout == ""
    (report,) = out.glob("crash-*.txt")
    assert f"command:  kmodel check {TIGHT} --out {out}" in report.read_text()


# --- the Python API ---------------------------------------------------------------------------


def test_api_raises_kmodel_internal_error_chained_to_the_cause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kmodel.api, "check_model", boom)
    with pytest.raises(kmodel.KmodelInternalError) as exc:
        kmodel.check(TIGHT)
    err = exc.value
    assert isinstance(err.__cause__, TypeError) and err.cause is err.__cause__
    assert not isinstance(err, kmodel.InputError)
    assert err.kind == "TypeError" and err.where.startswith("kmodel/api.py:")
    assert str(err).startswith("internal error (a kmodel bug): TypeError at kmodel/api.py:")


def test_kmodel_internal_error_pickles(monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    monkeypatch.setattr(kmodel.api, "check_model", boom)
    with pytest.raises(kmodel.KmodelInternalError) as exc:
        kmodel.check(TIGHT)
    copy = pickle.loads(pickle.dumps(exc.value))
    assert isinstance(copy, kmodel.KmodelInternalError)
    assert (str(copy), copy.kind, copy.where) == (str(exc.value), "TypeError", exc.value.where)


def test_api_input_errors_stay_input_errors(tmp_path: Path) -> None:
    with pytest.raises(kmodel.InputError) as exc:
        kmodel.check(tmp_path / "missing.yaml")
    assert not isinstance(exc.value, kmodel.KmodelInternalError)
    with pytest.raises(kmodel.InputError):
        kmodel.load_scenario(tmp_path / "missing.yaml")


def test_api_replay_and_explore_raise_it_too(trace_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kmodel.api, "run_steps", boom)
    with pytest.raises(kmodel.KmodelInternalError):
        kmodel.replay(trace_file)
    monkeypatch.setattr(kmodel.api, "explore_model", boom)
    with pytest.raises(kmodel.KmodelInternalError):
        kmodel.explore(TIGHT, max_states=10)


# --- nothing half-written ---------------------------------------------------------------------


def test_a_run_keeps_other_scenarios_reports_and_indexes_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["check", str(TIGHT), "--out", str(out)]) == 1
    assert main(["check", str(NO_EXPECTATIONS), "--out", str(out)]) == 1
    names = files_under(out)
    for scenario in ("web-tight-capacity", "web-no-expectations"):
        assert f"{scenario}.md" in names and f"{scenario}.json" in names and f"{scenario}.html" in names
    index = (out / "index.html").read_text()
    assert "web-tight-capacity" in index and "web-no-expectations" in index
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging directory left


def test_a_crash_leaves_the_previous_reports_as_they_were(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert main(["check", str(TIGHT), "--out", str(out)]) == 1
    before = {name: (out / name).read_bytes() for name in files_under(out)}
    capsys.readouterr()
    import kmodel.report.write

    monkeypatch.setattr(kmodel.report.write, "render_html", boom)  # after the trace, .json and .md
    assert main(["check", str(TIGHT), "--out", str(out), "--seed", "1"]) == 70
    after_crash = files_under(out)
    (crash_report,) = (n for n in after_crash if n.startswith("crash-"))
    assert sorted(set(after_crash) - {crash_report}) == sorted(before)
    assert all((out / name).read_bytes() == data for name, data in before.items())


def test_a_report_path_that_is_a_directory_leaves_no_other_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    (out / "web-tight-capacity.html").mkdir(parents=True)
    code = main(["check", str(TIGHT), "--out", str(out)])
    _, err = capsys.readouterr()
    assert code == 2  # not a kmodel bug: the output location is wrong, as with bad input
    assert err == f"kmodel: error: {out / 'web-tight-capacity.html'}: cannot write: is a directory\n"
    assert files_under(out) == [] and [p.name for p in out.iterdir()] == ["web-tight-capacity.html"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_an_out_that_is_a_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.write_text("not a directory\n")
    code = main(["explore", str(TIGHT), "--max-states", "20", "--out", str(out)])
    _, err = capsys.readouterr()
    assert code == 2 and err.startswith(f"kmodel: error: {out}: cannot write: not a directory")
    assert out.read_text() == "not a directory\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_explore_writes_trace_and_summary_together(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["explore", str(STALE_RELIST), "--out", str(out)]) == 1
    assert files_under(out) == ["rs-stale-relist.explore.json", "traces/rs-stale-relist-NoExcessReplicas-explore.yaml"]
    assert json.loads((out / "rs-stale-relist.explore.json").read_text())["traceSteps"] == 6


# --- help and README --------------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["check"], ["report"], ["replay"], ["explore"], ["bench"]])
def test_every_help_lists_every_exit_code(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    text = capsys.readouterr().out
    block = text[text.index("exit codes:") :]
    for code in EXIT_CODES:
        assert re.search(rf"^  {code}\s+\S", block, re.M), (command, code)
    assert "internal error" in block and "130" in block


def test_readme_lists_every_exit_code() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Exit codes") :]
    for code in EXIT_CODES:
        assert f"| {code} |" in table, code
