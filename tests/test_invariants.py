"""The built-in invariant declarations (``kmodel.k8s.invariants``): one ``Invariant`` per
invariant, and every lookup derived from them."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest

from kmodel.k8s import invariants
from kmodel.k8s import monitors as monitors_module
from kmodel.k8s.invariants import BUILTIN, Invariant, declare, monitors, select
from kmodel.k8s.monitors import HOOKS, FirstViolation, listens
from kmodel.k8s.state import ClusterConfig

# The order every report lists the built-in invariants in: changing it changes golden reports.
ORDER = [
    "NoOvercommit",
    "NoExcessReplicas",
    "ReplicasConverge",
    "DeploymentComplete",
    "NoDanglingOwnerReferences",
    "AtMostOnePodPerOrdinal",
    "StatefulSetConverges",
    "EndpointsConverge",
    "NoTrafficToDeadPods",
    "HPASettles",
    "AllPodsScheduled",
    "NodeGroupsScaleDown",
    "PDBHolds",
    "DrainCompletes",
    "SingleLeader",
    "FencedWrites",
    "LeaderEventuallyElected",
    "DaemonSetConverges",
    "JobCompletesAtMostCompletions",
    "JobCompletes",
    "CronJobForbidNeverOverlaps",
]


@attrs.frozen
class _Model:
    """The least a model must offer ``select`` (``invariants.ModelLike``)."""

    config: ClusterConfig
    processes: Mapping[str, Any] = attrs.field(factory=dict)


def test_registry_is_in_declaration_order() -> None:
    assert list(BUILTIN) == ORDER
    assert all(name == inv.name for name, inv in BUILTIN.items())


def test_select_defaults_to_what_applies() -> None:
    """By default: not the optional ones, and the conditional ones only where they apply."""
    plain = _Model(ClusterConfig(nodes=()))
    default = [p.name for p in select(plain, None)]
    optional = {n for n, inv in BUILTIN.items() if inv.optional}
    assert optional == {"NoTrafficToDeadPods", "NodeGroupsScaleDown"}
    leader = {"SingleLeader", "FencedWrites", "LeaderEventuallyElected"}
    jobs = {"JobCompletesAtMostCompletions", "JobCompletes", "CronJobForbidNeverOverlaps"}
    conditional = {"HPASettles", "AllPodsScheduled", "DaemonSetConverges", *leader, *jobs}
    assert default == [n for n in ORDER if n not in optional | conditional]
    ha = [p.name for p in select(attrs.evolve(plain, processes={"kcm-1": object()}), None)]
    assert ha == [n for n in ORDER if n not in optional | (conditional - leader)]
    named = select(plain, ("NodeGroupsScaleDown", "NoExcessReplicas"))
    assert [p.name for p in named] == ["NodeGroupsScaleDown", "NoExcessReplicas"]
    assert named[1].check.__name__ == "monitored_NoExcessReplicas"  # its monitor's verdict


def test_hooks_are_derived_from_the_declarations() -> None:
    names = [*ORDER, "SomeUserInvariant"]  # a name not built in has no hooks
    observed = ["NoExcessReplicas", "PDBHolds", "SingleLeader", "FencedWrites"]  # stateless observers
    found = monitors(names)
    assert [n for n, _ in found] == [
        "NoExcessReplicas",
        "NoTrafficToDeadPods",
        "HPASettles",
        *observed[1:],
        "JobCompletesAtMostCompletions",
    ]
    hooks = {n: tuple(h for h in HOOKS if listens(m, h)) for n, m in found}
    assert hooks == {
        **{n: ("on_request",) for n in observed},
        "JobCompletesAtMostCompletions": ("on_request",),
        "NoTrafficToDeadPods": ("on_event",),
        "HPASettles": ("on_request", "blocks_settle"),
    }
    assert all(isinstance(m, FirstViolation) for n, m in found if n in observed)
    assert invariants.caveat_faults("NoExcessReplicas") == ("staleRelist", "requestLoss")
    assert invariants.caveat_faults("SomeUserInvariant") == ()
    assert invariants.describe("ReplicasConverge") == BUILTIN["ReplicasConverge"].text


def test_no_monitor_reads_a_positional_request_tag() -> None:
    """Controllers announce typed intents (``CreateIntent``, ``ScaleIntent``); no monitor (nor
    the observer a ``FirstViolation`` wraps) unpacks ``req.tag`` as a tuple."""
    import inspect

    for name, monitor in monitors(ORDER):
        hook = monitor.observe if isinstance(monitor, FirstViolation) else type(monitor)
        tree = ast.parse(inspect.getsource(hook).strip())
        subscripted = [
            ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Subscript) and "tag" in ast.unparse(n.value)
        ]
        assert subscripted == [], name


def _holds(state: Any) -> str | None:
    return None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "sometimes", "check": _holds}, "kind must be"),
        ({"kind": "always"}, "no check, factory or monitor"),
        ({"kind": "always", "check": _holds, "factory": lambda model: _holds}, "not check and factory"),
        ({"kind": "always", "check": _holds, "monitor": FirstViolation(lambda *_: None)}, "not check and monitor"),
    ],
)
def test_a_bad_declaration_is_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Invariant(name="Bad", text="bad", **fields)


def test_a_name_is_declared_once() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        declare(Invariant(name="NoOvercommit", kind="always", text="again", check=_holds))
    assert BUILTIN["NoOvercommit"].check is invariants.no_overcommit


def test_invariants_does_not_import_the_cluster_model() -> None:
    """Not even for type checking: ``ModelLike`` and ``kmodel.k8s.state`` name what it reads."""
    tree = ast.parse(Path(invariants.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m and m.startswith("kmodel.k8s.cluster") for m in imported), imported


def test_flap_history_revision_is_renumbered_with_the_load() -> None:
    """HPASettles' memory is a typed record whose load revision the explorer's abstraction
    renumbers with the WorkloadLoad it names, so "same load" means the same in an abstract state
    as in the concrete one (as a string it kept the raw revision while the load's was renumbered)."""
    import yaml

    from kmodel.core.run import settle_steps
    from kmodel.k8s.explore_view import ExploreView
    from kmodel.k8s.invariants import FlapRecord
    from kmodel.scenario import scenario_from_data

    path = Path(__file__).resolve().parents[1] / "properties" / "scenarios" / "hpa-oscillation.yaml"
    data = yaml.safe_load(path.read_text())
    data["spec"]["start"] = "applied"
    model = ExploreView(scenario_from_data(data, str(path)).model())
    seen = 0
    for _, state in settle_steps(model, model.initial()):
        record = state.monitor.get("HPASettles")
        slots = list(record.last.items()) if isinstance(record, FlapRecord) else []
        if not slots:
            continue
        loads = {o.meta.name: o.meta.resource_version for o in state.store.list("WorkloadLoad")}
        abstract = model.abstract(state)
        abstract_loads = {o.meta.name: o.meta.resource_version for o in abstract.store.list("WorkloadLoad")}
        for key, history in slots:
            (name,) = loads  # one workload, one load
            renumbered = abstract.monitor["HPASettles"].last[key]
            assert (history.load_rv == loads[name]) == (renumbered.load_rv == abstract_loads[name])
            seen += 1
    assert seen > 0, "the two HPAs write a flap history before the violation"


def test_steps_name_no_invariant() -> None:
    """Steps announce what happened (``kmodel.k8s.monitors.ServiceRequest``); only monitors
    decide what violates an invariant, so no step module names one."""
    steps = Path(invariants.__file__).parent / "steps"
    for path in sorted(steps.glob("*.py")):
        text = path.read_text()
        named = [n for n in BUILTIN if n in text]
        assert named == [], f"{path.name} names {named}"


@attrs.frozen
class _Seen:
    """A test monitor's record: the creates it saw, and whether it has seen enough."""

    creates: tuple[str, ...] = ()
    done: bool = False


class _CountCreates(monitors_module.InvariantMonitor[_Seen]):
    """Every hook of a monitor, exercised: starts with a record, counts pod creates, fails at 2."""

    def initial(self, config: ClusterConfig) -> _Seen | None:
        return _Seen()

    def on_request(self, record: _Seen | None, before: Any, req: Any, res: Any, who: str) -> _Seen | None:
        if record is None or record.done or req.verb != "create" or req.key[0] != "Pod" or not res.ok:
            return record
        creates = (*record.creates, who)
        return _Seen(creates, len(creates) >= 2)

    def verdict(self, record: _Seen | None, state: Any) -> str | None:
        return f"{len(record.creates)} pod creates" if record is not None and record.done else None

    def blocks_settle(self, record: _Seen | None) -> bool:
        return record is not None and record.done


def test_a_monitor_keeps_its_record_in_the_state_and_may_stop_the_settle_phase(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kmodel.k8s.cluster import ClusterModel
    from kmodel.scenario import load_scenario

    inv = Invariant(name="TwoCreates", kind="eventually", text="test", monitor=_CountCreates())
    monkeypatch.setitem(invariants._DECLARED, inv.name, inv)
    config = attrs.evolve(load_scenario(None).config, invariants=("TwoCreates",), start="applied")
    model = ClusterModel(config)
    start = model.initial()
    assert dict(start.monitor) == {"TwoCreates": _Seen()}  # initial(config), before any step
    assert model.system_actions(start) and model.time_action(start) is not None
    state = start
    for _ in range(200):
        if model.wiring.never_settles(state):
            break
        actions = model.system_actions(state)
        state = next((s for a in actions if (s := model.step(state, a)) is not None), state)
        if state is start:
            break
    record = state.monitor["TwoCreates"]
    assert record.done and record.creates == ("replicaset-controller",) * 2
    assert model.system_actions(state) == [] and model.time_action(state) is None  # blocks_settle
    (prop,) = model.properties()
    assert prop.check(state) == "2 pod creates" and prop.check(start) is None
    assert any(a.op == "deliver" for a in model.actions(state))  # only the settle phase stops
