"""The replication manager: a ReplicationController runs the ReplicaSet controller's code path.

Upstream (Kubernetes 1.34): ``pkg/controller/replication/replication_controller.go:
NewReplicationManager`` is ``replicaset.NewBaseController`` with the GroupVersionKind
``v1 ReplicationController``, its own queue and expectations; ``conversion.go`` turns the RC's map
selector into ``matchLabels``. Defaults: ``pkg/apis/core/v1/defaults.go:
SetDefaults_ReplicationController`` (selector and labels from the template, replicas 1).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kmodel.core.run import settle
from kmodel.errors import InputError
from kmodel.k8s.cluster import ClusterModel
from kmodel.k8s.controllers.replicaset import NAME as RS
from kmodel.k8s.controllers.replicaset import RC_NAME
from kmodel.k8s.invariants import replicas_converge
from kmodel.k8s.objects import Pod, ReplicationController
from kmodel.manifests import parse_object
from kmodel.scenario import scenario_from_data

GUESTBOOK: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "ReplicationController",
    "metadata": {"name": "guestbook"},
    "spec": {
        "replicas": 3,
        "template": {
            "metadata": {"labels": {"app": "guestbook"}},
            "spec": {"containers": [{"name": "guestbook", "image": "registry.k8s.io/guestbook:v3"}]},
        },
    },
}


def model(*objects: dict[str, Any]) -> ClusterModel:
    data = {
        "apiVersion": "kmodel/v1",
        "kind": "Scenario",
        "metadata": {"name": "t"},
        "spec": {
            "nodes": [{"name": "node-1", "capacity": {"cpu": "8", "memory": "8Gi", "pods": 110}}],
            "objects": list(objects),
            "start": "applied",
        },
    }
    return scenario_from_data(data, "test").model()


def test_defaults_take_the_selector_and_labels_from_the_template() -> None:
    rc = parse_object(copy.deepcopy(GUESTBOOK))
    assert isinstance(rc, ReplicationController)
    assert rc.spec.selector.match_labels == (("app", "guestbook"),)
    assert dict(rc.meta.labels) == {"app": "guestbook"}
    assert rc.spec.replicas == 3
    doc = copy.deepcopy(GUESTBOOK)
    del doc["spec"]["replicas"]
    assert parse_object(doc).spec.replicas == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["spec"].pop("template"), "spec.template: is required"),
        (lambda d: d["spec"]["template"]["metadata"].pop("labels"), "spec.selector: must not be empty"),
        (lambda d: d["spec"].update(selector={"app": "other"}), "do not match the selector"),
        (lambda d: d["spec"]["template"]["spec"].update(restartPolicy="Never"), "restartPolicy Always"),
        (lambda d: d.update(apiVersion="apps/v1"), "ReplicationController is served as 'v1'"),
    ],
)
def test_invalid_controllers_are_refused_with_the_field(change: Any, message: str) -> None:
    doc = copy.deepcopy(GUESTBOOK)
    change(doc)
    with pytest.raises(InputError, match=message):
        parse_object(doc)


def test_the_replication_manager_creates_pods_owned_by_the_controller() -> None:
    m = model(copy.deepcopy(GUESTBOOK))
    assert RC_NAME in m.wiring.components
    outcome = settle(m, m.initial())
    assert outcome.failure is None
    state = outcome.state
    pods: list[Pod] = state.store.list("Pod")
    assert len(pods) == 3
    for p in pods:
        ref = p.meta.controller_ref()
        assert ref is not None and (ref.api_version, ref.kind, ref.name) == ("v1", "ReplicationController", "guestbook")
        assert p.meta.generate_name == "guestbook-"
    rc = state.store.get(("ReplicationController", "default", "guestbook"))
    assert rc.status.replicas == 3 and rc.status.ready_replicas == 3
    assert replicas_converge(state) is None


def test_each_controller_manages_only_its_own_kind() -> None:
    """A ReplicaSet and a ReplicationController selecting the same labels: each keeps its own
    replicas, and neither adopts the other's pods (they carry a controllerRef)."""
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "guestbook"}},
            "template": copy.deepcopy(GUESTBOOK["spec"]["template"]),
        },
    }
    m = model(copy.deepcopy(GUESTBOOK), rs)
    assert {RS, RC_NAME} <= set(m.wiring.components)
    outcome = settle(m, m.initial())
    assert outcome.failure is None
    kinds = sorted(p.meta.controller_ref().kind for p in outcome.state.store.list("Pod"))
    assert kinds == ["ReplicaSet"] * 2 + ["ReplicationController"] * 3


def test_replicas_converge_names_a_short_replication_controller() -> None:
    doc = copy.deepcopy(GUESTBOOK)
    doc["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "3"}}
    m = model(doc)
    outcome = settle(m, m.initial(), check_safety=False)
    message = replicas_converge(outcome.state)
    assert message is not None and message.startswith("ReplicationController default/guestbook: 2/3 ready")


def test_scenarios_without_a_replication_controller_have_no_replication_manager() -> None:
    rs = {**copy.deepcopy(GUESTBOOK), "apiVersion": "apps/v1", "kind": "ReplicaSet"}
    rs["spec"]["selector"] = {"matchLabels": {"app": "guestbook"}}
    assert RC_NAME not in model(rs).wiring.components
