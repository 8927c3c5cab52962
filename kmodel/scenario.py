"""Scenario files (``apiVersion: kmodel/v1, kind: Scenario``) → a ClusterModel configuration.

The format is public; users' files depend on it. Unknown keys are errors with a "did you mean"
hint, so a typo never silently changes what is checked. A loaded scenario also carries its
*resolved* form: the same document with every manifest inlined under ``spec.objects``, which
traces embed so that they replay without the original files.

Example::

    apiVersion: kmodel/v1
    kind: Scenario
    metadata: {name: web-node-crash, description: "..."}
    spec:
      nodes:
        - {name: node-1, capacity: {cpu: "4", memory: 4Gi, pods: 110}, labels: {}, taints: []}
      # or by count and shape: {count: 3, capacity: {cpu: 4, memory: 16Gi}, zones: [a, b]}
      # (also a list of such groups and named nodes; kmodel.nodeshapes)
      manifests: [app.yaml]        # relative to the scenario file, applied in order
      objects: []                  # the same, inline
      controlPlane: {nodeMonitorGracePeriod: 50s}   # replicas: {kube-controller-manager: 2}
                                                    # runs 2 replicas with leader election
      variants: {replicaSetExpectations: true}
      faults: {nodeCrash: 1, containerCrash: 2}
      user:
        - {op: scale, target: ReplicaSet/web, replicas: [1, 5]}
      invariants: [NoOvercommit, ReplicasConverge]
      budget: {steps: 50, examples: 200}

User controllers and invariants (``kmodel.Controller``, ``@kmodel.invariant``) are named as
``"MODULE:NAME"``, MODULE a Python file relative to the scenario's directory (see
``kmodel.usercode``)::

      controllers: ["ops/db.py:DatabaseOperator"]     # or {controller: "...", replicas: 2}:
                                                      # leader-elected replicas
      objects: [{apiVersion: example.com/v1, kind: Database, metadata: {name: db}}]
      invariants: [NoOvercommit, "ops/db.py:ReadyDatabaseHasSecret"]

Objects may be of a kind a listed controller ``owns``; any other unknown kind is an error. The
resolved form embeds each module's source under ``spec.modules``.
"""

from __future__ import annotations

import copy
import re
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from kmodel.core.bounded import MAX_DEVIATIONS
from kmodel.core.fmap import FMap
from kmodel.errors import InputError
from kmodel.fields import MAX_WAIT_SECONDS, Fields, suggest
from kmodel.k8s import invariants as catalogue
from kmodel.k8s import leaderelection
from kmodel.k8s.cluster import ClusterConfig, ClusterModel, ControlPlane, Variants
from kmodel.k8s.faults import FAULTS, MAX_CLOCK_SKEW
from kmodel.k8s.usercontrollers import Controller, UserInvariant, make_controller
from kmodel.k8s.userops import parse_user_op
from kmodel.manifests import (
    DNS1123_LABEL_MAX,
    defined_kinds,
    label_map,
    not_modelled,
    parse_documents,
    parse_resources,
    parse_taint,
    shown,
)
from kmodel.nodeshapes import MAX_NODES, parse_nodes
from kmodel.usercode import ModuleLoader, parse_inline_modules
from kmodel.yamlio import load_documents, read_text

API_VERSION = "kmodel/v1"
SPEC_KEYS = (
    "nodes",
    "manifests",
    "objects",
    "controlPlane",
    "variants",
    "faults",
    "user",
    "invariants",
    "budget",
    "start",
    "nodeGroups",
    "controllers",
    "modules",
)
VARIANTS = {
    "replicaSetExpectations": "replica_set_expectations",
    "replicaSetEdgeTriggeredDeletes": "replica_set_edge_triggered_deletes",
    "replicaSetTrustsStatus": "replica_set_trusts_status",
    "schedulerAssumeCache": "scheduler_assume_cache",
    "garbageCollector": "garbage_collector",
    "disruptionControllerTrackDisrupted": "disruption_controller_track_disrupted",
    "fencedLeaderElection": "fenced_leader_election",  # kmodel's own: upstream has no fencing
    "daemonSetIgnoresTaints": "daemon_set_ignores_taints",
    "jobTrackingFinalizers": "job_tracking_finalizers",  # False: legacy Job tracking (before 1.26)
}
CONTROL_PLANE = {
    "nodeMonitorGracePeriod": ("node_monitor_grace_period", "duration"),
    "nodeLeaseDurationSeconds": ("node_lease_duration_seconds", "int"),
    "defaultNotReadyTolerationSeconds": ("default_not_ready_toleration_seconds", "int"),
    "defaultUnreachableTolerationSeconds": ("default_unreachable_toleration_seconds", "int"),
}
DEFAULT_NAME = "default"
DEFAULT_DEVIATIONS = 2  # CHESS: every unknown bug it found needed at most 2 preemptions
DEFAULT_SCHEDULES = 10_000
# about 4 s and 230 schedules on the default scenario; the guarantee line says how far it got (every shipped
# bug the bounded search finds took under 20,000: rs-edge-triggered-coalesce 19,159, le-pause-larger 17,884)
DEFAULT_BOUNDED_STEPS = 30_000


@attrs.frozen
class Budget:
    """What ``kmodel check`` may spend: the random phase's ``examples`` runs of up to ``steps``
    steps, then the deviation-bounded search (``kmodel.core.bounded``) over every schedule with
    at most ``deviations`` deviations, up to ``schedules`` schedules and ``bounded_steps`` model
    steps in them (a budget of work: short schedules come many to the step)."""

    steps: int = 50
    examples: int = 200
    deviations: int = DEFAULT_DEVIATIONS
    schedules: int = DEFAULT_SCHEDULES
    bounded_steps: int = DEFAULT_BOUNDED_STEPS


@attrs.frozen
class Scenario:
    name: str
    description: str
    source: str
    config: ClusterConfig
    budget: Budget
    resolved: dict[str, Any] = attrs.field(eq=False, repr=False)
    inert: tuple[str, ...] = attrs.field(default=(), eq=False)
    """The objects stored but used by no component ("present, not modelled"), as
    ``manifests.not_modelled`` names them."""

    def model(self) -> ClusterModel:
        return ClusterModel(self.config)


def default_scenario_path() -> Path:
    return Path(str(resources.files("kmodel") / "scenarios" / "default" / "scenario.yaml"))


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Load a scenario file (the built-in default when ``path`` is None)."""
    p = default_scenario_path() if path is None else Path(path)
    label = "<built-in default scenario>" if path is None else str(path)
    docs = load_documents(read_text(p, label), label)
    if len(docs) != 1:
        raise InputError(f"expected one YAML document, found {len(docs)}", file=label)
    return scenario_from_data(docs[0], label, p.parent)


def scenario_from_data(data: Any, label: str, base_dir: Path | None = None) -> Scenario:
    """Build a Scenario from parsed YAML. ``base_dir`` resolves ``spec.manifests``; without it
    (a trace's embedded scenario) manifests must already be inlined."""
    try:
        return _build(data, label, base_dir)
    except InputError as err:
        raise err.within(file=label) from None


def _build(data: Any, label: str, base_dir: Path | None) -> Scenario:
    top = Fields(data, what="a kmodel Scenario document")
    top.only(("apiVersion", "kind", "metadata", "spec"))
    if top.str("apiVersion") != API_VERSION:
        raise top.error("apiVersion", f"expected {API_VERSION!r}, got {top.raw('apiVersion')!r}")
    if top.str("kind") != "Scenario":
        raise top.error("kind", f"expected 'Scenario', got {top.raw('kind')!r}")
    meta = top.map("metadata")
    meta.only(("name", "description"))
    name = meta.str("name", DEFAULT_NAME)
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name):
        raise meta.error("name", f"{shown(name)} must be lowercase letters, digits and '-' (it names report files)")
    if len(name) > DNS1123_LABEL_MAX:  # a DNS-1123 label, as a namespace: short enough for file names
        raise meta.error("name", f"must be no more than {DNS1123_LABEL_MAX} characters (it names report files)")
    description = meta.str("description", "")
    spec = top.map("spec", required=True)
    spec.only(SPEC_KEYS)

    nodes = parse_nodes(spec)

    loader = ModuleLoader(base_dir, parse_inline_modules(spec.raw("modules"), (*spec.path, "modules")), label)
    controllers = _controllers(spec, loader)
    custom_kinds = frozenset(k for c, _ in controllers for k in c.owns)

    raw_objects: list[Any] = []
    objects: list[Any] = []
    files = []
    for path, item in spec.list("manifests"):
        if not isinstance(item, str):
            raise InputError("expected a file name", path=path)
        if base_dir is None:
            raise InputError("manifests must be inlined here (use spec.objects)", path=path)
        mpath = base_dir / item
        files.append((str(mpath), load_documents(read_text(mpath, str(mpath)), str(mpath))))
    inline = list(spec.list("objects"))
    inline_docs = [doc for _, doc in inline]
    crds = defined_kinds([*(d for _, docs in files for d in docs), *inline_docs])  # CRDs in any file
    for mlabel, docs in files:
        objects.extend(parse_documents(docs, mlabel, custom_kinds=custom_kinds, crd_kinds=crds))
        raw_objects.extend(docs)
    try:
        objects.extend(parse_documents(inline_docs, label, custom_kinds=custom_kinds, crd_kinds=crds))
    except InputError as err:
        idx = (err.document or 1) - 1
        raise InputError(err.message, path=("spec", "objects", idx, *err.path)) from None
    raw_objects.extend(inline_docs)
    workloads = []
    for obj in objects:
        if obj.KIND == "Node":
            if any(n.meta.name == obj.meta.name for n in nodes):
                raise spec.error("nodes", f"node {obj.meta.name!r} is defined more than once")
            nodes.append(obj)
        else:
            workloads.append(obj)
    if len(nodes) > MAX_NODES:
        raise spec.error("nodes", f"at most {MAX_NODES} nodes (kmodel checks small scopes)")
    _unique([f"{o.KIND}/{o.meta.namespace}/{o.meta.name}" for o in workloads if o.meta.name], spec, "objects")

    cp = spec.map("controlPlane")
    cp.only((*CONTROL_PLANE, "replicas"))
    cp_values: dict[str, Any] = {}
    for key, (attr, typ) in CONTROL_PLANE.items():
        if cp.has(key):
            cp_values[attr] = (
                _duration(cp, key) if typ == "duration" else cp.int(key, minimum=1, maximum=MAX_WAIT_SECONDS)
            )
    rf = cp.map("replicas")
    rf.only(leaderelection.GROUPS)
    replicas = tuple(
        (g, rf.int(g, minimum=1, maximum=leaderelection.MAX_REPLICAS)) for g in leaderelection.GROUPS if rf.has(g)
    )
    cp_values["replicas"] = tuple((g, n) for g, n in replicas if n > 1)
    # kubeadm: each HA replica is a static pod on its own control-plane node (leaderelection.hosts)
    cp_nodes = leaderelection.control_plane_nodes(nodes)
    for g, n in cp_values["replicas"]:
        if cp_nodes and n > len(cp_nodes):
            raise rf.error(
                g,
                f"{n} replicas need {n} nodes labelled {leaderelection.CONTROL_PLANE_LABEL} (one static pod "
                f"per control-plane node), but the scenario has {len(cp_nodes)}: {', '.join(cp_nodes)}",
            )
    control_plane = ControlPlane(**cp_values)

    vf = spec.map("variants")
    vf.only(VARIANTS)
    variants = Variants(**{attr: vf.bool(key) for key, attr in VARIANTS.items() if vf.has(key)})

    ff = spec.map("faults")
    ff.only(FAULTS)
    seconds = ("clockSkew", "watchDelay")  # these budgets are in seconds, the others are counts
    faults = tuple(
        (k, ff.int(k, minimum=0, maximum=MAX_CLOCK_SKEW if k in seconds else 10)) for k in FAULTS if ff.has(k)
    )
    if dict(faults).get("processPause", 0) > 0 and not control_plane.replicas and all(n == 1 for _, n in controllers):
        raise ff.error(
            "processPause",
            "pauses HA replicas: set spec.controlPlane.replicas or a controller's replicas above 1 first",
        )

    keys = {(o.KIND, o.meta.namespace, o.meta.name) for o in workloads}
    node_names = {n.meta.name for n in nodes}
    user = [
        parse_user_op(Fields(item, path), keys, node_names, custom_kinds=custom_kinds)
        for path, item in spec.list("user")
    ]

    inv: tuple[str, ...] | None = None
    user_invariants: dict[str, UserInvariant] = {}
    if spec.has("invariants"):
        names = spec.str_list("invariants")
        builtin = []
        for i, n in enumerate(names):
            if ":" in n:  # MODULE:NAME, a user invariant (kmodel.usercode)
                ui = loader.invariant(n, ("spec", "invariants", i))
                if ui.name in catalogue.BUILTIN or (ui.name in user_invariants and user_invariants[ui.name] is not ui):
                    raise InputError(f"invariant name {ui.name!r} is already taken", path=("spec", "invariants", i))
                user_invariants[ui.name] = ui
            elif n not in catalogue.BUILTIN:
                hint = suggest(n, catalogue.BUILTIN, "known")
                raise InputError(
                    f"unknown invariant {n!r}{hint} (a user invariant is 'MODULE:NAME')", path=("spec", "invariants", i)
                )
            else:
                builtin.append(n)
        inv = tuple(dict.fromkeys(builtin))

    bf = spec.map("budget")
    bf.only(("steps", "examples", "deviations", "schedules", "boundedSteps"))
    budget = Budget(
        steps=bf.int("steps", 50, minimum=1, maximum=10_000),
        examples=bf.int("examples", 200, minimum=1, maximum=1_000_000),
        deviations=bf.int("deviations", DEFAULT_DEVIATIONS, minimum=0, maximum=MAX_DEVIATIONS),
        schedules=bf.int("schedules", DEFAULT_SCHEDULES, minimum=1, maximum=10_000_000),
        bounded_steps=bf.int("boundedSteps", DEFAULT_BOUNDED_STEPS, minimum=1, maximum=1_000_000_000),
    )
    start = spec.str("start", "settled")
    if start not in ("settled", "applied"):
        raise spec.error("start", f"expected 'settled' or 'applied', got {start!r}")

    groups = _node_groups(spec, {n.meta.name for n in nodes})

    config = ClusterConfig(
        nodes=tuple(nodes),
        objects=tuple(workloads),
        variants=variants,
        control_plane=control_plane,
        faults=faults,
        user=tuple(user),
        invariants=inv,
        start=start,
        node_groups=groups,
        controllers=tuple(make_controller(c, n) for c, n in controllers),
        user_invariants=tuple(ui.property() for ui in user_invariants.values()),
    )
    if controllers:
        builtin_model = ClusterModel(attrs.evolve(config, controllers=()))
        builtin_names = {*builtin_model.component_names, *builtin_model.processes}  # HA process names too
        for i, (c, _) in enumerate(controllers):
            if c.name in builtin_names:
                raise InputError(
                    f"controller name {c.name!r} is taken by a built-in component", path=("spec", "controllers", i)
                )
    resolved = copy.deepcopy(data)
    resolved.setdefault("metadata", {})
    resolved["metadata"] = {"name": name, "description": description}
    rspec = resolved["spec"]
    rspec["manifests"] = []
    rspec["objects"] = copy.deepcopy(raw_objects)
    if loader.sources:
        rspec["modules"] = loader.embedded()  # traces replay the code they were found with
    try:
        ClusterModel(config).initial()
    except ValueError as err:
        raise InputError(f"the objects cannot be applied: {err}", path=("spec", "objects")) from None
    inert = not_modelled(workloads, custom_kinds)
    return Scenario(name, description, label, config, budget, resolved, inert)


MAX_GROUP_SIZE = 5


def _node_groups(spec: Fields, node_names: set[str]) -> tuple[Any, ...]:
    """``spec.nodeGroups: [{name, min, max, template: {capacity, labels, taints}}]`` for the
    cluster autoscaler (``kmodel.k8s.controllers.autoscaler``). The group's nodes are named
    ``<name>-1`` … ``<name>-<max>``; ``min`` is documentation only (the scenario's nodes are the
    initial ones) and must not exceed ``max``."""
    from kmodel.k8s.controllers.autoscaler import NodeGroup

    groups = []
    for path, item in spec.list("nodeGroups"):
        gf = Fields(item, path)
        gf.only(("name", "min", "max", "template"))
        name = gf.str("name")
        if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name):
            raise gf.error("name", f"{shown(name)} must be lowercase letters, digits and '-'")
        if len(name) > DNS1123_LABEL_MAX:  # its nodes are <name>-<i>
            raise gf.error("name", f"must be no more than {DNS1123_LABEL_MAX} characters")
        lo = gf.int("min", 0, minimum=0)
        hi = gf.int("max", minimum=1, maximum=MAX_GROUP_SIZE)
        if lo > hi:
            raise gf.error("min", f"must be ≤ max ({hi})")
        tf = gf.map("template", required=True)
        tf.only(("capacity", "labels", "taints"))
        capacity = parse_resources(tf, "capacity")
        if "cpu" not in capacity or "memory" not in capacity:
            raise tf.error("capacity", "must give cpu and memory")
        group = NodeGroup(
            name,
            lo,
            hi,
            capacity,
            FMap(label_map(tf, "labels")),
            tuple(parse_taint(Fields(t, p)) for p, t in tf.list("taints")),
        )
        clash = sorted(set(group.node_names()) & node_names)
        if clash:
            raise gf.error("name", f"its node {clash[0]!r} is already in spec.nodes")
        groups.append(group)
    _unique([g.name for g in groups], spec, "nodeGroups")
    return tuple(groups)


MAX_CONTROLLERS = 10


def _controllers(spec: Fields, loader: ModuleLoader) -> list[tuple[Controller, int]]:
    """``spec.controllers``: ``"MODULE:NAME"`` or ``{controller: "MODULE:NAME", replicas: N}``;
    each controller with its replica count (the entry's ``replicas``, else the class's). With
    N > 1 its replicas are processes ``<name>-1`` … ``<name>-N`` electing a leader through the
    Lease ``kube-system/<name>`` (``kmodel.k8s.leaderelection``), so the name must not be a
    built-in Lease's nor another controller's process name."""
    out: list[tuple[Controller, int]] = []
    paths = []
    for path, item in spec.list("controllers"):
        replicas = None
        if isinstance(item, dict):
            cf = Fields(item, path)
            cf.only(("controller", "replicas"))
            ref: Any = cf.str("controller")
            replicas = cf.int("replicas", None, minimum=1, maximum=leaderelection.MAX_REPLICAS)
            ref_path = (*path, "controller")
        else:
            ref, ref_path = item, path
        ctl = loader.controller(ref, ref_path)  # checks a class attribute ``replicas`` too
        replicas = ctl.replicas if replicas is None else replicas
        if any(c.name == ctl.name for c, _ in out):
            raise InputError(f"two controllers are named {ctl.name!r}", path=path)
        if replicas > 1 and ctl.name in leaderelection.GROUPS:
            raise InputError(
                f"controller {ctl.name!r} with {replicas} replicas would share the built-in Lease "
                f"kube-system/{ctl.name}; rename it",
                path=path,
            )
        out.append((ctl, replicas))
        paths.append(path)
    if len(out) > MAX_CONTROLLERS:
        raise spec.error("controllers", f"at most {MAX_CONTROLLERS} controllers")
    process_names = {leaderelection.process_name(c.name, i): c.name for c, n in out if n > 1 for i in range(1, n + 1)}
    for (c, _), path in zip(out, paths, strict=True):
        if c.name in process_names:
            raise InputError(
                f"controller name {c.name!r} is the name of a replica process of {process_names[c.name]!r}",
                path=path,
            )
    return out


def _unique(names: list[str], f: Fields, key: str) -> None:
    seen = set()
    for i, n in enumerate(names):
        if n in seen:
            raise InputError(f"duplicate name {n!r}", path=(*f.path, key, i))
        seen.add(n)


_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def _duration(f: Fields, key: str) -> int:
    """Seconds from an int or a Go duration string (``50s``, ``5m``, ``1h30m``)."""
    value = f.raw(key)
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, str) and len(value) > 40:
        raise f.error(key, f"expected a duration like '50s' or '5m', got {shown(value)}")
    elif isinstance(value, str) and value and (m := _DURATION.match(value)) and any(m.groups()):
        h, mi, sec = (int(x) if x else 0 for x in m.groups())
        seconds = h * 3600 + mi * 60 + sec
    else:
        raise f.error(key, f"expected a duration like '50s' or '5m', got {value!r}")
    if seconds < 1:
        raise f.error(key, "must be at least 1s")
    if seconds > MAX_WAIT_SECONDS:
        raise f.error(key, f"must be at most {MAX_WAIT_SECONDS}s (kmodel's limit: longer waits do not settle)")
    return seconds
