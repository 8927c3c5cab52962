"""The command line: exit codes, one-line errors, nothing half-written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kmodel.cli import main
from kmodel.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "properties" / "scenarios"

BAD_SCENARIO = """\
apiVersion: kmodel/v1
kind: Scenario
metadata: {name: bad}
spec:
  nodes:
    - {name: node-1, capacity: {cpu: "2", memory: 4Gi}}
  fault: {nodeCrash: 1}
"""

APP_WRONG_TYPE = """\
apiVersion: v1
kind: Pod
metadata: {name: ok}
spec:
  containers: [{name: c}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web}
spec:
  replicas: three
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web}]
"""


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_malformed_scenario_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_SCENARIO)
    out_dir = tmp_path / "out"
    code, _, err = run_cli(["check", str(path), "--out", str(out_dir)], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert str(path) in lines[0] and "spec.fault" in lines[0] and "did you mean 'faults'" in lines[0]
    assert "Traceback" not in err
    assert not out_dir.exists()  # nothing half-written


def test_manifest_wrong_type_names_file_document_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.yaml").write_text(APP_WRONG_TYPE)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "apiVersion: kmodel/v1\nkind: Scenario\nspec:\n"
        '  nodes: [{name: n1, capacity: {cpu: "1", memory: 1Gi}}]\n'
        "  manifests: [app.yaml]\n"
    )
    code, _, err = run_cli(["check", str(scenario), "--out", str(tmp_path / "out")], capsys)
    assert code == 2
    line = err.strip()
    assert "\n" not in line
    assert "app.yaml: document 2: spec.replicas: expected an integer, got the string 'three'" in line


def test_one_bad_scenario_among_good_ones_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_SCENARIO)
    out_dir = tmp_path / "out"
    code, _, _ = run_cli(["check", str(SCENARIOS / "web-tight-capacity.yaml"), str(bad), "--out", str(out_dir)], capsys)
    assert code == 2
    assert not out_dir.exists()


@pytest.fixture(scope="module")
def trace_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    assert main(["check", str(SCENARIOS / "web-no-expectations.yaml"), "--out", str(out)]) == 1
    (trace,) = sorted((out / "traces").glob("*.yaml"))
    return trace


def test_check_reports_violation_with_replay_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["check", str(SCENARIOS / "web-no-expectations.yaml"), "--out", str(tmp_path)], capsys)
    assert code == 1
    assert "NoExcessReplicas VIOLATED" in out
    assert "replay: kmodel replay " in out
    report = (tmp_path / "web-no-expectations.md").read_text()
    assert "**violated**" in report and "kmodel replay" in report


def test_replay_exit_1_and_names_the_break(trace_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["replay", str(trace_file)], capsys)
    assert code == 1
    assert "NoExcessReplicas (safety) broke here" in out
    assert out.strip().endswith("reproduced: NoExcessReplicas")


def test_truncated_trace_is_exit_2(trace_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = trace_file.read_text()
    cut = tmp_path / "cut.yaml"
    cut.write_text(text[: len(text) // 2])
    code, _, err = run_cli(["replay", str(cut)], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and str(cut) in err and "Traceback" not in err


def test_trace_from_another_version_is_exit_2(
    trace_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(trace_file.read_text().replace("kmodelVersion: 0.1.0", "kmodelVersion: 0.0.1"))
    code, _, err = run_cli(["replay", str(other)], capsys)
    assert code == 2
    assert "kmodelVersion" in err and "0.0.1" in err


def test_trace_with_foreign_step_is_exit_2(
    trace_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(trace_file.read_text().replace("steps:\n", "steps:\n- op: crash_node\n  node: node-9\n", 1))
    code, _, err = run_cli(["replay", str(other)], capsys)
    assert code == 2
    assert "does not replay" in err and "not an action of this scenario" in err


def test_debug_shows_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_SCENARIO)
    proc = subprocess.run(
        [sys.executable, "-m", "kmodel", "--debug", "check", str(path)], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "InputError" in proc.stderr


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("kmodel ")


@pytest.mark.skipif(shutil.which("kmodel") is None, reason="console script not installed")
def test_console_script_runs_default(tmp_path: Path) -> None:
    proc = subprocess.run(["kmodel", "check", "--examples", "5"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "reports" / "web-node-crash.md").exists()
    assert "all invariants held" in proc.stdout


def test_ctrl_c_leaves_a_valid_partial_report(tmp_path: Path) -> None:
    """SIGINT during check: a clean stop, exit 130, and a complete report of the runs done."""
    import json
    import signal
    import time

    out = tmp_path / "out"
    for wait in (4, 10, 25):  # a busy machine may still be starting up: then try again, later
        proc = subprocess.Popen(
            [sys.executable, "-m", "kmodel", "check", "--examples", "100000", "--out", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        time.sleep(wait)  # not a timing assertion: any interruption after the search started will do
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
        if proc.returncode == -signal.SIGINT and wait != 25:
            continue  # the signal came before Python had started kmodel (a loaded machine): later
        assert proc.returncode == 130, stderr
        if (out / "web-node-crash.json").exists():
            break
    assert "Traceback" not in stderr and "interrupted" in stderr
    doc = json.loads((out / "web-node-crash.json").read_text())
    assert doc["verdict"] == "interrupted" and doc["explored"]["runs"] >= 1
    assert (out / "web-node-crash.md").read_text().startswith("# kmodel report: web-node-crash")
    assert (out / "web-node-crash.html").read_text().rstrip().endswith("</html>")
    assert not list(out.glob(".*"))  # no temporary files left behind
    assert "INTERRUPTED" in stdout


def test_replay_formats_and_state_at_a_step(trace_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["replay", str(trace_file), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["reproduced"] and doc["invariant"] == "NoExcessReplicas"
    assert doc["steps"][-1]["violation"] == "NoExcessReplicas"
    assert main(["replay", str(trace_file), "--format", "markdown"]) == 1
    md = capsys.readouterr().out.splitlines()
    assert md[0] == "| # | clock | step | what changed |" and "✗ NoExcessReplicas" in md[-1]
    assert main(["replay", str(trace_file), "--step", "0", "--format", "json"]) == 0
    state = json.loads(capsys.readouterr().out)
    assert {"clock", "nodes", "pods", "workloads", "components"} <= set(state)
    assert len(state["pods"]) == 3  # the initial state of the web scenario
    assert main(["replay", str(trace_file), "--step", "999"]) == 2


def test_no_colour_when_not_a_terminal_or_no_color(tmp_path: Path) -> None:
    env = dict(__import__("os").environ, NO_COLOR="1")
    proc = subprocess.run(
        [sys.executable, "-m", "kmodel", "check", str(SCENARIOS / "web-tight-capacity.yaml"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 1
    assert "\x1b[" not in proc.stdout and "\x1b[" not in proc.stderr


def test_report_command_writes_check_and_exhaustive_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    code = main(
        ["report", str(SCENARIOS / "web-no-expectations.yaml"), "--out", str(tmp_path), "--explore-states", "2000"]
    )
    assert code == 1
    doc = json.loads((tmp_path / "web-no-expectations.json").read_text())
    assert doc["verdict"] == "violated" and doc["exhaustive"]["distinct"] <= 2000
    assert doc["exhaustive"]["verdict"] in ("bound", "violated")
    assert "## Exhaustive search" in (tmp_path / "web-no-expectations.md").read_text()
    html = (tmp_path / "web-no-expectations.html").read_text()
    assert 'id="exhaustive"' in html and 'id="sequence"' in html and 'id="steps"' in html
    assert "web-no-expectations" in (tmp_path / "index.html").read_text()


def test_debug_after_the_command_shows_the_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_SCENARIO)
    with pytest.raises(InputError):
        main(["check", str(path), "--debug", "--out", str(tmp_path / "out")])


def test_a_swallowed_ctrl_c_stops_the_next_run() -> None:
    """A KeyboardInterrupt raised inside a finalizer is printed as "ignored" by Python and lost;
    the check's SIGINT handler remembers it, and the next run's start raises it again."""
    import contextlib
    import gc
    import signal

    from kmodel.cli import _StickyInterrupt

    before = signal.getsignal(signal.SIGINT)
    with _StickyInterrupt() as interrupted:
        interrupted.check()  # nothing pending: no-op
        handler = signal.getsignal(signal.SIGINT)
        assert callable(handler) and handler is not before
        with contextlib.suppress(KeyboardInterrupt):  # what a finalizer does with it
            handler(signal.SIGINT, None)
        with pytest.raises(KeyboardInterrupt):
            interrupted.check()
        interrupted.pending = False
        # during a collection (where Hypothesis has a gc callback) the signal is only recorded
        interrupted._gc_start("start", {})
        handler(signal.SIGINT, None)
        interrupted._gc_stop("stop", {})
        assert interrupted.pending
        with pytest.raises(KeyboardInterrupt):
            handler(signal.SIGINT, None)  # outside one it is raised at once
    assert signal.getsignal(signal.SIGINT) is before
    assert interrupted._gc_start not in gc.callbacks and interrupted._gc_stop not in gc.callbacks
