"""The default scenario around plain Kubernetes manifests: what ``kmodel check app.yaml`` runs
and ``kmodel init app.yaml`` writes, for a platform engineer who has YAML and no scenario.

The scenario, as data (``default_scenario_data``), holds:

- **nodes**, one group of identical nodes sized N+1 (``size_nodes``): every replica fits on the
  nodes that are left after any one node is lost. The rule treats every pod as the *largest*
  pod (the most cpu, and separately the most memory, any one pod requests): a node of shape C
  then has ``slots = min(C.cpu // pod.cpu, C.memory // pod.memory, 110 pods)`` places, and a
  node with fewer pods than slots always fits one more pod of any of the workloads, whatever
  the scheduler placed there. So ``ceil(P / slots)`` nodes hold the P pods of the peak (every
  workload at the top of its scale range) under any placement, and one more node is the +1.
  The shape starts at 4 cpu / 16Gi (a common cloud size) and doubles until the largest pod fits
  and the count is at most ``MAX_NODES``. Extended resources the pods request (``nvidia.com/gpu``)
  are given so that they never bind first. Every DaemonSet is assumed to run one pod on every
  node: their requests (and one pod slot each) are set aside on each node before the slots are
  counted, and a DaemonSet adds no pod to P (it is not scaled); with a DaemonSet there are at
  least 2 nodes. Node selectors, affinity, taints
  and zones are not
  considered: a pod they keep off every node shows as a ``ReplicasConverge`` violation that
  says why, and ``kmodel init`` writes a scenario to edit;
- **faults** a platform engineer plans for: one node crash, two container crashes;
- **user**: ``kubectl scale`` of each Deployment, ReplicaSet and StatefulSet (not of Jobs or
  CronJobs, whose size is ``parallelism``: their pods count at it for the nodes) within ±2 of its
  replicas, floored at 0 (at its HorizontalPodAutoscaler's ``minReplicas`` when one targets it)
  and capped at kmodel's 100 replicas;
- **invariants** not given: every built-in invariant that applies;
- **budget** ``{steps: 50, examples: 200}``, the built-in default scenario's (the shipped
  scenarios use 10–50 steps and 10–500 examples).

Manifest files are referenced (``spec.manifests``, relative paths), so the scenario follows the
application as its YAML changes and stays short enough to review; objects read from standard
input have no file to point at and are inlined (``spec.objects``).
"""

from __future__ import annotations

import math
import os
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from kmodel.errors import InputError
from kmodel.fields import MAX_REPLICAS
from kmodel.k8s.quantity import format_amount
from kmodel.manifests import DEFAULT_MAX_PODS, DNS1123_LABEL_MAX
from kmodel.nodeshapes import MAX_NODES
from kmodel.yamlio import dump

BASE_SHAPE = {"cpu": 4000, "memory": 16 * 2**30}  # model units: millicores, bytes
MAX_DOUBLINGS = 10  # 4096 cpu: past that a pod fits no node anyone runs
FAULTS = {"nodeCrash": 1, "containerCrash": 2}
BUDGET = {"steps": 50, "examples": 200}
SCALED_KINDS = ("Deployment", "ReplicaSet", "StatefulSet", "ReplicationController")
SCALE_MARGIN = 2


@attrs.frozen
class Source:
    """One input's documents: ``label`` names it in errors; ``path`` is None for stdin."""

    label: str
    path: Path | None
    docs: tuple[Any, ...]
    objects: tuple[Any, ...] = ()


@attrs.frozen
class Sizing:
    """The node shape and count ``size_nodes`` chose, and the figures behind them."""

    count: int
    capacity: dict[str, int]
    pods: int  # P: pods at the peak
    largest: dict[str, int]  # the largest request of any one pod, per resource
    slots: int  # pods of the largest size one node holds
    daemon: dict[str, int] = attrs.field(factory=dict)  # what the DaemonSets' pods take on every node


def daemon_reserve(objects: Sequence[Any]) -> dict[str, int]:
    """The requests of one pod of every DaemonSet, summed, and ``pods``: how many DaemonSets (each
    runs one pod on every node)."""
    total: dict[str, int] = {}
    count = 0
    for o in objects:
        if o.KIND == "DaemonSet":
            count += 1
            for r, v in o.spec.template.spec.requests().items():
                total[r] = total.get(r, 0) + v
    if count:
        total["pods"] = count
    return total


def scale_ranges(objects: Sequence[Any]) -> list[tuple[Any, int, int]]:
    """``(workload, lo, hi)`` for every scalable workload, in input order."""
    hpa_min = {
        (o.meta.namespace, o.spec.target_kind, o.spec.target_name): o.spec.min_replicas
        for o in objects
        if o.KIND == "HorizontalPodAutoscaler"
    }
    out = []
    for o in objects:
        if o.KIND in SCALED_KINDS:
            floor = hpa_min.get((o.meta.namespace, o.KIND, o.meta.name), 0)
            r = o.spec.replicas
            hi = min(max(r + SCALE_MARGIN, floor), MAX_REPLICAS)
            out.append((o, min(max(floor, r - SCALE_MARGIN), hi), hi))
    return out


def peak_pods(objects: Sequence[Any]) -> list[dict[str, int]]:
    """The requests of every pod at the peak: each workload at the top of its scale range, each
    Job's ``parallelism`` pods (a CronJob's Job template's; Jobs are not scaled), and each bare
    Pod."""
    pods = [dict(o.spec.template.spec.requests()) for o, _, hi in scale_ranges(objects) for _ in range(hi)]
    for o in objects:
        job_spec = o.spec if o.KIND == "Job" else o.spec.job_template if o.KIND == "CronJob" else None
        if job_spec is not None:
            pods += [dict(job_spec.template.spec.requests()) for _ in range(job_spec.parallelism)]
    pods += [dict(o.spec.requests()) for o in objects if o.KIND == "Pod" and o.meta.controller_ref() is None]
    return pods


def size_nodes(objects: Sequence[Any], label: str) -> Sizing:
    """The N+1 node group for ``objects`` (the rule is in the module docstring)."""
    pods = peak_pods(objects)
    daemon = daemon_reserve(objects)
    largest: dict[str, int] = {}
    for req in pods:
        for r, v in req.items():
            largest[r] = max(largest.get(r, 0), v)
    for doubling in range(MAX_DOUBLINGS + 1):
        shape = {r: v * 2**doubling for r, v in BASE_SHAPE.items()}
        free = {r: v - daemon.get(r, 0) for r, v in shape.items()}
        slots = DEFAULT_MAX_PODS - daemon.get("pods", 0)
        for r in ("cpu", "memory"):
            if largest.get(r, 0) > 0:
                slots = min(slots, free[r] // largest[r])
        if slots < 1 or min(free.values()) < 0:
            continue
        count = math.ceil(len(pods) / slots) + 1
        if daemon:
            count = max(count, 2)  # a DaemonSet is about many nodes: at least one beside a lost one
        if count <= MAX_NODES:
            extra = {
                r: largest.get(r, 0) * slots + daemon.get(r, 0)
                for r in sorted({*largest, *daemon})
                if r not in (*BASE_SHAPE, "pods") and largest.get(r, 0) + daemon.get(r, 0) > 0
            }
            capacity = {**shape, **extra, "pods": DEFAULT_MAX_PODS}
            return Sizing(count, capacity, len(pods), largest, slots, {r: v for r, v in daemon.items() if v})
    raise InputError(
        f"the workloads need more than {MAX_NODES} nodes of up to {BASE_SHAPE['cpu'] // 1000 * 2**MAX_DOUBLINGS} cpu "
        f"({len(pods)} pods at the top of their scale ranges); kmodel checks small scopes: write a scenario "
        "with fewer replicas (kmodel init)",
        file=label,
    )


def _capacity_data(capacity: dict[str, int]) -> dict[str, Any]:
    return {r: (v if r == "pods" else format_amount(r, v)) for r, v in capacity.items()}


def scenario_name(sources: Sequence[Source], first_input: str) -> str:
    """A report-file-safe name from the first input: its stem, a directory's name, ``stdin``."""
    if first_input == "-":
        return "stdin"
    p = Path(first_input)
    stem = p.name if p.is_dir() else p.stem
    name = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:DNS1123_LABEL_MAX].strip("-")
    return name or "app"


def default_scenario_data(sources: Sequence[Source], first_input: str) -> tuple[dict[str, Any], Sizing]:
    """The default scenario's document, with ``spec.manifests`` as the inputs were named (for
    a scenario in the current directory; ``relocate`` moves it), and its node sizing."""
    objects = [o for s in sources for o in s.objects]
    sizing = size_nodes(objects, ", ".join(s.label for s in sources if s.objects))
    user = []
    for o, lo, hi in scale_ranges(objects):
        op: dict[str, Any] = {"op": "scale", "target": f"{o.KIND}/{o.meta.name}", "replicas": [lo, hi]}
        if o.meta.namespace != "default":
            op["namespace"] = o.meta.namespace
        user.append(op)
    manifests = [_relative(s.path, Path(".")) for s in sources if s.path is not None and s.docs]
    inline = [d for s in sources if s.path is None for d in s.docs]
    names = ", ".join(s.label for s in sources if s.docs)
    spec: dict[str, Any] = {"nodes": {"count": sizing.count, "capacity": _capacity_data(sizing.capacity)}}
    if manifests:
        spec["manifests"] = manifests
    if inline:
        spec["objects"] = inline
    spec["faults"] = dict(FAULTS)
    if user:
        spec["user"] = user
    spec["budget"] = dict(BUDGET)
    meta = {"name": scenario_name(sources, first_input), "description": f"kmodel's default scenario for {names}"}
    return {"apiVersion": "kmodel/v1", "kind": "Scenario", "metadata": meta, "spec": spec}, sizing


def relocate(data: dict[str, Any], sources: Sequence[Source], base_dir: Path) -> dict[str, Any]:
    """``data`` for a scenario file in ``base_dir``: its manifests relative to that directory."""
    if "manifests" not in data["spec"]:
        return data
    manifests = [_relative(s.path, base_dir) for s in sources if s.path is not None and s.docs]
    return {**data, "spec": {**data["spec"], "manifests": manifests}}


def _relative(path: Path, base_dir: Path) -> str:
    """``path`` as the scenario names it: absolute as given, else relative to ``base_dir``."""
    if path.is_absolute():
        return path.as_posix()
    return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(base_dir))).as_posix()


def render_init(data: dict[str, Any], sizing: Sizing, invariants: Sequence[str]) -> str:
    """``data`` as the YAML ``kmodel init`` writes: each section with a comment saying what it
    is, why it has these values and what else it could say. Loads back to ``data``."""
    spec = data["spec"]
    sections = [_header(data)]
    for key, comment in _comments(spec, sizing, invariants):
        sections.append(_comment(comment, "  "))
        if key == "nodes":
            sections.append(NODES_EXAMPLE)
        if key in spec:
            sections.append(textwrap.indent(dump({key: spec[key]}, flow=None), "  "))
    return "".join(sections)


def _header(data: dict[str, Any]) -> str:
    head = {k: data[k] for k in ("apiVersion", "kind", "metadata")}
    intro = (
        "Written by `kmodel init`: kmodel's default scenario around this application's manifests, the one "
        "`kmodel check` runs on the manifests themselves. Edit it, then run `kmodel check THIS-FILE`. "
        "Every key is described in kmodel's README, under 'Scenario files'."
    )
    return _comment(intro, "") + dump(head) + "spec:\n"


def _comments(spec: dict[str, Any], s: Sizing, invariants: Sequence[str]) -> list[tuple[str, str]]:
    largest = ", ".join(f"{format_amount(r, v)} {r}" for r, v in sorted(s.largest.items()) if v) or "no requests"
    daemon = ""
    if s.daemon:
        reserved = ", ".join(
            f"{format_amount(r, v)} {r}" if r != "pods" else f"{v} pod(s)" for r, v in sorted(s.daemon.items())
        )
        daemon = f" Each node first keeps room for one pod of every DaemonSet ({reserved})."
    return [
        (
            "nodes",
            f"Nodes sized N+1: the {s.pods} pods of every workload at the top of its scale range fit on the nodes "
            f"left after any one node is lost. Each pod is counted as the largest ({largest}), {s.slots} to a node, "
            f"so {s.count - 1} node(s) hold them under any placement, plus one.{daemon} "
            "Other forms, e.g. node pools in zones (dealt round-robin as the topology.kubernetes.io/zone label) "
            "and a named node:",
        ),
        (
            "manifests" if "manifests" in spec else "objects",
            "The application, applied in order: files relative to this scenario's directory (`manifests`), "
            "and objects read from standard input, inlined (`objects`).",
        ),
        (
            "faults",
            "The adversary's budget per run: crash (and recover) one node, crash two containers. Others: nodeLoss, "
            "nodePartition, componentRestart, staleRelist, coalesce, requestLoss, clockSkew, watchDelay "
            "(README: Faults).",
        ),
        (
            "user",
            "What a user may do at any time: kubectl scale each workload within ±2 of its replicas (no lower than "
            "0, or its HPA's minReplicas; a DaemonSet is not scaled). Others: cordon, drain, deletePod, rollout, "
            "request, setLoad.",
        ),
        (
            "invariants",
            "invariants: not given, so every built-in invariant that applies is checked: "
            f"[{', '.join(invariants)}]. List some to check only those.",
        ),
        ("budget", "Steps per run and runs per check (`kmodel check --steps N --examples N` override them)."),
    ]


NODES_EXAMPLE = """\
  #   nodes:
  #     - {count: 3, capacity: {cpu: 8, memory: 32Gi}, zones: [zone-a, zone-b, zone-c]}
  #     - {count: 1, namePrefix: gpu, capacity: {cpu: 8, memory: 64Gi, nvidia.com/gpu: 1},
  #        taints: [{key: gpu, value: "true", effect: NoSchedule}]}
  #     - {name: edge-1, capacity: {cpu: 2, memory: 4Gi}, labels: {site: edge}}
"""


def _comment(text: str, indent: str) -> str:
    lines = textwrap.wrap(text, width=100 - len(indent) - 2, break_on_hyphens=False, break_long_words=False)
    return "".join(f"{indent}# {line}\n" for line in lines)
