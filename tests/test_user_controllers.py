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

import attrs
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
        ('controllers: [{controller: "ops/counter.py:Counter", replicas: 4}]', "spec.controllers[0].replicas"),
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


def test_bad_replicas_name_the_field(tmp_path: Path) -> None:
    entry = 'controllers: [{controller: "ops/counter.py:Counter", replicas: %s}]'
    for value, why in (("4", "must be ≤ 3, got 4"), ("0", "must be ≥ 1, got 0"), ('"2"', "expected an integer")):
        assert f"spec.controllers[0].replicas: {why}" in bad(tmp_path, entry % value)
    for value in ("0", "5", "True", "'2'"):  # the class attribute: named at the entry
        module = COUNTER.replace('name = "counter"', f'name = "counter"\n    replicas = {value}')
        msg = bad(tmp_path, 'controllers: ["ops/counter.py:Counter"]', module)
        assert "spec.controllers[0]: ops/counter.py:Counter: replicas must be an integer from 1 to 3" in msg
    pause = 'controllers: ["ops/counter.py:Counter"]\nfaults: {processPause: 1}'
    assert "spec.faults.processPause: pauses HA replicas" in bad(tmp_path, pause)
    builtin = COUNTER.replace('name = "counter"', 'name = "kube-scheduler"')
    msg = bad(tmp_path, entry % "2", builtin)
    assert "spec.controllers[0]: controller 'kube-scheduler' with 2 replicas would share the built-in Lease" in msg
    twin = COUNTER + '\nclass Counter1(Counter):\n    name = "counter-1"\n'
    both = 'controllers: [{controller: "ops/counter.py:Counter", replicas: 2}, "ops/counter.py:Counter1"]'
    assert "spec.controllers[1]: controller name 'counter-1' is the name of a replica process" in bad(
        tmp_path, both, twin
    )
    ha_cm = 'controllers: ["ops/counter.py:Counter"]\ncontrolPlane: {replicas: {kube-controller-manager: 2}}'
    clash = COUNTER.replace('name = "counter"', 'name = "kube-controller-manager-1"')
    assert "spec.controllers[0]: controller name 'kube-controller-manager-1' is taken" in bad(tmp_path, ha_cm, clash)


def test_broken_modules_are_one_line_errors(tmp_path: Path) -> None:
    assert "ZeroDivisionError" in bad(tmp_path, 'controllers: ["ops/counter.py:Counter"]', "1/0\n")
    assert "SyntaxError" in bad(tmp_path, 'controllers: ["ops/counter.py:Counter"]', "def (:\n")
    nameless = COUNTER.replace('name = "counter"', 'name = "Bad Name"')
    assert "name must be lowercase" in bad(tmp_path, 'controllers: ["ops/counter.py:Counter"]', nameless)
    owns_pod = COUNTER.replace('owns = ("Widget",)', 'owns = ("Widget", "Pod")')
    assert "models itself" in bad(tmp_path, 'controllers: ["ops/counter.py:Counter"]', owns_pod)
    clash = COUNTER.replace('name = "counter"', 'name = "scheduler"')
    assert "taken by a built-in" in bad(tmp_path, 'controllers: ["ops/counter.py:Counter"]', clash)


def test_unowned_custom_kind_is_inert(tmp_path: Path) -> None:
    """A Widget no controller owns and no CRD defines loads as an inert object (a cluster with its
    CRD installed takes it); owned, its fields are the controller's and checked."""
    sc = kmodel.load_scenario(write_scenario(tmp_path, "faults: {}"))
    assert [o.kind for o in sc.config.objects if getattr(o, "kind", "") == "Widget"] == ["Widget"]
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


# -- replicas: N under leader election (kmodel.k8s.leaderelection) ---------------------------

SPLIT = ROOT / "properties" / "scenarios" / "op-ha-split-brain.yaml"
FENCED = ROOT / "properties" / "scenarios" / "op-ha-fenced.yaml"


def test_replicas_are_leader_elected_processes_with_their_own_lease() -> None:
    model = kmodel.load_scenario(SPLIT).model()
    assert [n for n in model.component_names if n.startswith("db-operator")] == [
        "db-operator-1/elector",
        "db-operator-1/db-operator",
        "db-operator-2/elector",
        "db-operator-2/db-operator",
    ]
    assert sorted(model.processes) == ["db-operator-1", "db-operator-2"]
    assert model.processes["db-operator-2"].group == "db-operator"
    state = model.initial()  # settled: one replica leads, the other stands by with its operator stopped
    lease = state.store.get(("Lease", "kube-system", "db-operator"))
    assert lease.holder_identity == "db-operator-1_0"
    assert state.components["db-operator-1/db-operator"].up and not state.components["db-operator-2/db-operator"].up
    assert state.store.get(("Secret", "default", "db-credentials")) is not None  # the leader provisioned it
    pause = next(s for s in model.action_space() if s.op == "pause")
    assert dict(pause.params)["process"] == ("db-operator-1", "db-operator-2")
    assert {p.name for p in model.properties()} >= {"SingleLeader", "ReadyDatabaseHasSecret"}


def test_replicas_class_attribute_clock_skew_and_pause_apply_per_process(tmp_path: Path) -> None:
    module = COUNTER.replace('name = "counter"', 'name = "counter"\n    replicas = 2')
    extra = 'controllers: ["ops/counter.py:Counter"]\nfaults: {clockSkew: 5, processPause: 1}'
    path = write_scenario(tmp_path, extra, module)
    model = kmodel.load_scenario(path).model()
    assert sorted(model.processes) == ["counter-1", "counter-2"]
    skew = next(s for s in model.action_space() if s.op == "skew_clock")
    clocks = dict(skew.params)["component"]
    assert "counter-1" in clocks and "counter-2" in clocks and "counter-1/counter" not in clocks
    state = model.initial()
    skewed = model.step(state, Action.of("skew_clock", component="counter-2", offset=5))
    assert skewed is not None
    assert skewed.offsets.get("counter-2/elector") == 5 and skewed.offsets.get("counter-2/counter") == 5
    # the scenario's entry overrides the class attribute: one replica, the plain component
    one = write_scenario(tmp_path, 'controllers: [{controller: "ops/counter.py:Counter", replicas: 1}]', module)
    assert "counter" in kmodel.load_scenario(one).model().component_names


def test_user_controller_is_its_own_group_beside_ha_kube_controller_manager(tmp_path: Path) -> None:
    path = write_scenario(
        tmp_path, 'controllers: ["ops/counter.py:Counter"]\ncontrolPlane: {replicas: {kube-controller-manager: 2}}'
    )
    model = kmodel.load_scenario(path).model()
    assert "counter" in model.component_names  # one replica: not copied into the kcm processes
    assert not any(n.endswith("/counter") for n in model.component_names)
    assert sorted(model.processes) == ["kube-controller-manager-1", "kube-controller-manager-2"]


def test_one_replica_keeps_todays_behaviour_byte_for_byte(tmp_path: Path) -> None:
    (tmp_path / "scenarios").mkdir()
    shutil.copytree(OPERATORS, tmp_path / "operators")
    text = BY_NAME.read_text()
    plain = '["../operators/dbcleanup.py:DatabaseOperator"]'
    assert plain in text
    explicit = tmp_path / "scenarios" / BY_NAME.name
    entry = '[{controller: "../operators/dbcleanup.py:DatabaseOperator", replicas: 1}]'
    explicit.write_text(text.replace(plain, entry))
    a, b = kmodel.check(BY_NAME, seed=0), kmodel.check(explicit, seed=0)
    assert a.trace is not None and b.trace is not None
    assert a.trace.steps == b.trace.steps and a.trace.violation == b.trace.violation
    model = kmodel.load_scenario(explicit).model()
    assert model.processes == {} and "db-operator" in model.component_names
    assert not any("/elector" in n for n in model.component_names)
    assert kmodel.replay(b.trace).rows == kmodel.replay(a.trace).rows


def test_split_brain_verdicts_and_fencing_rejects_the_stale_delete() -> None:
    found = kmodel.check(SPLIT, seed=0)
    assert found.trace is not None and found.trace.violation.invariant == "SingleLeader"
    assert "db-operator-1/db-operator: delete Secret/default/db-credentials landed while db-operator-2_0" in (
        found.trace.violation.message
    )
    assert kmodel.replay(found.trace).reproduced
    # The same split brain breaks the operator's own invariant.
    scenario = kmodel.load_scenario(SPLIT)
    user_only = attrs.evolve(scenario, config=attrs.evolve(scenario.config, invariants=()))
    broken = kmodel.check(user_only, seed=0)
    assert broken.trace is not None and broken.trace.violation.invariant == "ReadyDatabaseHasSecret"
    # The found steps on the fenced variant: the resumed old leader's delete is rejected.
    model = kmodel.load_scenario(FENCED).model()
    state, log = model.initial(), []
    for action in found.trace.steps:
        nxt = model.step(state, action, log)
        state = state if nxt is None else nxt
        assert all(p.check(state) is None for p in model.properties() if p.kind == "always")
    assert any("delete Secret/default/db-credentials → Conflict: fenced" in line for line in log)
    assert state.store.get(("Secret", "default", "db-credentials")) is not None


def test_fenced_variant_holds() -> None:
    result = kmodel.check(FENCED, seed=0, examples=100)
    assert result.trace is None


# -- sibling modules: an operator module may import the files beside it ----------------------

SIBLING_MAIN = """
import kmodel
from limits import LIMIT
from . import naming


class Counter(kmodel.Controller):
    name, watches, owns = naming.NAME, ("Widget",), ("Widget",)

    def reconcile(self, view):
        return [kmodel.update(w.evolve(spec={"count": w.spec["count"] + 1}))
                for w in view.list("Widget") if w.spec["count"] < LIMIT]


@kmodel.invariant(kind="always")
def count_below_three(cluster):
    for w in cluster.list("Widget"):
        if w.spec["count"] >= 3:
            return f"{w.meta.name} counted to {w.spec['count']}"
    return None
"""


def test_a_module_imports_its_siblings_and_traces_embed_them(tmp_path: Path) -> None:
    path = write_scenario(
        tmp_path,
        'controllers: ["ops/counter.py:Counter"]\ninvariants: ["ops/counter.py:CountBelowThree"]',
        module=SIBLING_MAIN,
    )
    (tmp_path / "ops" / "limits.py").write_text("LIMIT = 5\n")
    (tmp_path / "ops" / "naming.py").write_text('NAME = "counter"\n')
    result = kmodel.check(path)
    assert "limits" not in sys.modules and "naming" not in sys.modules
    assert result.trace is not None and result.trace.violation.invariant == "CountBelowThree"
    modules = result.trace.scenario["spec"]["modules"]
    assert sorted(modules) == ["ops/counter.py", "ops/limits.py", "ops/naming.py"]
    shutil.rmtree(tmp_path / "ops")  # the trace replays from the sources it embeds
    trace_file = tmp_path / "t.yaml"
    kmodel.save_trace(result.trace, trace_file)
    assert kmodel.replay(trace_file).reproduced


def test_a_changed_sibling_is_loaded_again(tmp_path: Path) -> None:
    path = write_scenario(
        tmp_path,
        'controllers: ["ops/counter.py:Counter"]\ninvariants: ["ops/counter.py:CountBelowThree"]',
        module=SIBLING_MAIN,
    )
    (tmp_path / "ops" / "naming.py").write_text('NAME = "counter"\n')
    (tmp_path / "ops" / "limits.py").write_text("LIMIT = 5\n")
    assert kmodel.check(path).trace is not None
    (tmp_path / "ops" / "limits.py").write_text("LIMIT = 2\n")  # the fix is in the sibling
    assert kmodel.check(path).held


def test_a_missing_sibling_is_a_one_line_error(tmp_path: Path) -> None:
    msg = bad(tmp_path, 'controllers: ["ops/counter.py:Counter"]', module="import no_such_helper\n")
    assert "spec.controllers[0]: importing module 'ops/counter.py' failed: ModuleNotFoundError" in msg
