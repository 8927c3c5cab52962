"""Manifests → API objects: upstream defaults, ignored unknown fields, precise error locations."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from kmodel.core.fmap import FMap
from kmodel.errors import InputError
from kmodel.k8s.objects import Node, Pod, ReplicaSet
from kmodel.manifests import parse_documents


def pod_doc(**spec_extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec_extra},
    }


def rs_doc() -> dict[str, Any]:
    return yaml.safe_load(
        """
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web, labels: {app: web}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx
          resources: {requests: {cpu: 500m, memory: 256Mi}}
"""
    )


def parse_one(doc: Any) -> Any:
    (obj,) = parse_documents([doc], "app.yaml")
    return obj


def error_of(docs: list[Any], label: str = "app.yaml") -> str:
    with pytest.raises(InputError) as info:
        parse_documents(docs, label)
    return str(info.value)


# -- defaults ----------------------------------------------------------------------------------


def test_pod_defaults() -> None:
    pod = parse_one(pod_doc())
    assert isinstance(pod, Pod)
    assert pod.meta.namespace == "default"
    assert pod.spec.termination_grace_period_seconds == 30
    assert pod.spec.restart_policy == "Always"
    assert pod.spec.scheduler_name == "default-scheduler"
    assert pod.spec.node_name == ""
    assert pod.spec.containers[0].requests == FMap()
    assert pod.key == ("Pod", "default", "p")


def test_replicaset_defaults_and_values() -> None:
    rs = parse_one(rs_doc())
    assert isinstance(rs, ReplicaSet)
    assert rs.spec.replicas == 1
    assert rs.spec.min_ready_seconds == 0
    assert rs.meta.namespace == "default"
    assert rs.meta.labels == FMap({"app": "web"})
    assert rs.spec.template.labels == FMap({"app": "web"})
    assert rs.spec.template.spec.containers[0].requests == FMap({"cpu": 500, "memory": 256 * 2**20})
    assert rs.spec.template.spec.termination_grace_period_seconds == 30


def test_explicit_values_kept() -> None:
    doc = pod_doc(restartPolicy="Never", terminationGracePeriodSeconds=0, nodeName="n1", schedulerName="mine")
    doc["metadata"]["namespace"] = "prod"
    pod = parse_one(doc)
    assert pod.meta.namespace == "prod"
    assert pod.spec.restart_policy == "Never"
    assert pod.spec.termination_grace_period_seconds == 0
    assert pod.spec.node_name == "n1"
    assert pod.spec.scheduler_name == "mine"


def test_requests_default_from_limits() -> None:
    doc = pod_doc()
    doc["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "250m"}}
    pod = parse_one(doc)
    # cpu request given; memory request defaults to its limit (SetDefaults_Pod).
    assert pod.spec.containers[0].requests == FMap({"cpu": 250, "memory": 2**30})


def test_request_above_limit_is_an_error() -> None:
    doc = pod_doc()
    doc["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "1"}, "requests": {"cpu": "2"}}
    msg = error_of([doc])
    assert "spec.containers[0].resources.requests" in msg
    assert "cpu request must be ≤ its limit" in msg


def test_toleration_operator_defaults_to_equal() -> None:
    pod = parse_one(pod_doc(tolerations=[{"key": "k", "value": "v", "effect": "NoSchedule"}]))
    (t,) = pod.spec.tolerations
    assert t.operator == "Equal"
    assert (t.key, t.value, t.effect, t.toleration_seconds) == ("k", "v", "NoSchedule", None)


def test_node_defaults() -> None:
    node = parse_one(
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": "n1", "namespace": "ignored", "labels": {"zone": "a"}},
            "status": {"capacity": {"cpu": "4", "memory": "8Gi"}},
        }
    )
    assert isinstance(node, Node)
    assert node.meta.namespace == ""
    assert node.status.capacity == FMap({"cpu": 4000, "memory": 8 * 2**30, "pods": 110})
    assert node.status.allocatable == node.status.capacity
    assert node.meta.labels["kubernetes.io/hostname"] == "n1"
    assert node.meta.labels["zone"] == "a"
    assert node.ready_status() == "True"


def test_unknown_fields_are_ignored() -> None:
    doc = pod_doc(hostNetwork=True, volumes=[{"name": "v"}])
    doc["metadata"]["uid"] = "from-the-manifest"
    doc["status"] = {"phase": "Running"}
    doc["spec"]["containers"][0]["ports"] = [{"containerPort": 80}]
    assert parse_one(doc) == parse_one(pod_doc())


def test_documents_parse_in_order() -> None:
    objs = parse_documents([pod_doc(), rs_doc()], "app.yaml")
    assert [o.KIND for o in objs] == ["Pod", "ReplicaSet"]


def test_input_is_not_mutated() -> None:
    doc = rs_doc()
    before = copy.deepcopy(doc)
    parse_documents([doc], "app.yaml")
    assert doc == before


def test_generate_name_accepted() -> None:
    doc = pod_doc()
    doc["metadata"] = {"generateName": "web-"}
    pod = parse_one(doc)
    assert pod.meta.name == ""
    assert pod.meta.generate_name == "web-"


def test_match_expressions() -> None:
    doc = rs_doc()
    doc["spec"]["selector"] = {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]}
    rs = parse_one(doc)
    assert rs.spec.selector.matches({"app": "api"})
    assert not rs.spec.selector.matches({"app": "db"})


# -- errors ------------------------------------------------------------------------------------


def test_bad_replicas_names_document_and_path() -> None:
    bad = rs_doc()
    bad["spec"]["replicas"] = "three"
    msg = error_of([pod_doc(), bad])
    assert msg == "app.yaml: document 2: spec.replicas: expected an integer, got the string 'three'"


def test_error_document_index_from_first_index() -> None:
    bad = rs_doc()
    bad["spec"]["replicas"] = "three"
    with pytest.raises(InputError) as info:
        parse_documents([bad], "x.yaml", first_index=4)
    assert info.value.document == 4
    assert info.value.file == "x.yaml"
    assert info.value.path == ("spec", "replicas")


@pytest.mark.parametrize(("value", "what"), [(True, "a boolean"), (1.5, "a number"), (-1, "must be ≥ 0")])
def test_bad_replicas_values(value: Any, what: str) -> None:
    bad = rs_doc()
    bad["spec"]["replicas"] = value
    msg = error_of([bad])
    assert "document 1: spec.replicas:" in msg
    assert what in msg


def test_unknown_kind_lists_supported() -> None:
    msg = error_of([{"apiVersion": "v1", "kind": "Frobnicator", "metadata": {"name": "x"}}])
    assert "document 1: kind:" in msg
    assert "unknown kind 'Frobnicator'" in msg
    for kind in ("Pod", "ReplicaSet", "Node"):
        assert kind in msg


@pytest.mark.parametrize("kind", ["EndpointSlice", "DaemonSet", "ConfigMap"])
def test_known_unmodelled_kind(kind: str) -> None:
    msg = error_of([pod_doc(), {"apiVersion": "v1", "kind": kind, "metadata": {"name": "x"}}])
    assert "document 2: kind:" in msg
    assert f"{kind} is not modelled" in msg


def test_wrong_api_version() -> None:
    doc = rs_doc()
    doc["apiVersion"] = "extensions/v1beta1"
    msg = error_of([doc])
    assert "apiVersion:" in msg and "'apps/v1'" in msg


def test_missing_kind() -> None:
    msg = error_of([{"apiVersion": "v1"}])
    assert msg == "app.yaml: document 1: kind: is required"


def test_document_not_a_mapping() -> None:
    msg = error_of([["a", "list"]])
    assert "document 1" in msg and "got a list" in msg


def test_selector_must_match_template_labels() -> None:
    doc = rs_doc()
    doc["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    msg = error_of([doc])
    assert "spec.template.metadata" in msg
    assert "do not match the selector" in msg


def test_empty_selector_is_an_error() -> None:
    doc = rs_doc()
    doc["spec"]["selector"] = {}
    msg = error_of([doc])
    assert "spec.selector" in msg and "must not be empty" in msg


def test_bad_quantity_path() -> None:
    doc = rs_doc()
    doc["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "5 cores"
    msg = error_of([doc])
    assert "document 1: spec.template.spec.containers[0].resources.requests.cpu:" in msg
    assert "'5 cores'" in msg


def test_bad_quantity_in_second_container_limits() -> None:
    doc = pod_doc()
    doc["spec"]["containers"].append({"name": "b", "resources": {"limits": {"memory": "lots"}}})
    msg = error_of([doc])
    assert "spec.containers[1].resources.limits.memory:" in msg


def test_boolean_quantity_rejected() -> None:
    doc = pod_doc()
    doc["spec"]["containers"][0]["resources"] = {"requests": {"cpu": True}}
    msg = error_of([doc])
    assert "spec.containers[0].resources.requests.cpu:" in msg


def test_negative_quantity_rejected() -> None:
    doc = pod_doc()
    doc["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "-1"}}
    msg = error_of([doc])
    assert "spec.containers[0].resources.requests.cpu: must not be negative" in msg


def test_no_containers() -> None:
    msg = error_of([pod_doc() | {"spec": {"containers": []}}])
    assert "spec.containers: must list at least one container" in msg
    msg = error_of([pod_doc() | {"spec": {}}])
    assert "spec.containers: is required" in msg


def test_bad_restart_policy() -> None:
    msg = error_of([pod_doc(restartPolicy="Sometimes")])
    assert "spec.restartPolicy:" in msg and "Always" in msg


def test_negative_grace_period() -> None:
    msg = error_of([pod_doc(terminationGracePeriodSeconds=-5)])
    assert "spec.terminationGracePeriodSeconds: must be ≥ 0" in msg


def test_bad_name() -> None:
    doc = pod_doc()
    doc["metadata"]["name"] = "Web_1"
    msg = error_of([doc])
    assert "metadata.name:" in msg and "not a valid name" in msg


def test_missing_name() -> None:
    doc = pod_doc()
    doc["metadata"] = {"labels": {"a": "b"}}
    assert "metadata.name: is required" in error_of([doc])


def test_numeric_label_value_must_be_quoted() -> None:
    doc = pod_doc()
    doc["metadata"]["labels"] = {"version": 2}
    msg = error_of([doc])
    assert "metadata.labels.version:" in msg and "quote it" in msg


def test_bad_toleration_effect_path() -> None:
    msg = error_of([pod_doc(tolerations=[{"key": "a", "effect": "NoExecute"}, {"key": "b", "effect": "Never"}])])
    assert "spec.tolerations[1].effect:" in msg


def test_bad_match_expression_operator() -> None:
    doc = rs_doc()
    doc["spec"]["selector"] = {"matchExpressions": [{"key": "app", "operator": "Is", "values": ["web"]}]}
    msg = error_of([doc])
    assert "spec.selector.matchExpressions[0].operator:" in msg


def test_in_operator_needs_values() -> None:
    doc = rs_doc()
    doc["spec"]["selector"] = {"matchExpressions": [{"key": "app", "operator": "In"}]}
    msg = error_of([doc])
    assert "spec.selector.matchExpressions[0].values: must be non-empty" in msg


def test_annotations_are_kept() -> None:
    doc = pod_doc()
    doc["metadata"]["annotations"] = {"a": "b"}
    assert dict(parse_one(doc).meta.annotations) == {"a": "b"}
