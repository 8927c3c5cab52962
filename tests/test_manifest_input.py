"""Plain Kubernetes manifests as the input (``kmodel.inputs``, ``kmodel.wrap``): ``kmodel check``
and ``explore`` on files, directories and stdin, wrapped in kmodel's default scenario;
``kmodel init`` writing that scenario; and the input errors of this path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kmodel.cli import main
from kmodel.inputs import load_inputs
from kmodel.nodeshapes import MAX_NODES
from kmodel.wrap import size_nodes
from kmodel.yamlio import MAX_BYTES

ROOT = Path(__file__).resolve().parents[1]


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def deployment(name: str, replicas: int, cpu: str = "500m", memory: str = "256Mi", namespace: str = "") -> str:
    ns = f", namespace: {namespace}" if namespace else ""
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, labels: {{app: {name}}}{ns}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers: [{{name: {name}, image: nginx, resources: {{requests: {{cpu: {cpu}, memory: {memory}}}}}}}]
"""


SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""

STATEFULSET = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 1
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres, resources: {requests: {cpu: "1", memory: 2Gi}}}]
"""

HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 2
  maxReplicas: 6
"""

FAST = ["--examples", "5", "--steps", "10"]


def write_app(d: Path) -> list[Path]:
    """A two-file application: web (Deployment + Service), db (StatefulSet)."""
    d.mkdir(parents=True, exist_ok=True)
    web, db = d / "web.yaml", d / "db.yml"
    web.write_text(deployment("web", 2) + "---\n" + SERVICE)
    db.write_text(STATEFULSET)
    return [web, db]


def kmodel(*args: str, cwd: Path, stdin: str | None = None, seed: str = "0") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "kmodel", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def write_scenario(path: Path, spec: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump({"apiVersion": "kmodel/v1", "kind": "Scenario", "spec": spec}))
    return path


def verdict(stdout: str) -> str:
    """The first line without its timing: ``NAME: ...: VERDICT``."""
    first = stdout.splitlines()[0]
    return first.split(": ", 1)[0] + ": " + first.rsplit("): ", 1)[-1]


# -- the default scenario -------------------------------------------------------------------------


def test_wrapped_scenario_has_the_documented_sections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.yaml").write_text(deployment("web", 3) + "---\n" + deployment("api", 1) + "---\n" + HPA)
    (sc,) = load_inputs(["app.yaml"])
    spec = sc.resolved["spec"]
    assert sc.name == "app"
    assert spec["faults"] == {"nodeCrash": 1, "containerCrash": 2}
    assert spec["budget"] == {"steps": 50, "examples": 200}
    assert "invariants" not in spec  # every applicable built-in
    assert spec["user"] == [
        {"op": "scale", "target": "Deployment/web", "replicas": [1, 5]},
        {"op": "scale", "target": "Deployment/api", "replicas": [2, 3]},  # floored at the HPA's minReplicas
    ]
    assert "HPASettles" in [p.name for p in sc.model().properties()]


def test_nodes_are_n_plus_one_for_the_largest_pod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_app(tmp_path)
    (sc,) = load_inputs(["web.yaml", "db.yml"])
    # peak: web 4 × 500m + db 3 × 1 cpu = 7 pods; each counted as 1 cpu / 2Gi: 4 to a 4-cpu node
    assert sc.resolved["spec"]["nodes"] == {"count": 3, "capacity": {"cpu": "4", "memory": "16Gi", "pods": 110}}
    assert [n.meta.name for n in sc.config.nodes] == ["node-1", "node-2", "node-3"]


@pytest.mark.parametrize(
    ("replicas", "cpu", "count", "node_cpu"),
    [
        (1, "500m", 2, 4000),  # 3 pods at the peak fit one node: N+1 is 2
        (6, "1", 3, 4000),  # 8 pods, 4 to a node: 2 + 1
        (1, "6", 4, 8000),  # a 6-cpu pod fits no 4-cpu node: the shape doubles; 3 pods, 1 to a node
        (60, "1", 17, 4000),  # 62 pods, 4 to a node: 16 + 1
        (90, "1", 13, 8000),  # 92 pods would take 24 four-cpu nodes (over MAX_NODES): 8 cpu, 12 + 1
    ],
)
def test_size_nodes_rule(replicas: int, cpu: str, count: int, node_cpu: int, tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(deployment("web", replicas, cpu=cpu))
    (sc,) = load_inputs([str(tmp_path / "a.yaml")])
    objects = sc.config.objects
    s = size_nodes(objects, "a.yaml")
    # the rule: all P pods fit on count - 1 nodes under any placement, and not on count - 2
    assert (s.count - 1) * s.slots >= s.pods > (s.count - 2) * s.slots
    assert s.count <= MAX_NODES
    assert s.capacity["cpu"] >= s.largest["cpu"]
    assert (len(sc.config.nodes), sc.config.nodes[0].status.capacity["cpu"]) == (count, node_cpu)


def test_wrapped_app_holds_where_capacity_is_tight(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """N+1 is enough: a 1-cpu pod per replica, the node crash and the scaling still converge."""
    (tmp_path / "a.yaml").write_text(deployment("web", 3, cpu="1"))
    code = main(
        ["check", str(tmp_path / "a.yaml"), "--examples", "20", "--steps", "20", "--out", str(tmp_path / "out")]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("a: ") and "all invariants held" in out


# -- files, directories, stdin --------------------------------------------------------------------


def test_check_multi_file_app_finds_the_statefulset_finding(tmp_path: Path) -> None:
    write_app(tmp_path)
    r = kmodel("check", "web.yaml", "db.yml", *FAST, "--out", "out", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert verdict(r.stdout) == "web: StatefulSetConverges VIOLATED"
    assert (tmp_path / "out" / "traces" / "web-StatefulSetConverges-seed0.yaml").is_file()


def test_directory_is_its_yaml_files_in_sorted_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_app(tmp_path / "k8s")
    (tmp_path / "k8s" / "README.md").write_text("not yaml")
    (tmp_path / "k8s" / "sub").mkdir()
    (tmp_path / "k8s" / "sub" / "x.yaml").write_text(deployment("x", 1))  # not recursive
    (sc,) = load_inputs(["k8s"])
    assert sc.name == "k8s"
    assert [o.meta.name for o in sc.config.objects] == ["db", "web", "web"]  # db.yml < web.yaml
    (by_files,) = load_inputs(["k8s/db.yml", "k8s/web.yaml"])
    assert by_files.config == sc.config


def test_stdin_is_a_yaml_stream(tmp_path: Path) -> None:
    text = "# helm template output\n---\n" + deployment("web", 2) + "---\n" + SERVICE
    r = kmodel("check", "-", *FAST, "--out", "out", cwd=tmp_path, stdin=text)
    assert r.returncode == 0, r.stderr
    assert verdict(r.stdout) == "stdin: all invariants held"
    assert (tmp_path / "out" / "stdin.md").is_file()


def test_explore_takes_manifests(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(deployment("web", 1))
    r = kmodel("explore", "a.yaml", "--max-states", "50", "--out", "out", cwd=tmp_path)
    assert r.returncode == 3, r.stderr  # a bound: the default scenario is no small scope
    assert r.stdout.startswith("a: ") and "INCOMPLETE" in r.stdout


# -- init ---------------------------------------------------------------------------------------------


def test_init_output_gives_the_same_verdict_and_trace(tmp_path: Path) -> None:
    write_app(tmp_path)
    init = kmodel("init", "web.yaml", "db.yml", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    (tmp_path / "scenario.yaml").write_text(init.stdout)
    data = yaml.safe_load(init.stdout)
    assert data["spec"]["manifests"] == ["web.yaml", "db.yml"]  # referenced, not inlined
    assert "objects" not in data["spec"]
    assert init.stdout.count("\n  # ") >= 6  # every section has its comment
    example = [line[6:] for line in init.stdout.splitlines() if line.startswith("  #   ")]
    assert example[0] == "nodes:"  # the commented nodes example is a valid scenario's nodes
    (sc,) = load_inputs([str(write_scenario(tmp_path / "ex.yaml", yaml.safe_load("\n".join(example))))])
    assert [n.meta.name for n in sc.config.nodes] == ["node-1", "node-2", "node-3", "gpu-1", "edge-1"]
    trace = tmp_path / "out" / "traces" / "web-StatefulSetConverges-seed3.yaml"
    direct = kmodel("check", "web.yaml", "db.yml", *FAST, "--seed", "3", "--out", "out", cwd=tmp_path, seed="1")
    first = trace.read_bytes()
    trace.unlink()
    edited = kmodel("check", "scenario.yaml", *FAST, "--seed", "3", "--out", "out", cwd=tmp_path, seed="2")
    assert (direct.returncode, verdict(direct.stdout)) == (edited.returncode, verdict(edited.stdout))
    assert direct.returncode == 1
    assert trace.read_bytes() == first  # byte for byte, under two PYTHONHASHSEEDs


def test_init_paths_are_relative_to_the_output(tmp_path: Path) -> None:
    write_app(tmp_path / "k8s")
    r = kmodel("init", "k8s", "-o", "ci/scenario.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = yaml.safe_load((tmp_path / "ci" / "scenario.yaml").read_text())
    assert data["spec"]["manifests"] == ["../k8s/db.yml", "../k8s/web.yaml"]
    check = kmodel("check", "ci/scenario.yaml", *FAST, "--out", "out", cwd=tmp_path)
    assert verdict(check.stdout) == "k8s: StatefulSetConverges VIOLATED", check.stderr


def test_init_from_stdin_inlines_the_objects(tmp_path: Path) -> None:
    text = deployment("web", 2) + "---\n" + SERVICE
    r = kmodel("init", "-", cwd=tmp_path, stdin=text)
    assert r.returncode == 0, r.stderr
    data = yaml.safe_load(r.stdout)
    assert "manifests" not in data["spec"]
    assert [o["kind"] for o in data["spec"]["objects"]] == ["Deployment", "Service"]
    assert data["metadata"]["name"] == "stdin"


# -- namespaces -----------------------------------------------------------------------------------


def test_namespaces_same_names_in_two_namespaces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespaces = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n"
    (tmp_path / "a.yaml").write_text(
        namespaces + deployment("web", 1, namespace="shop") + "---\n" + deployment("web", 1)
    )
    (sc,) = load_inputs(["a.yaml"])
    got = [(o.KIND, o.meta.namespace, o.meta.name) for o in sc.config.objects]
    assert got == [("Namespace", "", "shop"), ("Deployment", "shop", "web"), ("Deployment", "default", "web")]
    targets = sorted(v for a in sc.model().action_space() if a.op == "scale" for v in dict(a.params)["target"])
    assert targets[0] == "Deployment/shop/web" and targets[-1] == "Deployment/web"
    code = main(["check", "a.yaml", *FAST, "--out", "out"])
    assert code == 0


# -- bad input ------------------------------------------------------------------------------------


def bad(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], *fragments: str) -> None:
    out = tmp_path / "out"
    code = main([*args, "--out", str(out)] if args[0] != "init" else args)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, captured
    assert len(lines) == 1 and lines[0].startswith("kmodel: error: "), lines
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert "Traceback" not in captured.err and captured.out == ""
    assert not out.exists()


def test_mixing_a_scenario_with_manifests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = ROOT / "properties" / "scenarios" / "web-tight-capacity.yaml"
    (tmp_path / "a.yaml").write_text(deployment("web", 1))
    bad(tmp_path, capsys, ["check", str(scenario), str(tmp_path / "a.yaml")], "web-tight-capacity.yaml: is a kmodel")
    bad(tmp_path, capsys, ["init", str(scenario)], "is already a kmodel Scenario")


def test_empty_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    bad(tmp_path, capsys, ["check", str(tmp_path / "empty")], "empty: is a directory with no *.yaml or *.yml files")
    (tmp_path / "c.yaml").write_text("# only a comment\n---\n")
    bad(tmp_path, capsys, ["check", str(tmp_path / "c.yaml")], "c.yaml: no Kubernetes objects to check")


def test_manifest_errors_name_the_file_and_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.yaml").write_text(
        deployment("web", 1) + "---\n" + deployment("api", 1).replace("replicas: 1", "replicas: x")
    )
    bad(tmp_path, capsys, ["check", str(tmp_path / "a.yaml")], "a.yaml: document 2: spec.replicas: expected an integer")
    (tmp_path / "b.yaml").write_text(deployment("web", 1))
    args = ["check", str(tmp_path / "b.yaml"), str(tmp_path / "b.yaml")]
    bad(tmp_path, capsys, args, "b.yaml: Deployment default/web is defined twice (also in")


def test_workloads_too_big_for_max_nodes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.yaml").write_text(deployment("web", 90, cpu="3000"))
    bad(tmp_path, capsys, ["check", str(tmp_path / "a.yaml")], "a.yaml: the workloads need more than 20 nodes")


def test_stdin_errors_name_stdin_and_keep_the_guards(tmp_path: Path) -> None:
    cases = [
        (deployment("web", 1) + "---\n" + SERVICE.replace("port: 80", "port: http"), "<stdin>: document 2: spec.ports"),
        (billion_laughs(), "<stdin>: document 1: document expands"),
        ("x" * (MAX_BYTES + 1), f"<stdin>: input is more than {MAX_BYTES} bytes"),
    ]
    for text, fragment in cases:
        r = kmodel("check", "-", "--out", "out", cwd=tmp_path, stdin=text)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 2 and len(lines) == 1, r.stderr
        assert fragment in lines[0], lines[0]
        assert not (tmp_path / "out").exists()
    r = kmodel("check", "-", "-", cwd=tmp_path, stdin="")
    assert r.returncode == 2 and "standard input ('-') is given more than once" in r.stderr
