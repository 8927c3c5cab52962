"""Unconditional updates (``kmodel.update(obj, precondition=False)``) and the lost-update
example (properties/operators/lostupdate.py, scenarios op-lost-update / op-lost-update-rv)."""

from __future__ import annotations

from pathlib import Path

import pytest

import kmodel
from kmodel.k8s.objects import GenericObject, ObjectMeta, thaw
from kmodel.k8s.store import APIConfig, Request, Store
from kmodel.scenario import scenario_from_data

ROOT = Path(__file__).resolve().parents[1]
LOST = ROOT / "properties" / "scenarios" / "op-lost-update.yaml"
OPERATORS = ROOT / "properties" / "operators"
KEPT = ROOT / "properties" / "scenarios" / "op-lost-update-rv.yaml"
API = APIConfig()


def _stored(kind: str, api_version: str = "v1") -> tuple[Store, GenericObject]:
    obj = GenericObject(api_version, kind, ObjectMeta("x", "default"), {"data": {"v": "1"}})
    store, res = Store().apply(Request("create", obj.key, obj), 0, API)
    assert res.ok
    return store, res.obj


def test_update_without_precondition_sends_no_resource_version() -> None:
    meta = ObjectMeta("cm", "default", uid="uid-1", resource_version=7)
    cm = GenericObject("v1", "ConfigMap", meta, {"data": {"v": "1"}})
    assert kmodel.update(cm).precondition_rv == 7
    assert kmodel.update(cm, precondition=False).precondition_rv is None
    assert kmodel.update_status(cm, precondition=False).precondition_rv is None


def test_unconditional_update_of_a_configmap_overwrites_a_newer_write() -> None:
    store, read = _stored("ConfigMap")
    newer = read.evolve(spec={"data": {"v": "2"}})
    store, res = store.apply(kmodel.update(newer), 1, API)
    assert res.ok
    stale = read.evolve(labels={"team": "a"})  # built from the first read: data.v is "1"
    _, conflict = store.apply(kmodel.update(stale), 1, API)
    assert (conflict.ok, conflict.reason) == (False, "Conflict")
    store, res = store.apply(kmodel.update(stale, precondition=False), 1, API)
    assert res.ok
    assert thaw(store.get(read.key).spec) == {"data": {"v": "1"}}  # the newer write is lost


def test_unconditional_update_of_a_custom_resource_is_invalid() -> None:
    """customresource strategy.go: AllowUnconditionalUpdate is false."""
    store, read = _stored("Widget", "example.com/v1")
    after, res = store.apply(kmodel.update(read.evolve(spec={"n": 2}), precondition=False), 1, API)
    assert (res.ok, res.reason) == (False, "Invalid")
    assert "resourceVersion" in res.message and after is store


def _scenario(objects: list[dict[str, object]]) -> dict[str, object]:
    return {
        "apiVersion": "kmodel/v1",
        "kind": "Scenario",
        "metadata": {"name": "cm"},
        "spec": {
            "nodes": [{"name": "node-1", "capacity": {"cpu": "1", "memory": "1Gi"}}],
            "controllers": ["lostupdate.py:LabelerRV"],
            "objects": objects,
        },
    }


def test_configmap_top_level_data_is_parsed_into_spec_data() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}}
    model = scenario_from_data(_scenario([cm]), "s.yaml", OPERATORS).model()
    stored = model.initial().store.get(("ConfigMap", "default", "c"))
    assert thaw(stored.spec)["data"] == {"k": "v"}


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"data": {"k": "v"}, "spec": {"data": {}}}, "objects[0].data: given twice"),
        ({"data": ["k"]}, "objects[0].data: expected a mapping"),
    ],
)
def test_bad_configmap_data_names_the_field(obj: dict[str, object], expected: str) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, **obj}
    with pytest.raises(kmodel.InputError) as err:
        scenario_from_data(_scenario([cm]), "s.yaml", OPERATORS)
    assert expected in str(err.value) and "s.yaml" in str(err.value)


def test_lost_update_is_found_and_the_precondition_keeps_it() -> None:
    lost = kmodel.check(LOST, seed=0)
    assert lost.trace is not None and lost.trace.violation.invariant == "AppliedConfigKept"
    assert kmodel.replay(lost.trace).reproduced
    kept = kmodel.check(KEPT, seed=0, examples=60)
    assert kept.held
