"""What a user may do during a run: ``kubectl`` verbs as model steps.

Each kind of user op has one entry in ``REGISTRY``:
- ``parse``: a scenario's ``spec.user[i]`` entry → ``UserOp`` (type-checked, with field paths);
- ``specs``: the actions it adds to the model's action space (drawn by stable names);
- ``apply``: the step itself, on the true store (a user is not a component: no cache).

Scenario syntax::

    user:
      - {op: scale, target: ReplicaSet/web, replicas: [1, 5]}   # kubectl scale
      - {op: cordon, target: Node/node-1}                        # kubectl cordon / uncordon
      - {op: deletePod, target: ReplicaSet/web}                  # kubectl delete pod (graceful)
      - {op: deletePod, target: ReplicaSet/web, keepReady: 1}    # ... only while 1 other pod is Ready
      - {op: forceDeletePod, target: ReplicaSet/web}             # ... --grace-period=0 --force
      - {op: forceDeletePod, target: StatefulSet/db}             # StatefulSet pods by ordinal (db-0..db-2)
      - {op: deletePod, target: Job/pi}                          # a Job's pods, finished ones included
      - {op: rollout, target: Deployment/web, images: [nginx:1.27, nginx:1.28]}  # kubectl set image
      - {op: rollout, target: DaemonSet/agent, images: [agent:2]}   # ... of a DaemonSet (rolling update)
      - {op: delete, target: ReplicaSet/web, propagationPolicy: Foreground}  # kubectl delete --cascade=foreground
      - {op: request, target: Service/web}                       # a client on each node sends one request
      - {op: setLoad, target: Deployment/web, cpu: [300m, 900m]} # the workload's CPU demand (first: initial)
      - {op: drain, target: Node/node-1}                         # kubectl drain --ignore-daemonsets
      - {op: recreate, target: Database/db, times: 1}            # kubectl delete + apply (owned kinds; times: per run)
      - {op: relabel, target: ReplicaSet/web, labels: {app: debug}, times: 1}  # kubectl label pod --overwrite
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import attrs

from kmodel.core.fmap import FMap
from kmodel.core.model import ActionSpec, Scalar
from kmodel.errors import InputError
from kmodel.fields import MAX_REPLICAS, Fields
from kmodel.k8s.objects import GenericObject, Key, Node, ObjectMeta, Pod, WorkloadLoad, load_name
from kmodel.k8s.quantity import QuantityError, parse_quantity, to_model_units
from kmodel.k8s.store import PROPAGATION_POLICIES, APIConfig, Request, Result, Store

OWNED = "a kind a user controller owns"  # UserOpType.kinds entry: any Controller.owns kind
POD_SLOTS = 3  # deletePod draws index 0..2 into the target's active pods (by name)
MAX_CHOICES = 50


@attrs.frozen
class UserOp:
    op: str
    target: Key
    params: tuple[tuple[str, tuple[Scalar, ...]], ...] = ()

    @property
    def target_name(self) -> str:
        """``Kind/name`` in the default namespace, else ``Kind/namespace/name``: the action's
        ``target`` argument, unique among the scenario's ops on objects of several namespaces."""
        kind, namespace, name = self.target
        return f"{kind}/{name}" if namespace in ("", "default") else f"{kind}/{namespace}/{name}"


Applied = tuple[Store, str] | None


@attrs.frozen
class UserOpType:
    kinds: tuple[str, ...]
    parse: Callable[[Fields, Key], UserOp]
    specs: Callable[[UserOp], list[ActionSpec]]
    apply: Callable[[Store, UserOp, str, dict[str, Any], int, APIConfig], Applied]
    keys: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()  # keys allowed but not required


def _fmt(req: Request | None, res: Result) -> str:
    return "ok" if res.ok else f"{res.reason}: {res.message}"


# -- scale ------------------------------------------------------------------------------------


def _parse_scale(f: Fields, target: Key) -> UserOp:
    rng = f.raw("replicas")
    if (
        not isinstance(rng, list)
        or len(rng) != 2
        or not all(isinstance(x, int) and not isinstance(x, bool) for x in rng)
        or not 0 <= rng[0] <= rng[1]
    ):
        raise f.error("replicas", "expected [min, max] with 0 ≤ min ≤ max")
    if rng[1] - rng[0] + 1 > MAX_CHOICES:
        raise f.error("replicas", f"at most {MAX_CHOICES} values")
    if rng[1] > MAX_REPLICAS:
        raise f.error("replicas", f"at most {MAX_REPLICAS} replicas (kmodel checks small scopes), got {rng[1]}")
    return UserOp("scale", target, (("replicas", tuple(range(rng[0], rng[1] + 1))),))


def _scale(store: Store, op: UserOp, verb: str, args: dict[str, Any], now: int, api: APIConfig) -> Applied:
    """``kubectl scale``: sets ``spec.replicas`` through the scale subresource, without a
    resourceVersion precondition."""
    obj = store.get(op.target)
    replicas = args["replicas"]
    if obj is None or obj.spec.replicas == replicas:
        return None
    new = attrs.evolve(obj, spec=attrs.evolve(obj.spec, replicas=replicas))
    req = Request("update", obj.key, new)
    store, res = store.apply(req, now, api)
    return store, f"user scales {op.target_name} from {obj.spec.replicas} to {replicas}: {_fmt(req, res)}"


# -- cordon / uncordon ------------------------------------------------------------------------


def _parse_target_only(f: Fields, target: Key) -> UserOp:
    return UserOp(f.str("op"), target)


def _cordon(store: Store, op: UserOp, verb: str, args: dict[str, Any], now: int, api: APIConfig) -> Applied:
    """``kubectl cordon``/``uncordon``: flips ``spec.unschedulable``; the node lifecycle
    controller then adds or removes the ``node.kubernetes.io/unschedulable:NoSchedule`` taint
    (TaintNodesByCondition)."""
    node = store.get(op.target)
    want = verb == "cordon"
    if not isinstance(node, Node) or node.spec.unschedulable == want:
        return None
    req = Request("update", node.key, attrs.evolve(node, spec=attrs.evolve(node.spec, unschedulable=want)))
    store, res = store.apply(req, now, api)
    return store, f"user {verb}s {node.meta.name}: {_fmt(req, res)}"


# -- delete pods ------------------------------------------------------------------------------


def owned_pods(store: Store, owner: Key) -> list[Pod]:
    """Pods whose controllerRef names the owner and that are not yet being deleted, by name."""
    owner_obj = store.get(owner)
    if owner_obj is None:
        return []
    out = []
    for p in store.list("Pod"):
        ref = p.meta.controller_ref()
        if ref is not None and ref.uid == owner_obj.meta.uid and p.meta.deletion_timestamp is None:
            out.append(p)
    return sorted(out, key=lambda p: p.meta.name)


def _parse_delete(f: Fields, target: Key) -> UserOp:
    params: tuple[tuple[str, tuple[Scalar, ...]], ...] = (("index", tuple(range(POD_SLOTS))),)
    if f.has("keepReady"):
        params = (*params, ("keepReady", (f.int("keepReady", minimum=0, maximum=MAX_CHOICES),)))
    return UserOp(f.str("op"), target, params)


def _delete_specs(op: UserOp) -> list[ActionSpec]:
    """Like ``_one``; ``keepReady`` is a setting of the op, not an argument of its steps."""
    params = tuple((k, v) for k, v in op.params if k != "keepReady")
    return [ActionSpec(op.op, "user", (("target", (op.target_name,)), *params))]


def _delete_pod(store: Store, op: UserOp, verb: str, args: dict[str, Any], now: int, api: APIConfig) -> Applied:
    """``kubectl delete pod`` (graceful: the pod's terminationGracePeriodSeconds) or with
    ``--grace-period=0 --force`` (the name is freed at once, whatever the kubelet is doing).

    ``keepReady: N`` (ReplicaSet targets) makes it a careful rolling deletion: a pod is deleted only
    while at least N other pods of the target are Ready and not being deleted — what a
    PodDisruptionBudget with ``minAvailable`` asks of evictions, judged here on the true state."""
    if op.target[0] == "StatefulSet":
        return _delete_stateful_pod(store, op, verb, args, now, api)
    pods = owned_pods(store, op.target)
    if not pods:
        return None
    pod = pods[args["index"] % len(pods)]
    keep = int(dict(op.params).get("keepReady", (0,))[0])
    if keep and sum(1 for p in pods if p is not pod and p.is_ready()) < keep:
        return None  # keepReady: a careful rolling deletion waits until enough other pods are ready
    force = verb == "forceDeletePod"
    req = Request("delete", pod.key, grace=0 if force else None, precondition_uid=pod.meta.uid)
    store, res = store.apply(req, now, api)
    how = "force-deletes" if force else "deletes"
    return store, f"user {how} {pod.meta.name}: {_fmt(req, res)}"


def _delete_stateful_pod(
    store: Store, op: UserOp, verb: str, args: dict[str, Any], now: int, api: APIConfig
) -> Applied:
    """Deleting a StatefulSet's pod: ``index`` is the ordinal, i.e. pod ``<set>-<index>`` (a
    stable name, so a shrunk trace still means the same identity). ``deletePod`` needs the pod
    not yet Terminating; ``forceDeletePod`` takes a Terminating one too — ``kubectl delete pods
    <pod> --grace-period=0 --force`` is what the docs describe for a StatefulSet pod stuck
    Terminating on an unreachable node, and why it can break "at most one"
    (https://kubernetes.io/docs/tasks/run-application/force-delete-stateful-set-pod/)."""
    owner = store.get(op.target)
    if owner is None:
        return None
    pod = store.get(("Pod", owner.meta.namespace, f"{owner.meta.name}-{args['index']}"))
    ref = pod.meta.controller_ref() if pod is not None else None
    if pod is None or ref is None or ref.uid != owner.meta.uid:
        return None
    force = verb == "forceDeletePod"
    if pod.meta.deletion_timestamp is not None and not force:
        return None
    req = Request("delete", pod.key, grace=0 if force else None, precondition_uid=pod.meta.uid)
    new, res = store.apply(req, now, api)
    if new is store:
        return None
    how = "force-deletes" if force else "deletes"
    return new, f"user {how} {pod.meta.name}: {_fmt(req, res)}"


# -- rollout (kubectl set image) -------------------------------------------------------------


def _parse_rollout(f: Fields, target: Key) -> UserOp:
    images = f.raw("images")
    if (
        not isinstance(images, list)
        or not images
        or not all(isinstance(x, str) and x and not x.isspace() for x in images)
    ):
        raise f.error("images", "expected a non-empty list of image names")
    if len(images) > MAX_CHOICES:
        raise f.error("images", f"at most {MAX_CHOICES} values")
    return UserOp("rollout", target, (("image", tuple(dict.fromkeys(images))),))


def _rollout(store: Store, op: UserOp, verb: str, args: dict[str, Any], now: int, api: APIConfig) -> Applied:
    """``kubectl set image deployment/web '*=IMAGE'`` (or ``daemonset/agent``): every container and
    init container of the pod template gets ``IMAGE`` (a template change, so the Deployment rolls
    out a new ReplicaSet, the DaemonSet a new revision); a patch, so no resourceVersion
    precondition."""
    obj = store.get(op.target)
    image = args["image"]
    if obj is None:
        return None
    spec = obj.spec.template.spec
    containers = tuple(attrs.evolve(c, image=image) for c in spec.containers)
    init = tuple(attrs.evolve(c, image=image) for c in spec.init_containers)
    if containers == spec.containers and init == spec.init_containers:
        return None
    template = attrs.evolve(obj.spec.template, spec=attrs.evolve(spec, containers=containers, init_containers=init))
    req = Request("update", obj.key, attrs.evolve(obj, spec=attrs.evolve(obj.spec, template=template)))
    store, res = store.apply(req, now, api)
    return store, f"user sets the image of {op.target_name} to {image}: {_fmt(req, res)}"


# -- delete an owner (kubectl delete --cascade) -----------------------------------------------


def _parse_delete_owner(f: Fields, target: Key) -> UserOp:
    raw = f.raw("propagationPolicy") if f.has("propagationPolicy") else "Background"
    values = raw if isinstance(raw, list) else [raw]
    if not values or not all(isinstance(v, str) and v in PROPAGATION_POLICIES for v in values):
        raise f.error("propagationPolicy", f"expected one of {', '.join(PROPAGATION_POLICIES)} (or a list of them)")
    return UserOp("delete", target, (("propagation", tuple(dict.fromkeys(values))),))


def _delete_owner(store: Store, op: UserOp, verb: str, args: dict[str, Any], now: int, api: APIConfig) -> Applied:
    """``kubectl delete replicaset/web --cascade=background|foreground|orphan``: a DELETE with
    ``propagationPolicy`` Background, Foreground or Orphan (``staging/src/k8s.io/kubectl/pkg/cmd/
    delete/delete_flags.go``: ``--cascade`` defaults to background; ``parseCascadingFlag``), by
    name, without preconditions. Enabled while the object exists and the delete changes it (a
    repeated delete with the same policy changes nothing)."""
    obj = store.get(op.target)
    if obj is None:
        return None
    policy = args["propagation"]
    req = Request("delete", obj.key, propagation=policy)
    new, res = store.apply(req, now, api)
    if new is store:
        return None
    return new, f"user deletes {op.target_name} (kubectl delete --cascade={policy.lower()}): {_fmt(req, res)}"


# -- drain (kubectl drain) ---------------------------------------------------------------------


def _drain(store: Store, op: UserOp, verb: str, args: dict[str, Any], now: int, api: APIConfig) -> Applied:
    """``kubectl drain NODE --ignore-daemonsets``: this step cordons the node (``spec.unschedulable``,
    as ``kubectl cordon``; ``staging/src/k8s.io/kubectl/pkg/drain/cordon.go``) and marks it with the
    kmodel annotation ``kmodel.io/drain: requested`` (not an upstream annotation: it stands for the
    running ``kubectl`` process). The evictions are made by the ``Drainer`` component
    (``kmodel.k8s.controllers.drain``) from its own view, so they go through the request path.
    Enabled once, while the node is not yet marked."""
    from kmodel.k8s.controllers.drain import DRAIN_ANNOTATION, DRAIN_REQUESTED, draining

    node = store.get(op.target)
    if not isinstance(node, Node) or draining(node):
        return None
    meta = attrs.evolve(node.meta, annotations=node.meta.annotations.set(DRAIN_ANNOTATION, DRAIN_REQUESTED))
    new = attrs.evolve(node, meta=meta, spec=attrs.evolve(node.spec, unschedulable=True))
    req = Request("update", node.key, new)
    store, res = store.apply(req, now, api)
    return (
        store,
        f"user drains {node.meta.name} (cordoned, marked {DRAIN_ANNOTATION}={DRAIN_REQUESTED}): {_fmt(req, res)}",
    )


# -- request (a client sends one request to a Service) --------------------------------------


def _parse_request(f: Fields, target: Key) -> UserOp:
    return UserOp("request", target, (("index", tuple(range(POD_SLOTS))),))


def _request_on_store(store: Store, op: UserOp, verb: str, args: dict[str, Any], now: int, api: APIConfig) -> Applied:
    """A request writes nothing to the API: ``ClusterModel`` routes it through the client node's
    kube-proxy table (or CoreDNS) and the node runtimes, see ``kmodel.k8s.controllers.kubeproxy``.
    Actions ``request(target, node, index)``: a client on ``node``; the ``index``-th backend."""
    return None


# -- setLoad (the metrics-server stand-in) ------------------------------------------------------


def _parse_load(f: Fields, target: Key) -> UserOp:
    raw = f.raw("cpu")
    values = raw if isinstance(raw, list) else [raw]
    if not values:
        raise f.error("cpu", "expected a CPU quantity like '500m' or a list of them")
    if len(values) > MAX_CHOICES:
        raise f.error("cpu", f"at most {MAX_CHOICES} values")
    out = []
    for v in values:
        try:
            milli = to_model_units("cpu", parse_quantity(v))
        except QuantityError as err:
            raise f.error("cpu", f"{err} (expected CPU quantities like '500m')") from None
        if milli < 0:
            raise f.error("cpu", "must not be negative")
        out.append(milli)
    return UserOp("setLoad", target, (("cpu", tuple(dict.fromkeys(out))),))


def initial_loads(ops: tuple[UserOp, ...]) -> list[WorkloadLoad]:
    """The ``WorkloadLoad`` of each workload a ``setLoad`` op names, at its first value."""
    out: dict[Key, WorkloadLoad] = {}
    for op in ops:
        if op.op != "setLoad" or op.target in out:
            continue
        kind, ns, name = op.target
        cpu = int(dict(op.params)["cpu"][0])
        out[op.target] = WorkloadLoad(ObjectMeta(name=load_name(kind, name), namespace=ns), kind, name, cpu)
    return [out[k] for k in sorted(out)]


def _set_load(store: Store, op: UserOp, verb: str, args: dict[str, Any], now: int, api: APIConfig) -> Applied:
    """The workload's total CPU demand changes (users' traffic, not an API call upstream): kmodel
    writes it to the workload's ``WorkloadLoad``, which the HPA reads as its pod metrics."""
    kind, ns, name = op.target
    load = store.get(("WorkloadLoad", ns, load_name(kind, name)))
    cpu = args["cpu"]
    if load is None or load.cpu == cpu:
        return None
    req = Request("update", load.key, attrs.evolve(load, cpu=cpu))
    store, res = store.apply(req, now, api)
    return store, f"the CPU demand of {op.target_name} goes from {load.cpu}m to {cpu}m: {_fmt(req, res)}"


# -- recreate (kubectl delete, then kubectl apply of the same manifest) ------------------------


MAX_TIMES = 10


def _parse_recreate(f: Fields, target: Key) -> UserOp:
    return UserOp("recreate", target, (("times", (f.int("times", 1, minimum=1, maximum=MAX_TIMES),)),))


def _budgeted_specs(op: UserOp) -> list[ActionSpec]:
    """Like ``_one``; ``times`` is the op's budget per run (see ``user_budgets``), not an argument."""
    return [ActionSpec(op.op, "user", (("target", (op.target_name,)), *((k, v) for k, v in op.params if k != "times")))]


def budget_key(op: UserOp) -> str:
    return f"{op.op} {op.target_name}"


def user_budgets(ops: tuple[UserOp, ...]) -> tuple[tuple[str, int], ...]:
    """Per-run budgets of user ops that have one (``times``), kept with the fault budgets in
    ``ClusterState.faults_left``: an op that is always enabled (``recreate``) would otherwise
    fill every run, leaving no room for the components to react in between."""
    return tuple((budget_key(op), int(dict(op.params)["times"][0])) for op in ops if "times" in dict(op.params))


def _recreate(store: Store, op: UserOp, verb: str, args: dict[str, Any], now: int, api: APIConfig) -> Applied:
    """``kubectl delete database/db && kubectl apply -f db.yaml``, in one step: a DELETE by name
    without preconditions, then a create of an object with the same name, labels, annotations
    and spec but a new uid and an empty status. For kinds user controllers own
    (``GenericObject``): the way a name comes to stand for a different object, which is where
    deleting by name instead of by uid goes wrong (Sieve, Sun et al., OSDI '22). Enabled while
    the object exists and is not being deleted."""
    obj = store.get(op.target)
    if not isinstance(obj, GenericObject) or obj.meta.deletion_timestamp is not None:
        return None
    store, res = store.apply(Request("delete", obj.key), now, api)
    if not res.ok or store.get(op.target) is not None:
        return store, f"user deletes {op.target_name}: {_fmt(None, res)}; it is not gone yet (finalizers), no re-create"
    meta = ObjectMeta(
        name=obj.meta.name, namespace=obj.meta.namespace, labels=obj.meta.labels, annotations=obj.meta.annotations
    )
    fresh = GenericObject(obj.api_version, obj.kind, meta, obj.spec)
    store, res = store.apply(Request("create", fresh.key, fresh), now, api)
    uid = f" (new uid {res.obj.meta.uid})" if res.ok else ""
    return store, f"user deletes and re-creates {op.target_name}: {_fmt(None, res)}{uid}"


# -- relabel (kubectl label pod <one of the target's pods> k=v --overwrite) -------------------


def _parse_relabel(f: Fields, target: Key) -> UserOp:
    """``labels``: a mapping of label keys to new values; a null value removes the label
    (``kubectl label pod p app-``). Kept as kubectl's own ``k=v`` / ``k-`` arguments."""
    sub = f.map("labels", required=True)
    if not sub.data:
        raise f.error("labels", "expected at least one label (key: value, or key: null to remove it)")
    changes = []
    for k in sorted(sub.data):
        v = sub.data[k]
        if not k or any(c.isspace() or c in "=," for c in k) or k.endswith("-"):
            raise sub.error(k, "not a valid label key")
        if v is None:
            changes.append(f"{k}-")
        elif isinstance(v, str) and not any(c.isspace() or c in "=," for c in v):
            changes.append(f"{k}={v}")
        else:
            raise sub.error(k, "expected a label value (a string without spaces) or null to remove the label")
    times = f.int("times", 1, minimum=1, maximum=MAX_TIMES)
    return UserOp(
        "relabel", target, (("index", tuple(range(POD_SLOTS))), ("labels", tuple(changes)), ("times", (times,)))
    )


def _relabel_specs(op: UserOp) -> list[ActionSpec]:
    """One step per pod slot; ``labels`` and ``times`` are settings of the op, not arguments."""
    params = tuple((k, v) for k, v in op.params if k not in ("labels", "times"))
    return [ActionSpec(op.op, "user", (("target", (op.target_name,)), *params))]


def relabelled(labels: Any, changes: tuple[Scalar, ...]) -> dict[str, str]:
    """``labels`` after kubectl's ``k=v`` (set, ``--overwrite``) and ``k-`` (remove) arguments."""
    out = dict(labels.items())
    for change in changes:
        text = str(change)
        if text.endswith("-") and "=" not in text:
            out.pop(text[:-1], None)
        else:
            k, _, v = text.partition("=")
            out[k] = v
    return out


def _relabel(store: Store, op: UserOp, verb: str, args: dict[str, Any], now: int, api: APIConfig) -> Applied:
    """``kubectl label pod <pod> k=v --overwrite`` on the ``index``-th pod (by name) the target
    controls and that is not being deleted: a patch of ``metadata.labels``, so no
    resourceVersion precondition. A pod whose labels no longer match its ReplicaSet's selector
    is released by the controller (``ReleasePod``) and replaced. Enabled only when the labels
    change; ``times`` (default 1) bounds it per run, as each release makes another pod to
    relabel."""
    pods = owned_pods(store, op.target)
    if not pods:
        return None
    pod = pods[args["index"] % len(pods)]
    labels = relabelled(pod.meta.labels, dict(op.params)["labels"])
    if labels == dict(pod.meta.labels.items()):
        return None
    new = attrs.evolve(pod, meta=attrs.evolve(pod.meta, labels=FMap(labels)))
    req = Request("update", pod.key, new, precondition_uid=pod.meta.uid)
    store, res = store.apply(req, now, api)
    what = " ".join(str(c) for c in dict(op.params)["labels"])
    return store, f"user labels pod {pod.meta.name} {what}: {_fmt(req, res)}"


def _one(op: UserOp) -> list[ActionSpec]:
    return [ActionSpec(op.op, "user", (("target", (op.target_name,)), *op.params))]


def _both(op: UserOp) -> list[ActionSpec]:
    return [ActionSpec(verb, "user", (("target", (op.target_name,)),)) for verb in ("cordon", "uncordon")]


_REPLICATED = ("ReplicaSet", "ReplicationController")  # the ReplicaSet controller's code path manages both

REGISTRY: dict[str, UserOpType] = {
    "scale": UserOpType((*_REPLICATED, "Deployment", "StatefulSet"), _parse_scale, _one, _scale, ("replicas",)),
    "cordon": UserOpType(("Node",), _parse_target_only, _both, _cordon),
    "deletePod": UserOpType(
        (*_REPLICATED, "StatefulSet", "DaemonSet", "Job"),
        _parse_delete,
        _delete_specs,
        _delete_pod,
        optional=("keepReady",),
    ),
    "forceDeletePod": UserOpType(
        (*_REPLICATED, "StatefulSet", "Job"), _parse_delete, _delete_specs, _delete_pod, optional=("keepReady",)
    ),
    "rollout": UserOpType(("Deployment", "DaemonSet"), _parse_rollout, _one, _rollout, ("images",)),
    "delete": UserOpType(
        (*_REPLICATED, "Deployment", "DaemonSet"),
        _parse_delete_owner,
        _one,
        _delete_owner,
        optional=("propagationPolicy",),
    ),
    "request": UserOpType(("Service",), _parse_request, _one, _request_on_store),
    "setLoad": UserOpType(("Deployment", *_REPLICATED, "StatefulSet"), _parse_load, _one, _set_load, ("cpu",)),
    "drain": UserOpType(("Node",), _parse_target_only, _one, _drain),
    "recreate": UserOpType((OWNED,), _parse_recreate, _budgeted_specs, _recreate, optional=("times",)),
    "relabel": UserOpType(("ReplicaSet",), _parse_relabel, _relabel_specs, _relabel, ("labels",), ("times",)),
}
VERBS: dict[str, str] = {"uncordon": "cordon"}  # action op → registry entry, where they differ


def parse_user_op(f: Fields, objects: set[Key], nodes: set[str], custom_kinds: Collection[str] = ()) -> UserOp:
    f.only(("op", "target", "namespace", *sorted({k for t in REGISTRY.values() for k in (*t.keys, *t.optional)})))
    op = f.str("op")
    kind_spec = REGISTRY.get(op)
    if kind_spec is None:
        raise f.error("op", f"unknown user op {op!r} (supported: {', '.join(REGISTRY)})")
    target = f.str("target")
    kind, _, name = target.partition("/")
    if kind not in kind_spec.kinds and not (OWNED in kind_spec.kinds and kind in custom_kinds):
        raise f.error("target", f"{op} targets {' or '.join(kind_spec.kinds)}, got {target!r}")
    if kind == "Node":
        if name not in nodes:
            raise f.error("target", f"no node {name!r} in spec.nodes")
        key: Key = ("Node", "", name)
    else:
        namespace = f.str("namespace", "default")
        key = (kind, namespace, name)
        if key not in objects:
            raise f.error("target", f"no object {target!r} in namespace {namespace!r} among the scenario's objects")
    for extra in kind_spec.keys:
        if not f.has(extra):
            raise f.error(extra, "is required")
    parsed = kind_spec.parse(f, key)
    if op == "request":  # a client on every node (the entry's parse does not see the nodes)
        parsed = attrs.evolve(parsed, params=(("node", tuple(sorted(nodes))), *parsed.params))
    return parsed


def apply_user_op(
    store: Store, ops: tuple[UserOp, ...], verb: str, args: dict[str, Any], now: int, api: APIConfig
) -> Applied:
    entry = VERBS.get(verb, verb)
    target = args.get("target")
    for op in ops:
        if op.op == entry and op.target_name == target:
            return REGISTRY[entry].apply(store, op, verb, args, now, api)
    return None


def user_specs(ops: tuple[UserOp, ...]) -> list[ActionSpec]:
    out: list[ActionSpec] = []
    for op in ops:
        out.extend(REGISTRY[op.op].specs(op))
    return out


__all__ = [
    "REGISTRY",
    "InputError",
    "UserOp",
    "apply_user_op",
    "initial_loads",
    "parse_user_op",
    "user_budgets",
    "user_specs",
]
