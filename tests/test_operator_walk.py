"""The operator author's first hour, as the README tells it (section "From a bug to a fixed
operator"): its files, taken from the README's code blocks, and its commands, run end to end.
A buggy controller is found by ``kmodel check`` (exit 1), its trace reproduces, the README's fix
is applied, and ``kmodel replay --current-code`` exits 0. Around it: ``--current-code``'s
errors (one line, exit 2), a violation while settling the initial state, and the Python API."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import kmodel
from kmodel.yamlio import load_documents

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("### From a bug to a fixed operator") : README.index("### The Controller API")]


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", SECTION, re.S)


def readme_file(first_line: str) -> str:
    """The README's code block that starts with ``first_line`` (its file name, as a comment)."""
    for block in blocks("python") + blocks("yaml"):
        if block.startswith(first_line + "\n"):
            return block
    raise AssertionError(f"the README has no block starting {first_line!r}")


def fixed(source: str) -> str:
    """``source`` with the README's fix: the lines from ``mine = ...`` to ``generate_name=...``
    replaced by the README's fix block."""
    fix = next(b for b in blocks("python") if "# the fix" in b)
    lines = source.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("mine = "))
    end = next(i for i, line in enumerate(lines) if "generate_name=" in line)
    return "".join([*lines[:start], fix, *lines[end + 1 :]])


def kmodel_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "kmodel", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A directory holding the README's operator and scenario, as a newcomer saves them."""
    (tmp_path / "operators").mkdir()
    (tmp_path / "operators" / "widgets.py").write_text(readme_file("# operators/widgets.py"))
    (tmp_path / "widgets.yaml").write_text(readme_file("# widgets.yaml"))
    return tmp_path


TRACE = "reports/traces/widgets-OneConfigMapPerWidget-seed0.yaml"


def test_the_readme_walk_from_a_bug_to_a_fixed_operator(project: Path) -> None:
    checked = kmodel_cli("check", "widgets.yaml", cwd=project)
    assert checked.returncode == 1, checked.stderr
    assert "widgets: " in checked.stdout and "OneConfigMapPerWidget VIOLATED" in checked.stdout
    assert "violated while settling the initial state (start: settled)" in checked.stdout
    assert f"replay: kmodel replay {TRACE}" in checked.stdout
    assert "Traceback" not in checked.stderr

    replayed = kmodel_cli("replay", TRACE, cwd=project)
    assert replayed.returncode == 1, replayed.stderr
    assert "reproduced: OneConfigMapPerWidget" in replayed.stdout
    assert "widget-operator: create ConfigMap/blue-" in replayed.stdout  # the settle's steps, one by one

    still = kmodel_cli("replay", TRACE, "--current-code", cwd=project)  # nothing fixed yet
    assert still.returncode == 1, still.stderr
    assert "runs as recorded: no step differs" in still.stdout
    assert "reproduced: OneConfigMapPerWidget (current code)" in still.stdout

    module = project / "operators" / "widgets.py"
    module.write_text(fixed(module.read_text()))
    now = kmodel_cli("replay", TRACE, "--current-code", cwd=project)
    assert now.returncode == 0, now.stdout + now.stderr
    assert "first differs from the recorded run at step 1" in now.stdout
    assert "create ConfigMap/blue-config" in now.stdout
    assert "fixed: OneConfigMapPerWidget no longer violated along the trace and its settle" in now.stdout
    assert kmodel_cli("replay", TRACE, cwd=project).returncode == 1  # the embedded code is still the bug

    moved = project / "elsewhere"  # run from another directory: the trace names its scenario relative to itself
    moved.mkdir()
    assert kmodel_cli("replay", str(project / TRACE), "--current-code", cwd=moved).returncode == 0
    as_json = kmodel_cli("replay", TRACE, "--current-code", "--format", "json", cwd=project)
    doc = json.loads(as_json.stdout)
    assert doc["held"] is True and doc["firstDifference"]["step"] == 1

    rechecked = kmodel_cli("check", "widgets.yaml", cwd=project)
    assert rechecked.returncode == 0, rechecked.stdout
    assert "all invariants held" in rechecked.stdout


def test_the_python_api_replays_on_the_current_code(project: Path) -> None:
    result = kmodel.check(project / "widgets.yaml")
    assert result.trace is not None and result.initial_settle
    assert result.trace.scenario_file == str((project / "widgets.yaml").resolve())
    assert kmodel.replay(result.trace).reproduced
    assert not kmodel.replay(result.trace, current_code=True).held
    module = project / "operators" / "widgets.py"
    module.write_text(fixed(module.read_text()))
    replayed = kmodel.replay(result.trace, current_code=True)
    assert replayed.held and not replayed.reproduced and replayed.current_code
    assert replayed.difference is not None and replayed.difference.step == 1
    assert kmodel.replay(result.trace).reproduced


def test_a_violation_while_settling_the_initial_state_is_its_settle_steps(project: Path) -> None:
    result = kmodel.check(project / "widgets.yaml")
    trace = result.trace
    assert trace is not None
    assert trace.scenario["spec"]["start"] == "applied"  # the settle's steps, from the objects as applied
    assert [str(s) for s in trace.steps] == ["reconcile(component=widget-operator)"] * 2  # shrunk
    assert trace.violation.step == 2 and "2 ConfigMaps" in trace.violation.message

    # a trace of an older kmodel: 0 steps on start: settled; replay shows the settle, step by step
    old = kmodel.core.trace.Trace(
        trace.version,
        {**trace.scenario, "spec": {**trace.scenario["spec"], "start": "settled"}},
        0,
        (),
        kmodel.core.run.Violation(trace.violation.invariant, "always", "...", 0),
    )
    replayed = kmodel.replay(old)
    assert replayed.reproduced
    (row,) = replayed.rows
    assert sum("create ConfigMap" in desc for _, desc, _, _ in row.sub) == 2


def test_start_applied_is_not_unrolled(project: Path) -> None:
    path = project / "widgets.yaml"
    path.write_text(path.read_text() + "  start: applied\n")
    result = kmodel.check(path)
    assert result.trace is not None and not result.initial_settle
    assert result.trace.steps and result.trace.violation.step == len(result.trace.steps)


# -- --current-code: errors are one line naming the file and field, exit 2 ------------------


@pytest.fixture
def trace_file(project: Path) -> Path:
    result = kmodel.check(project / "widgets.yaml")
    assert result.trace is not None
    path = project / "t.yaml"
    kmodel.save_trace(result.trace, path)
    return path


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    return line


def test_current_code_with_a_missing_module_file(project: Path, trace_file: Path) -> None:
    (project / "operators" / "widgets.py").unlink()
    line = one_line_error(kmodel_cli("replay", str(trace_file), "--current-code", cwd=project))
    assert line.startswith(f"kmodel: error: {project / 'widgets.yaml'}: spec.controllers[0]: module")
    assert "'operators/widgets.py' not found" in line


def test_current_code_with_a_missing_scenario_file(project: Path, trace_file: Path) -> None:
    (project / "widgets.yaml").unlink()
    line = one_line_error(kmodel_cli("replay", str(trace_file), "--current-code", cwd=project))
    assert line.startswith(f"kmodel: error: {trace_file}: document 1: scenarioFile: scenario ")
    assert "give it with --scenario FILE" in line
    line = one_line_error(kmodel_cli("replay", str(trace_file), "--current-code", "--scenario", "no.yaml", cwd=project))
    assert "--scenario: scenario no.yaml not found" in line


def test_current_code_given_the_scenario_of_a_moved_trace(project: Path, trace_file: Path, tmp_path: Path) -> None:
    data = load_documents(trace_file.read_text(), "t")[0]
    assert data["scenarioFile"] == "widgets.yaml"  # relative to the trace's directory
    del data["scenarioFile"]
    bare = project / "bare.yaml"
    bare.write_text(json.dumps(data))
    line = one_line_error(kmodel_cli("replay", str(bare), "--current-code", cwd=project))
    assert "scenarioFile: the trace does not name the scenario file" in line
    proc = kmodel_cli("replay", str(bare), "--current-code", "--scenario", "widgets.yaml", cwd=project)
    assert proc.returncode == 1 and "reproduced: OneConfigMapPerWidget (current code)" in proc.stdout


def test_current_code_with_a_trace_of_another_version(project: Path, trace_file: Path) -> None:
    data = load_documents(trace_file.read_text(), "t")[0]
    data["kmodelVersion"] = "0.0.1"
    trace_file.write_text(json.dumps(data))
    line = one_line_error(kmodel_cli("replay", str(trace_file), "--current-code", cwd=project))
    assert f"{trace_file}: document 1: kmodelVersion: trace written by kmodel 0.0.1" in line


def test_current_code_of_a_scenario_without_modules(tmp_path: Path) -> None:
    result = kmodel.check(ROOT / "properties" / "scenarios" / "web-no-expectations.yaml", examples=30)
    assert result.trace is not None and result.trace.scenario_file is None  # such traces are unchanged
    path = tmp_path / "t.yaml"
    kmodel.save_trace(result.trace, path)
    assert "scenarioFile" not in path.read_text()
    line = one_line_error(kmodel_cli("replay", str(path), "--current-code", cwd=tmp_path))
    assert "scenario.spec.modules: the trace's scenario has no user modules" in line


def test_scenario_and_step_options_need_current_code_or_not(project: Path, trace_file: Path) -> None:
    line = one_line_error(kmodel_cli("replay", str(trace_file), "--scenario", "widgets.yaml", cwd=project))
    assert "--scenario is read only with --current-code" in line
    line = one_line_error(kmodel_cli("replay", str(trace_file), "--current-code", "--step", "1", cwd=project))
    assert "--step does not go with --current-code" in line


def test_replay_help_describes_current_code() -> None:
    out = kmodel_cli("replay", "--help", cwd=ROOT).stdout
    assert "--current-code" in out and "--scenario FILE" in out
    assert "the fix holds" in out


def test_check_help_lists_the_exit_codes_scripts_depend_on() -> None:
    out = kmodel_cli("check", "--help", cwd=ROOT).stdout
    block = out[out.index("exit codes:") :]
    for code, meaning in (
        (0, "every invariant held"),
        (1, "an invariant was violated"),
        (2, "bad input"),
        (3, "(not used by check)"),
        (70, "internal error"),
        (130, "interrupted (Ctrl-C)"),
    ):
        assert re.search(rf"^  {code}\s+{re.escape(meaning)}", block, re.M), (code, block)


def test_explore_says_a_violation_was_in_the_initial_settle(project: Path) -> None:
    explored = kmodel_cli("explore", "widgets.yaml", "--max-states", "100", cwd=project)
    assert explored.returncode == 1, explored.stdout + explored.stderr
    assert "violated while settling the initial state (start: settled)" in explored.stdout
    trace = project / "reports" / "traces" / "widgets-OneConfigMapPerWidget-explore.yaml"
    replayed = kmodel_cli("replay", str(trace), cwd=project)
    assert replayed.returncode == 1 and "widget-operator: create ConfigMap/blue-" in replayed.stdout
