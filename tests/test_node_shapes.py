"""``spec.nodes`` by count and shape (``kmodel.nodeshapes``): generated names, zones dealt
round-robin as ``topology.kubernetes.io/zone``, groups mixed with named nodes, and bad shapes
as one-line input errors naming the file and the field path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kmodel.cli import main
from kmodel.scenario import scenario_from_data
from kmodel.yamlio import dump

ZONE = "topology.kubernetes.io/zone"
APP = {
    "apiVersion": "apps/v1",
    "kind": "ReplicaSet",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx", "resources": {"requests": {"cpu": "500m"}}}]},
        },
    },
}


def scenario(nodes: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kmodel/v1",
        "kind": "Scenario",
        "metadata": {"name": "shapes"},
        "spec": {"nodes": nodes, "objects": [APP], "budget": {"steps": 5, "examples": 2}},
    }


def nodes_of(nodes: Any) -> list[tuple[str, str | None, int]]:
    sc = scenario_from_data(scenario(nodes), "s.yaml")
    return [(n.meta.name, n.meta.labels.get(ZONE), n.status.capacity["cpu"]) for n in sc.config.nodes]


def test_one_group_names_nodes_and_deals_zones_round_robin() -> None:
    got = nodes_of({"count": 3, "capacity": {"cpu": 4, "memory": "16Gi"}, "zones": ["a", "b"]})
    assert got == [("node-1", "a", 4000), ("node-2", "b", 4000), ("node-3", "a", 4000)]


def test_groups_and_named_nodes_mix_and_number_on_per_prefix() -> None:
    got = nodes_of(
        [
            {"count": 2, "capacity": {"cpu": 2, "memory": "4Gi"}},
            {"count": 1, "namePrefix": "big", "capacity": {"cpu": 16, "memory": "64Gi"}, "zones": ["c"]},
            {"name": "edge", "capacity": {"cpu": 1, "memory": "2Gi"}},
            {"count": 1, "capacity": {"cpu": 2, "memory": "4Gi"}},
        ]
    )
    assert got == [
        ("node-1", None, 2000),
        ("node-2", None, 2000),
        ("big-1", "c", 16000),
        ("edge", None, 1000),
        ("node-3", None, 2000),
    ]


def test_group_keeps_labels_taints_and_hostname() -> None:
    group = {
        "count": 2,
        "capacity": {"cpu": 2, "memory": "4Gi"},
        "labels": {"pool": "web"},
        "taints": [{"key": "dedicated", "value": "web", "effect": "NoSchedule"}],
        "zones": ["a"],
    }
    sc = scenario_from_data(scenario(group), "s.yaml")
    node = sc.config.nodes[1]
    kubelet = {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}  # and their beta. twins
    kubelet.update({f"beta.{k}": v for k, v in kubelet.items()})
    assert dict(node.meta.labels) == {"kubernetes.io/hostname": "node-2", **kubelet, "pool": "web", ZONE: "a"}
    assert [t.key for t in node.spec.taints] == ["dedicated"]
    assert "failure-domain.beta.kubernetes.io/zone" not in node.meta.labels  # deprecated since v1.17


def test_shape_and_list_give_the_same_model() -> None:
    listed = [{"name": f"node-{i}", "capacity": {"cpu": 2, "memory": "4Gi"}} for i in (1, 2)]
    shaped = {"count": 2, "capacity": {"cpu": 2, "memory": "4Gi"}}
    a = scenario_from_data(scenario(listed), "s.yaml")
    b = scenario_from_data(scenario(shaped), "s.yaml")
    assert a.config == b.config


BAD = [
    ({"count": 0, "capacity": {"cpu": 2, "memory": "4Gi"}}, "s.yaml: spec.nodes.count: must be ≥ 1, got 0"),
    ({"count": 21, "capacity": {"cpu": 2, "memory": "4Gi"}}, "s.yaml: spec.nodes.count: must be ≤ 20, got 21"),
    ({"count": "3", "capacity": {"cpu": 2, "memory": "4Gi"}}, "spec.nodes.count: expected an integer"),
    ({"count": 2, "capacity": {"cpu": 2}}, "s.yaml: spec.nodes.capacity: must give cpu and memory"),
    ({"count": 2, "capacity": {"cpu": "lots", "memory": "4Gi"}}, "s.yaml: spec.nodes.capacity.cpu:"),
    ({"count": 2, "capacity": {"cpu": 2, "memory": "4Gi"}, "zone": ["a"]}, "spec.nodes.zone: unknown field"),
    ({"count": 2, "capacity": {"cpu": 2, "memory": "4Gi"}, "zones": "a"}, "spec.nodes.zones: expected a list"),
    ({"count": 2, "capacity": {"cpu": 2, "memory": "4Gi"}, "zones": []}, "spec.nodes.zones: must list at least"),
    (
        {"count": 2, "capacity": {"cpu": 2, "memory": "4Gi"}, "zones": ["a", "zone a"]},
        "s.yaml: spec.nodes.zones[1]: 'zone a' is not a valid label value",
    ),
    (
        {"count": 2, "capacity": {"cpu": 2, "memory": "4Gi"}, "zones": ["a"], "labels": {ZONE: "b"}},
        "spec.nodes.labels: topology.kubernetes.io/zone is set by zones",
    ),
    (
        {"count": 2, "name": "web", "capacity": {"cpu": 2, "memory": "4Gi"}},
        "s.yaml: spec.nodes.name: unknown field",
    ),
    (
        {"count": 2, "namePrefix": "Big", "capacity": {"cpu": 2, "memory": "4Gi"}},
        "s.yaml: spec.nodes.namePrefix: 'Big' must be lowercase",
    ),
    (
        [
            {"count": 2, "capacity": {"cpu": 2, "memory": "4Gi"}},
            {"name": "node-2", "capacity": {"cpu": 1, "memory": "1Gi"}},
        ],
        "s.yaml: spec.nodes[1]: duplicate name 'node-2' (also given by spec.nodes[0])",
    ),
    (
        [{"count": 15, "capacity": {"cpu": 2, "memory": "4Gi"}}, {"count": 6, "capacity": {"cpu": 2, "memory": "4Gi"}}],
        "s.yaml: spec.nodes[1]: at most 20 nodes",
    ),
    ([3], "s.yaml: spec.nodes[0]: expected a node (a mapping with name or count), got an integer"),
    ("three", "s.yaml: spec.nodes: expected a list, got the string 'three'"),
]


@pytest.mark.parametrize(("nodes", "message"), BAD, ids=[m.split(": ", 2)[-1][:40] for _, m in BAD])
def test_bad_shape_is_one_line_naming_file_and_field(
    nodes: Any, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(dump(scenario(nodes)))
    out = tmp_path / "out"
    code = main(["check", str(path), "--out", str(out)])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith("kmodel: error: "), lines
    assert message.replace("s.yaml", str(path), 1) in lines[0], lines[0]
    assert "Traceback" not in captured.err
    assert not out.exists()
