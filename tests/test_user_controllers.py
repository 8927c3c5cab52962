"""User-written controllers and invariants (``kmodel.Controller``, ``@kmodel.invariant``).

The API's vocabulary; the adapter getting informer lag, restarts, stale relists and conflicts
like the built-in controllers; one-line errors for bad module references; determinism; and
the example operator (properties/operators/dbcleanup.py) through the CLI, including replay
of its trace from elsewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import kmodel
from kmodel.core.fmap import FMap
from kmodel.core.model import Action
from kmodel.k8s.objects import GenericObject, ObjectMeta, freeze, thaw
from kmodel.k8s.usercontrollers import ClusterView, UserCodeError

ROOT = Path(__file__).resolve().parents[1]
OPERATORS = ROOT / "properties" / "operators"
BY_NAME = ROOT / "properties" / "scenarios" / "op-delete-by-name.yaml"
BY_UID = ROOT / "properties" / "scenarios" / "op-delete-by-uid.yaml"

COUNTER = '''
import kmodel

class Counter(kmodel.Controller):
    """Bumps spec.count of every Widget by one per reconcile (a read-modify-write)."""
    name = "counter"
    watches = ("Widget",)
    owns = ("Widget",)

    def initial_state(self):
        return ()

    def reconcile(self, view):
        return [kmodel.update(w.evolve(spec={"count": w.spec["count"] + 1})) for w in view.list("Widget")]

    def on_result(self, state, request, result):
        return (*state, result.reason or "ok")

@kmodel.invariant(kind="always")
def count_below_three(cluster):
    """No Widget counts to 3."""
    for w in cluster.list("Widget"):
        if w.spec["count"] >= 3:
            return f"{w.meta.name} counted to {w.spec['count']}"
    return None
'''


def write_scenario(tmp: Path, spec_extra: str, module: str = COUNTER, objects: str | None = None) -> Path:
    (tmp / "ops").mkdir(exist_ok=True)
    (tmp / "ops" / "counter.py").write_text(module)
    objs = objects or "[{apiVersion: example.com/v1, kind: Widget, metadata: {name: w}, spec: {count: 0}}]"
    text = f"""
apiVersion: kmodel/v1
kind: Scenario
metadata: {{name: widgets}}
spec:
  nodes: [{{name: node-1, capacity: {{cpu: "1", memory: 1Gi}}}}]
  objects: {objs}
  start: applied
{textwrap.indent(textwrap.dedent(spec_extra).strip(), "  ")}
"""
    path = tmp / "widgets.yaml"
    path.write_text(text)
    return path


def bad(tmp: Path, spec_extra: str, module: str = COUNTER, objects: str | None = None) -> str:
    with pytest.raises(kmodel.InputError) as err:
        kmodel.load_scenario(write_scenario(tmp, spec_extra, module, objects))
    msg = str(err.value)
    assert "\n" not in msg
    return msg


# -- the vocabulary --------------------------------------------------------------------------


def test_requests_carry_the_preconditions_read() -> None:
    meta = ObjectMeta("db", "default", uid="uid-7", resource_version=12)
    obj = GenericObject("example.com/v1", "Database", meta, {"size": 1})
    assert kmodel.update(obj).precondition_rv == 12
    assert kmodel.update_status(obj).precondition_rv == 12
    assert kmodel.update(kmodel.new_object("Database", "x")).precondition_rv is None  # never read: none
    assert kmodel.create(obj).verb == "create" and kmodel.create(obj).key == ("Database", "default", "db")
    by_name = kmodel.delete("Secret", "default", "s")
    by_uid = kmodel.delete("Secret", "default", "s", uid="uid-9")
    assert (by_name.precondition_uid, by_uid.precondition_uid) == (None, "uid-9")


def test_generic_objects_are_frozen_hashable_and_thaw_back() -> None:
    data = {"b": [1, {"x": "y"}], "a": None}
    obj = kmodel.new_object("Database", "db", api_version="example.com/v1", spec=data)
    assert list(obj.spec) == ["a", "b"] and obj.spec["b"] == (1, FMap({"x": "y"}))
    assert thaw(obj.spec) == data and thaw(freeze(data)) == data
    assert hash(obj) == hash(kmodel.new_object("Database", "db", api_version="example.com/v1", spec=data))
    assert obj.KIND == "Database" and obj.key == ("Database", "default", "db")
    with pytest.raises(TypeError):
        obj.spec["a"] = 1  # type: ignore[index]
    with pytest.raises(TypeError, match=r"spec\.s"):
        freeze({"s": {1, 2}}, "spec")
    with pytest.raises(TypeError, match="models Pod itself"):
        kmodel.new_object("Pod", "p")


def test_invariant_decorator_names_and_describes() -> None:
    inv = OPERATORS_MODULE().ready_database_has_secret
    assert (inv.name, inv.kind) == ("ReadyDatabaseHasSecret", "always")
    assert inv.description.startswith("A Database whose status says Ready")
    named = kmodel.invariant(kind="eventually", name="Custom")(lambda c: None)
    assert (named.name, named.kind) == ("Custom", "eventually")
    with pytest.raises(ValueError, match="always"):
        kmodel.invariant(kind="sometimes")  # type: ignore[arg-type]


def OPERATORS_MODULE() -> Any:  # noqa: N802
    from kmodel.usercode import ModuleLoader

    loader = ModuleLoader(OPERATORS, {}, "<test>")
    return loader._module("dbcleanup.py", ())


def test_example_invariant_on_a_cluster_view() -> None:
    sc = kmodel.load_scenario(BY_NAME)
    model = sc.model()
    state = model.initial()  # settled: the operator provisioned the Secret and marked Ready
    view = ClusterView(state)
    (db,) = view.list("Database")
    assert db.status["phase"] == "Ready"
    assert view.get("Secret", "default", "db-credentials").meta.annotations["example.com/database-uid"] == db.meta.uid
    inv = OPERATORS_MODULE().ready_database_has_secret
    assert inv(view) is None
    gone = attrs_evolve_store(state, state.store.objects.delete(("Secret", "default", "db-credentials")))
    assert "does not exist" in (inv(ClusterView(gone)) or "")


def attrs_evolve_store(state: Any, objects: Any) -> Any:
    import attrs

    return attrs.evolve(state, store=attrs.evolve(state.store, objects=objects))


# -- the adapter: the same lag, restarts and conflicts as built-ins --------------------------


def test_user_controller_is_a_control_plane_component_with_faults(tmp_path: Path) -> None:
    sc = kmodel.load_scenario(
        write_scenario(
            tmp_path,
            """
            controllers: ["ops/counter.py:Counter"]
            faults: {componentRestart: 1, staleRelist: 1, requestLoss: 1, coalesce: 1}
            invariants: ["ops/counter.py:count_below_three"]
            """,
        )
    )
    model = sc.model()
    assert "counter" in model.control_plane
    fault_components = {
        (spec.op, value)
        for spec in model.action_space()
        for name, values in spec.params
        if name == "component"
        for value in values
    }
    for op in ("restart", "restart_stale", "reconcile_lossy", "deliver_coalesced", "deliver", "reconcile"):
        assert (op, "counter") in fault_components
    assert [p.name for p in model.properties()] == ["CountBelowThree"]


def test_stale_cache_write_conflicts_and_restart_loses_memory(tmp_path: Path) -> None:
    sc = kmodel.load_scenario(
        write_scenario(tmp_path, 'controllers: ["ops/counter.py:Counter"]\nfaults: {componentRestart: 1}')
    )
    model = sc.model()
    s = model.initial()
    reconcile = Action.of("reconcile", component="counter")
    s = model.step(s, reconcile)
    assert s is not None
    assert s.store.get(("Widget", "default", "w")).spec["count"] == 1
    assert s.components["counter"].local == ("ok",)
    # Its cache has not seen its own write yet: the same read-modify-write conflicts.
    assert model.view(s, "counter").get(("Widget", "default", "w")).spec["count"] == 0
    s = model.step(s, reconcile)
    assert s is not None
    assert s.components["counter"].local == ("ok", "Conflict")
    assert s.store.get(("Widget", "default", "w")).spec["count"] == 1
    s = model.step(s, Action.of("deliver", component="counter"))
    assert s is not None and model.view(s, "counter").get(("Widget", "default", "w")).spec["count"] == 1
    # A crash after 0 writes: memory (on_result's record) is lost, the cache is relisted.
    s = model.step(s, Action.of("restart", component="counter", after=0))
    assert s is not None and s.components["counter"].local == ()


def test_user_invariant_is_checked_and_found(tmp_path: Path) -> None:
    path = write_scenario(
        tmp_path,
        """
        controllers: ["ops/counter.py:Counter"]
        invariants: ["ops/counter.py:CountBelowThree"]
        budget: {steps: 20, examples: 20}
        """,
    )
    result = kmodel.check(path)
    assert result.trace is not None and result.trace.violation.invariant == "CountBelowThree"
    assert "counted to 3" in result.trace.violation.message
    assert kmodel.replay(result.trace).reproduced


def test_modules_do_not_stay_in_sys_modules(tmp_path: Path) -> None:
    kmodel.load_scenario(write_scenario(tmp_path, 'controllers: ["ops/counter.py:Counter"]'))
    assert not [m for m in sys.modules if m.startswith("kmodel_user_")]


def test_module_references_resolve_from_the_scenario_directory_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_scenario(tmp_path, 'controllers: ["ops.counter:Counter"]')  # dotted form
    monkeypatch.chdir(ROOT)
    assert "counter" in kmodel.load_scenario(path).model().component_names


# -- bad input: one line, with the field path -----------------------------------------------


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('controllers: ["ops/missing.py:Counter"]', "spec.controllers[0]: module 'ops/missing.py' not found"),
        ('controllers: ["ops/counter.py:Nope"]', "spec.controllers[0]: module 'ops/counter.py' has no 'Nope'"),
        ('controllers: ["ops/counter.py"]', "spec.controllers[0]: expected 'MODULE:NAME'"),
        ('controllers: ["ops/counter.py:count_below_three"]', "is not a kmodel.Controller subclass"),
        ('controllers: [{controller: "ops/counter.py:Counter", replicas: 2}]', "spec.controllers[0].replicas"),
        ('controllers: [{controller: "ops/counter.py:Counter", replica: 1}]', "spec.controllers[0].replica: unknown"),
        ('controllers: ["ops/counter.py:Counter", "ops/counter.py:Counter"]', "two controllers are named"),
        ('controllers: ["ops/counter.py:Counter"]\ninvariants: ["ops/counter.py:Counter"]', "spec.invariants[0]"),
        ('controllers: ["ops/counter.py:Counter"]\ninvariants: ["NoSuch"]', "unknown invariant 'NoSuch'"),
        (
            'controllers: ["ops/counter.py:Counter"]\nuser: [{op: recreate, target: ReplicaSet/web}]',
            "spec.user[0].target: recreate targets",
        ),
    ],
)
def test_bad_references_are_one_line_errors(tmp_path: Path, extra: str, expected: str) -> None:
    msg = bad(tmp_path, extra)
    assert msg.startswith(str(tmp_path / "widgets.yaml"))
    assert expected in msg


def test_replicas_above_one_names_leader_election(tmp_path: Path) -> None:
    msg = bad(tmp_path, 'controllers: [{controller: "ops/counter.py:Counter", replicas: 3}]')
    assert "only 1 is supported" in msg and "leader election" in msg


def test_broken_modules_are_one_line_errors(tmp_path: Path) -> None:
    assert "ZeroDivisionError" in bad(tmp_path, 'controllers: ["ops/counter.py:Counter"]', "1/0\n")
    assert "SyntaxError" in bad(tmp_path, 'controllers: ["ops/counter.py:Counter"]', "def (:\n")
    nameless = COUNTER.replace('name = "counter"', 'name = "Bad Name"')
    assert "name must be lowercase" in bad(tmp_path, 'controllers: ["ops/counter.py:Counter"]', nameless)
    owns_pod = COUNTER.replace('owns = ("Widget",)', 'owns = ("Widget", "Pod")')
    assert "models itself" in bad(tmp_path, 'controllers: ["ops/counter.py:Counter"]', owns_pod)
    clash = COUNTER.replace('name = "counter"', 'name = "scheduler"')
    assert "taken by a built-in" in bad(tmp_path, 'controllers: ["ops/counter.py:Counter"]', clash)


def test_unowned_custom_kind_is_still_unknown(tmp_path: Path) -> None:
    msg = bad(tmp_path, "faults: {}")  # a Widget, but no controller owns it
    assert "spec.objects[0].kind: unknown kind 'Widget'" in msg
    owned_bad = "[{apiVersion: example.com/v1, kind: Widget, metadata: {name: w}, data: {}}]"
    msg = bad(tmp_path, 'controllers: ["ops/counter.py:Counter"]', objects=owned_bad)
    assert "spec.objects[0].data: unknown field" in msg


def test_cli_bad_module_exits_2_without_traceback(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, 'controllers: ["ops/counter.py:Counter"]', "raise RuntimeError('boom')\n")
    proc = run_cli("check", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert "spec.controllers[0]: importing module 'ops/counter.py' failed: RuntimeError: boom" in proc.stderr


def test_user_code_failing_mid_run_is_one_line_exit_2(tmp_path: Path) -> None:
    crashing = COUNTER.replace(
        "return [kmodel.update",
        "assert not [w for w in view.list('Widget') if w.spec['count']]\n        return [kmodel.update",
    )
    path = write_scenario(
        tmp_path, 'controllers: ["ops/counter.py:Counter"]\nbudget: {steps: 10, examples: 5}', crashing
    )
    proc = run_cli("check", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "controller counter: reconcile() raised AssertionError" in proc.stderr
    assert f"{tmp_path / 'ops' / 'counter.py'}:" in proc.stderr  # where, in the user's file
    wrong = COUNTER.replace("return [kmodel.update(", "return [(")
    with pytest.raises(UserCodeError, match=r"not a kmodel\.create/update/update_status/delete request"):
        kmodel.check(write_scenario(tmp_path, 'controllers: ["ops/counter.py:Counter"]', wrong))


# -- determinism -----------------------------------------------------------------------------


def test_same_seed_same_trace() -> None:
    a = kmodel.check(BY_NAME, seed=0)
    b = kmodel.check(BY_NAME, seed=0)
    assert a.trace is not None and b.trace is not None
    assert a.trace.to_data() == b.trace.to_data()


# -- the example through the CLI --------------------------------------------------------------


def run_cli(*args: str, cwd: Path = ROOT, hashseed: str = "0") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hashseed, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "kmodel", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_example_verdicts_and_replay_from_elsewhere(tmp_path: Path) -> None:
    out = tmp_path / "out"
    found = run_cli("check", str(BY_NAME), "--out", str(out))
    assert found.returncode == 1, found.stderr
    assert "ReadyDatabaseHasSecret VIOLATED" in found.stdout
    (trace,) = (out / "traces").glob("*.yaml")
    again = run_cli("check", str(BY_NAME), "--out", str(tmp_path / "again"), hashseed="7")
    assert again.returncode == 1, again.stderr
    body = (tmp_path / "again" / "traces" / trace.name).read_text().split("\n", 2)[2]  # after the header
    assert body == trace.read_text().split("\n", 2)[2]
    held = run_cli("check", str(BY_UID), "--out", str(out), "--examples", "60")
    assert held.returncode == 0, held.stdout + held.stderr

    # The trace embeds the operator's source: it replays from another directory, moved, with
    # the original module gone.
    moved = tmp_path / "elsewhere" / trace.name
    moved.parent.mkdir()
    shutil.move(trace, moved)
    replayed = run_cli("replay", str(moved), cwd=tmp_path)
    assert replayed.returncode == 1, replayed.stderr
    assert "reproduced: ReadyDatabaseHasSecret" in replayed.stdout
    assert "delete Secret/default/db-credentials" in replayed.stdout


def test_trace_embeds_module_sources_and_replays_without_the_files(tmp_path: Path) -> None:
    copy = tmp_path / "proj"
    shutil.copytree(ROOT / "properties" / "operators", copy / "operators")
    (copy / "scenarios").mkdir()
    shutil.copy(BY_NAME, copy / "scenarios" / BY_NAME.name)
    result = kmodel.check(copy / "scenarios" / BY_NAME.name)
    assert result.trace is not None
    modules = result.trace.scenario["spec"]["modules"]
    assert list(modules) == ["../operators/dbcleanup.py"]
    assert "class DatabaseOperator(kmodel.Controller):" in modules["../operators/dbcleanup.py"]
    shutil.rmtree(copy)
    path = tmp_path / "t.yaml"
    kmodel.save_trace(result.trace, path)
    assert kmodel.replay(path).reproduced
