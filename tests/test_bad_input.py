"""Bad input of every kind found by the fuzz campaign of issue 19: exit 2, one line naming the
file and the field path, no traceback, nothing written under ``--out``.

One test (or parametrized case) per crash site of the campaign; ``tests/test_fuzz_inputs.py``
mutates the shipped inputs at random to look for more.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kmodel.cli import main
from kmodel.yamlio import dump

ROOT = Path(__file__).resolve().parents[1]
TRACES = ROOT / "reports" / "traces"
TRACE = TRACES / "web-no-expectations-NoExcessReplicas-seed0.yaml"
HUGE = "9" * 5000  # over Python's 4300-digit int/str conversion limit

SCENARIO = """\
apiVersion: kmodel/v1
kind: Scenario
metadata: {name: web, description: "a web ReplicaSet"}
spec:
  nodes:
    - {name: node-1, capacity: {cpu: "4", memory: 4Gi, pods: 110}}
    - {name: node-2, capacity: {cpu: "4", memory: 4Gi, pods: 110}}
  manifests: [app.yaml]
  faults: {nodeCrash: 1}
  user:
    - {op: scale, target: ReplicaSet/web, replicas: [1, 3]}
  budget: {steps: 10, examples: 2}
"""

APP = """\
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx, resources: {requests: {cpu: 500m, memory: 256Mi}}}]
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  clusterIP: CLUSTER_IP
  ports: [{port: 80}]
"""

PDB = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  maxUnavailable: PERCENT
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: REPLICAS
  selector: {matchLabels: {app: api}}
  strategy: {rollingUpdate: {FIELD: VALUE}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: nginx}]
"""

STATEFULSET = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: REPLICAS
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres}]
"""


def assert_input_error(capsys: pytest.CaptureFixture[str], args: list[str], out: Path, *fragments: str) -> str:
    """``kmodel ARGS --out OUT`` exits 2 with one line containing every fragment, and writes nothing."""
    code = main([*args, "--out", str(out)] if args[0] != "replay" else args)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, captured
    assert len(lines) == 1, lines
    assert lines[0].startswith("kmodel: error: "), lines
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert "Traceback" not in captured.err
    assert captured.out == ""
    assert not out.exists()
    return lines[0]


def write_scenario(tmp_path: Path, scenario: str = SCENARIO, app: str = APP, extra: str = "") -> Path:
    (tmp_path / "app.yaml").write_text(app + (f"---\n{extra}" if extra else ""))
    path = tmp_path / "s.yaml"
    path.write_text(scenario)
    return path


def write_trace(tmp_path: Path, change: Callable[[dict[str, Any]], None], source: Path = TRACE) -> Path:
    data = yaml.safe_load(source.read_text())
    change(data)
    path = tmp_path / "t.yaml"
    path.write_text(dump(data))
    return path


# -- 2. integers over 4300 digits ------------------------------------------------------------------


def test_huge_integer_literal_in_a_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_scenario(tmp_path, SCENARIO.replace("steps: 10", f"steps: {HUGE}"))
    assert_input_error(capsys, ["check", str(path)], tmp_path / "out", "s.yaml: line 12: ", "4300 digits")


def test_huge_integer_literal_in_a_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(TRACE.read_text().replace("seed: 0", f"seed: {HUGE}"))
    assert_input_error(capsys, ["replay", str(path)], tmp_path / "out", "t.yaml: line ", "4300 digits")


def test_hex_integer_out_of_int64(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Not a decimal literal, so safe_load builds it; it would not print (str() has the same limit).
    path = write_scenario(tmp_path, SCENARIO.replace("steps: 10", "steps: 0x" + "f" * 4000))
    assert_input_error(
        capsys, ["check", str(path)], tmp_path / "out", "s.yaml: document 1: spec.budget.steps: ", "int64"
    )


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (SERVICE.replace("CLUSTER_IP", f"10.0.0.{HUGE}"), "document 2: spec.clusterIP: must be 'None'"),
        (PDB.replace("PERCENT", f"'{HUGE}%'"), "document 2: spec.maxUnavailable: the percentage must be at most"),
        (
            DEPLOYMENT.replace("REPLICAS", "1").replace("FIELD", "maxUnavailable").replace("VALUE", f"'{HUGE}%'"),
            "document 2: spec.strategy.rollingUpdate.maxUnavailable: the percentage",
        ),
        (
            DEPLOYMENT.replace("REPLICAS", "1").replace("FIELD", "maxSurge").replace("VALUE", f"'{HUGE}%'"),
            "document 2: spec.strategy.rollingUpdate.maxSurge: the percentage",
        ),
    ],
    ids=["clusterIP", "pdb-percent", "max-unavailable", "max-surge"],
)
def test_huge_digit_strings_in_manifests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, field: str
) -> None:
    path = write_scenario(tmp_path, extra=extra)
    line = assert_input_error(capsys, ["check", str(path)], tmp_path / "out", "app.yaml: ", field)
    assert len(line) < 400  # the value is shortened


def test_huge_duration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = SCENARIO.replace("faults:", f"controlPlane: {{nodeMonitorGracePeriod: '{HUGE}s'}}\n  faults:")
    path = write_scenario(tmp_path, text)
    assert_input_error(
        capsys,
        ["check", str(path)],
        tmp_path / "out",
        "s.yaml: spec.controlPlane.nodeMonitorGracePeriod: expected a duration",
    )


# -- 3. trace steps checked against their op ---------------------------------------------------------


def _insert(step: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["steps"].insert(0, step)


def _set(i: int, **args: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["steps"][i].update(args)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_set(0, cls=1), "steps[0].cls: unknown argument of scale"),
        (_set(1, extra=1), "steps[1].extra: unknown argument of deliver"),
        (_set(1, op="scale"), "steps[1].component: unknown argument of scale"),
        (_set(0, op="scael"), "steps[0].op: unknown op 'scael' for this scenario (did you mean 'scale'?)"),
        (_insert({"op": "tick", "seconds": "x"}), "steps[0].seconds: unknown argument (tick takes none)"),
        (
            _insert({"op": "scale", "target": "ReplicaSet/web", "replicas": "3"}),
            "steps[0].replicas: expected an integer",
        ),
        (
            _insert({"op": "scale", "target": "ReplicaSet/web", "replicas": True}),
            "steps[0].replicas: expected an integer",
        ),
        (_insert({"op": "scale", "target": "ReplicaSet/web", "replicas": 9}), "steps[0].replicas: 9 is not a value"),
        (_insert({"op": "scale", "target": "ReplicaSet/web"}), "steps[0]: scale needs the argument 'replicas'"),
        (
            _insert({"op": "deliver", "component": "replicaset-controller", "frame": 3}),
            "steps[0].frame: expected a pod",
        ),
        (_insert({"op": "settle", "x": 1}), "steps[0].x: unknown argument (settle takes none)"),
    ],
    ids=[
        "cls",
        "extra",
        "changed-op",
        "unknown-op",
        "tick-seconds",
        "str",
        "bool",
        "value",
        "missing",
        "frame",
        "settle",
    ],
)
@pytest.mark.parametrize("step", [None, "2"])
def test_trace_steps_are_checked(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[dict[str, Any]], None],
    field: str,
    step: str | None,
) -> None:
    path = write_trace(tmp_path, change)
    args = ["replay", str(path), *(["--step", step] if step else [])]
    where, detail = field.split(": ", 1)
    prefix = f"{path}: document 1: {where}: does not replay on this model: "
    assert_input_error(capsys, args, tmp_path / "out", prefix, f"is not an action of this scenario: {detail}")


def test_trace_step_values_are_scalars(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_trace(tmp_path, _insert({"op": "scale", "target": "ReplicaSet/web", "replicas": [1]}))
    field = f"{path}: document 1: steps[0].replicas: expected a string or an integer, got a list"
    assert_input_error(capsys, ["replay", str(path)], tmp_path / "out", field)


def test_trace_propagation_must_be_a_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = next(p for p in sorted(TRACES.glob("*.yaml")) if "op: delete\n" in p.read_text())
    data = yaml.safe_load(source.read_text())
    i = next(i for i, s in enumerate(data["steps"]) if s["op"] == "delete")
    path = write_trace(tmp_path, _set(i, propagation=3), source)
    assert_input_error(
        capsys, ["replay", str(path)], tmp_path / "out", f"steps[{i}].propagation: ", "expected a string"
    )


def test_explore_traces_with_ties_and_frames_still_replay(capsys: pytest.CaptureFixture[str]) -> None:
    for path in sorted(TRACES.glob("*-explore.yaml")):
        assert main(["replay", str(path)]) == 1, path
    capsys.readouterr()


# -- 4. lone surrogates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "field"),
    [
        ("scenario", "s.yaml: document 1: metadata.description: '\\ud800' is not valid Unicode"),
        ("manifest", "app.yaml: document 1: metadata.labels.app: 'web\\udfff' is not valid Unicode"),
        ("path", "s.yaml: document 1: spec.manifests[0]: '\\ud800.yaml' is not valid Unicode"),
        ("module", "s.yaml: document 1: spec.modules.m.py[0]: 'x = \"\\ud800\"' is not valid Unicode"),
    ],
)
def test_lone_surrogates_are_refused_at_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str, field: str
) -> None:
    scenario, app = SCENARIO, APP
    if where == "scenario":
        scenario = scenario.replace('"a web ReplicaSet"', '"\\ud800"')
    elif where == "manifest":
        app = app.replace("labels: {app: web}}", 'labels: {app: "web\\udfff"}}', 1)
    elif where == "path":
        scenario = scenario.replace("[app.yaml]", '["\\ud800.yaml"]')
    else:
        scenario += '  modules: {m.py: ["x = \\"\\ud800\\""]}\n'
    path = write_scenario(tmp_path, scenario, app)
    assert_input_error(capsys, ["check", str(path)], tmp_path / "out", field)


def test_lone_surrogate_in_a_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(TRACE.read_text().replace("invariant: NoExcessReplicas", 'invariant: "No\\ud800"', 1))
    assert_input_error(capsys, ["replay", str(path)], tmp_path / "out", "t.yaml: document 1: violation.invariant: ")


# -- 5. names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "app", "field"),
    [
        (
            SCENARIO,
            APP.replace("{name: web, labels", "{name: " + "w" * 100_000 + ", labels"),
            "app.yaml: document 1: "
            "metadata.name: '" + "w" * 60 + "...' (100000 characters) is not a "
            "valid name: must be no more than 253 characters",
        ),
        (
            SCENARIO.replace("name: web,", "name: " + "w" * 64 + ","),
            APP,
            "s.yaml: metadata.name: must be no more than 63",
        ),
        (
            SCENARIO.replace("name: node-2", "name: Node_2"),
            APP,
            "s.yaml: spec.nodes[1].name: 'Node_2' is not a valid name: a lowercase RFC 1123 subdomain must consist of",
        ),
        (
            SCENARIO,
            APP.replace("labels: {app: web}}", "labels: {app: " + "w" * 64 + "}}", 1),
            "app.yaml: document 1: metadata.labels.app: 'wwww",
        ),
        (
            SCENARIO,
            APP.replace("labels: {app: web}}", "labels: {'a/b/c': web}}", 1),
            "app.yaml: document 1: metadata.labels: 'a/b/c' is not a valid label key",
        ),
        (
            SCENARIO,
            APP.replace("metadata: {name: web,", "metadata: {namespace: a.b, name: web,"),
            "metadata.namespace: 'a.b' is not a valid namespace: must not contain dots",
        ),
    ],
    ids=["object-name", "scenario-name", "node-name", "label-value", "label-key", "namespace"],
)
def test_names_follow_kubernetes_limits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], scenario: str, app: str, field: str
) -> None:
    path = write_scenario(tmp_path, scenario, app)
    assert_input_error(capsys, ["check", str(path)], tmp_path / "out", field)


# -- 6. paths that are not regular files -----------------------------------------------------------------


def test_nul_byte_in_a_manifest_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_scenario(tmp_path, SCENARIO.replace("[app.yaml]", '["app\\0.yaml"]'))
    assert_input_error(capsys, ["check", str(path)], tmp_path / "out", "app\\x00.yaml: invalid file name")


def test_device_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_input_error(capsys, ["check", "/dev/zero"], tmp_path / "out", "/dev/zero: is not a regular file")
    assert_input_error(capsys, ["replay", "/dev/zero"], tmp_path / "out", "/dev/zero: is not a regular file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("role", ["scenario", "trace", "manifest"])
def test_fifo_does_not_block(tmp_path: Path, role: str) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    if role == "scenario":
        args = ["check", str(fifo), "--out", str(tmp_path / "out")]
    elif role == "trace":
        args = ["replay", str(fifo)]
    else:
        path = write_scenario(tmp_path, SCENARIO.replace("[app.yaml]", "[fifo.yaml]"))
        args = ["check", str(path), "--out", str(tmp_path / "out")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "kmodel", *args], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        == f"kmodel: error: {fifo}: is not a regular file (a FIFO, socket or device?), expected a YAML file"
    )
    assert not (tmp_path / "out").exists()


def test_size_limit_is_enforced_while_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kmodel import yamlio
    from kmodel.errors import InputError

    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * 100 + "\n")
    real_fstat = os.fstat

    def lying_fstat(fd: int) -> os.stat_result:  # a file that grows after stat (or a /proc file)
        st = real_fstat(fd)
        return os.stat_result((st.st_mode, *st[1:6], 0, *st[7:10]))

    monkeypatch.setattr(yamlio, "MAX_BYTES", 50)
    monkeypatch.setattr(os, "fstat", lying_fstat)
    with pytest.raises(InputError, match="more than 50 bytes"):
        yamlio.read_text(big)


# -- 7. values with no upper bound -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "extra", "field"),
    [
        (
            SCENARIO,
            DEPLOYMENT.replace("REPLICAS", "1000000000000000000000000000000")
            .replace("FIELD", "maxSurge")
            .replace("VALUE", "1"),
            "app.yaml: document 2: spec.replicas: integer out of range",
        ),
        (
            SCENARIO,
            STATEFULSET.replace("REPLICAS", "2147483648"),
            "app.yaml: document 2: spec.replicas: must be ≤ 2147483647 (an int32), got 2147483648",
        ),
        (SCENARIO, STATEFULSET.replace("REPLICAS", "101"), "app.yaml: document 2: spec.replicas: at most 100 replicas"),
        (
            SCENARIO.replace(
                'cpu: "4", memory: 4Gi, pods: 110}}\n    - {name: node-2',
                "cpu: " + "9" * 400 + ", memory: 4Gi}}\n    - {name: node-2",
            ),
            "",
            "s.yaml: document 1: spec.nodes[0].capacity.cpu: integer out",
        ),
        (
            SCENARIO.replace(
                'cpu: "4", memory: 4Gi, pods: 110}}\n    - {name: node-2',
                'cpu: "' + "9" * 60 + 'E", memory: 4Gi}}\n    - {name: node-2',
            ),
            "",
            "s.yaml: spec.nodes[0].capacity.cpu: is more than 2^63-1",
        ),
        (
            SCENARIO.replace(
                "replicas: [1, 3]}", "replicas: [1, 3]}\n    - {op: setLoad, target: ReplicaSet/web, cpu: 1.0e+308}"
            ),
            "",
            "s.yaml: spec.user[1].cpu: is more than 2^63-1 millicores",
        ),
        (
            SCENARIO.replace("replicas: [1, 3]}", "replicas: [1000000000000, 1000000000001]}"),
            "",
            "s.yaml: spec.user[0].replicas: at most 100 replicas",
        ),
        (
            SCENARIO.replace("faults:", "controlPlane: {defaultUnreachableTolerationSeconds: 1000000}\n  faults:"),
            "",
            "s.yaml: spec.controlPlane.defaultUnreachableTolerationSeconds: must be ≤ 10800 seconds",
        ),
        (
            SCENARIO,
            APP.replace(
                "containers:", "tolerations: [{operator: Exists, tolerationSeconds: 99999999}]\n      containers:"
            ),
            "app.yaml: document 2: spec.template.spec.tolerations[0].tolerationSeconds: must be ≤",
        ),
    ],
    ids=[
        "deploy-replicas",
        "sts-int32",
        "sts-scope",
        "cpu-int",
        "cpu-quantity",
        "setload",
        "scale-range",
        "toleration",
        "pod-toleration",
    ],
)
def test_values_are_bounded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], scenario: str, extra: str, field: str
) -> None:
    path = write_scenario(tmp_path, scenario, extra=extra)
    assert_input_error(capsys, ["check", str(path)], tmp_path / "out", field)


@pytest.mark.parametrize("shape", ["mapping", "list"])
def test_many_keys_are_refused_fast(tmp_path: Path, capsys: pytest.CaptureFixture[str], shape: str) -> None:
    # A 2.6 MB file of 250,000 keys took 11.8 s to load and be refused; the file size limit is
    # now 2 MiB, and the entry count is checked on the event stream before anything is built.
    if shape == "mapping":
        text = SCENARIO.replace("description:", "{}, description:".format(", ".join(f"{i}: 0" for i in range(150_000))))
    else:
        text = SCENARIO.replace("[app.yaml]", "[{}]".format(", ".join(["0"] * 250_000)))
    path = write_scenario(tmp_path, text)
    start = time.perf_counter()
    assert_input_error(capsys, ["check", str(path)], tmp_path / "out", "s.yaml: document 1: ", "more than 5000 entries")
    assert time.perf_counter() - start < 5


# -- 8. `--` as a flag value ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--steps=--"],
        ["check", "--examples=--"],
        ["check", "--seed=--"],
        ["check", f"--seed={2**63}"],
        ["explore", "--max-depth=--"],
        ["explore", "--max-states=--"],
        ["report", "--explore-states=--"],
    ],
)
def test_flag_values_are_checked_after_parsing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    flag = args[1].split("=")[0]
    assert_input_error(capsys, args, tmp_path / "out", f"kmodel: error: {flag}: ")


def test_replay_step_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_input_error(capsys, ["replay", str(TRACE), "--step=--"], tmp_path / "out", "--step: expected an integer")


# -- issue 16: removed API versions, schema errors, unknown kinds ------------------------------------


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        (
            "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: web}\nspec: {minAvailable: 1}\n",
            (
                "document 2: apiVersion: policy/v1beta1 PodDisruptionBudget was removed in Kubernetes 1.25; "
                "use policy/v1",
            ),
        ),
        (
            "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\n",
            ("document 2: apiVersion: batch/v1beta1 CronJob was removed in Kubernetes 1.25; use batch/v1",),
        ),
        (
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web}\nautomountServiceAccountTokn: false\n",
            ("document 2: automountServiceAccountTokn: unknown field (did you mean", "API schema of ServiceAccount"),
        ),
        (
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\nspec: {rules: [{host: 3}]}\n",
            ("document 2: spec.rules[0].host: expected a string, got an integer",),
        ),
        (
            "apiVersion: v1\nkind: ConfigMapp\nmetadata: {name: web}\n",
            ("document 2: kind: unknown kind 'ConfigMapp' in v1 (Kubernetes 1.34) (did you mean 'ConfigMap'?)",),
        ),
    ],
    ids=["removed-pdb", "removed-cronjob", "schema-unknown-field", "schema-type", "kind-typo"],
)
def test_new_manifest_errors_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, fragments: tuple[str, ...]
) -> None:
    path = write_scenario(tmp_path, extra=extra)
    assert_input_error(capsys, ["check", str(path)], tmp_path / "out", "app.yaml: ", *fragments)


def test_inert_objects_are_listed_by_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unmodelled kind loads, and ``check`` says it is present but not modelled."""
    extra = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web}\n"
    path = write_scenario(tmp_path, extra=extra)
    assert main(["check", str(path), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "  present, not modelled: ServiceAccount default/web\n" in out
    assert "- present, not modelled: ServiceAccount default/web\n" in (tmp_path / "out" / "web.md").read_text()


def test_hpa_metrics_not_evaluated_are_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An HPA's metrics other than cpu load; ``check`` and the report name them as not evaluated."""
    extra = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: ReplicaSet, name: web}
  maxReplicas: 3
  metrics:
    - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}}
    - {type: Resource, resource: {name: memory, target: {type: Utilization, averageUtilization: 70}}}
"""
    path = write_scenario(tmp_path, extra=extra)
    assert main(["check", str(path), "--out", str(tmp_path / "out")]) == 0
    line = "HPA metrics not evaluated: HorizontalPodAutoscaler default/web: memory Resource (Utilization 70)"
    assert f"  {line}\n" in capsys.readouterr().out
    assert f"- {line}\n" in (tmp_path / "out" / "web.md").read_text()
