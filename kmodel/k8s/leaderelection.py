"""Lease-based leader election of HA control-plane replicas (client-go's ``LeaderElector``).

With ``spec.controlPlane.replicas: {kube-controller-manager: 2}`` each replica is a process
``kube-controller-manager-1``, ``kube-controller-manager-2``, ... made of an elector component
(``kube-controller-manager-1/elector``, watching the Lease ``kube-system/kube-controller-manager``)
and its own copies of the controllers (``kube-controller-manager-1/replicaset-controller``, ...),
each with its own informer cache; all components of a process share one clock offset. With one
replica (the default) nothing here is used and the components keep their plain names.

A user controller with ``replicas: N`` (``spec.controllers``, or ``Controller.replicas``) is a
group of its own in the same way: processes ``<name>-1`` … ``<name>-N``, each made of an elector
(``<name>-1/elector``, Lease ``kube-system/<name>``) and one copy of the controller
(``<name>-1/<name>``). That is controller-runtime's manager with ``LeaderElection: true``
(``pkg/leaderelection/leader_election.go: NewResourceLock``: a Lease named
``LeaderElectionID``, identity hostname + "_" + a new UUID; ``pkg/manager/internal.go:
startLeaderElection``: LeaseDuration 15s, RenewDeadline 10s, RetryPeriod 2s (later versions make
them manager Options with these defaults), ``OnStartedLeading`` starts the cache and the
controllers, ``OnStoppedLeading`` returns "leader election lost" and the program exits).
controller-runtime defaults the Lease's namespace to the pod's own; kmodel uses ``kube-system``
for every group (only the name must be unique among the groups).

Upstream sources:

- ``staging/src/k8s.io/client-go/tools/leaderelection/leaderelection.go``: ``acquire`` (retry
  ``tryAcquireOrRenew`` every RetryPeriod until it succeeds), ``renew`` (retry every RetryPeriod;
  give up when no renewal succeeded within RenewDeadline), ``tryAcquireOrRenew`` (the fast path of
  a leader, the Get, the "held by another and not yet expired" test, ``LeaderTransitions + 1`` on a
  change of holder) and ``isLeaseValid``: ``observedTime + LeaseDurationSeconds > now``, where
  ``observedTime`` is the candidate's OWN clock when it last saw the record change; the record's
  ``renewTime`` is never compared with the local clock. The package doc says: "This
  implementation does not guarantee that only one client is acting as a leader (a.k.a. fencing)."
- ``resourcelock/leaselock.go``: the record is the Lease spec (``holderIdentity``,
  ``leaseDurationSeconds``, ``acquireTime``, ``renewTime``, ``leaseTransitions``); ``Update`` sends
  the Lease last read, so it carries its resourceVersion (optimistic concurrency).
- ``staging/src/k8s.io/component-base/config/v1alpha1/defaults.go:
  RecommendedDefaultLeaderElectionConfiguration``: LeaseDuration 15s, RenewDeadline 10s,
  RetryPeriod 2s, the defaults of kube-controller-manager and kube-scheduler.
- ``cmd/kube-controller-manager/app/controllermanager.go``: identity = hostname + "_" + a new
  UUID per process start; controllers (and their informers) start in ``OnStartedLeading``;
  ``OnStoppedLeading`` logs "leaderelection lost" and exits (``cmd/kube-scheduler/app/server.go``
  alike: "Leaderelection lost"). The process is then restarted by its supervisor.

Simplifications (each one errs towards earlier take-overs, i.e. towards the split brain studied):

- The candidate's Get is a read of its informer cache (it watches its Lease), and it observes a
  change when the event is delivered (``on_event``), not at its next 2s poll: ``observedTime`` is the
  earliest any poll could record, and a stand-by's next useful try is at the expiry
  ``observedTime + LeaseDuration`` (no jitter), so its idle polls are not steps.
- Tries are prompt (``sync_deadline``): time does not pass a running elector's due try, so a
  leader misses renewals only when paused (``processPause``) or when its clock jumps
  (``clockSkew``), not by mere scheduling.
- RenewDeadline is per renew round, as upstream: ``renew`` runs rounds (``wait.Until`` every
  RetryPeriod), each polling ``tryAcquireOrRenew`` every RetryPeriod under a fresh
  ``context.WithTimeout(RenewDeadline)``. A round starts at the first try after a successful
  renewal; once a try of the round is at or past round start + RenewDeadline, the leader stops
  (without sending that try). So a leader paused between rounds (where it spends most of its
  time) resumes with a fresh round and believes it leads for up to RenewDeadline more, while one
  paused inside a failing round stops at its first try.
- The restarted process has a new identity (``<process>_<incarnation>``), starts with nothing
  observed and its controllers stopped; it restarts at once.
- ``ReleaseOnCancel`` (kube-controller-manager sets it) releases the lease only on a requested
  shutdown; losing the lease is not one, so it is not modelled.

Hosting (``hosts``): in a kubeadm cluster kube-controller-manager and kube-scheduler are static
Pods that the kubelet of each control-plane node runs from ``/etc/kubernetes/manifests``
(kubeadm docs, "Implementation details": "Generate static Pod manifest files for control plane
components"; ``cmd/kubeadm/app/phases/controlplane/manifests.go: GetStaticPodSpecs``, which gives
both ``--leader-elect=true``), and ``kubeadm init``/``join --control-plane`` mark such a node with
the label ``node-role.kubernetes.io/control-plane: ""`` and the taint
``node-role.kubernetes.io/control-plane:NoSchedule``
(``cmd/kubeadm/app/phases/markcontrolplane/markcontrolplane.go: MarkControlPlane``;
``cmd/kubeadm/app/constants/constants.go: LabelNodeRoleControlPlane``, ``ControlPlaneTaint``). So
when a scenario labels nodes so, replica ``i`` of each built-in HA group runs on the ``i``-th of
them in name order: a node crash stops the process (its elector stops renewing, its memory is
lost, ``stop_process``) and recovery starts it again with a new identity, like a static pod's new
container (``start_process``). Without such labels no process has a node, as before. A user
controller's replicas are not hosted: upstream they are a Deployment's pods, placed by the
scheduler, which kmodel does not model for controllers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from kmodel.k8s.informers import EMPTY_CACHE, Component, ComponentState, View
from kmodel.k8s.objects import Key, Lease, ObjectMeta
from kmodel.k8s.store import Event, Request, Result, Store

if TYPE_CHECKING:
    from kmodel.k8s.state import ClusterState


class Runtime(Protocol):
    """What leader election needs of the model around it, and nothing more: the components by
    name, a fresh (just restarted, relisted) component state, and a component's view.
    ``kmodel.k8s.wiring.Wiring`` is one."""

    @property
    def components(self) -> Mapping[str, Component]: ...

    def fresh(self, state: ClusterState, name: str) -> ComponentState: ...

    def view(self, state: ClusterState, name: str, cache: Any = None) -> View: ...


LEASE_DURATION = 15  # RecommendedDefaultLeaderElectionConfiguration
RENEW_DEADLINE = 10
RETRY_PERIOD = 2
LEASE_NAMESPACE = "kube-system"  # --leader-elect-resource-namespace default
GROUPS = ("kube-controller-manager", "kube-scheduler")  # the Lease names (--leader-elect-resource-name)
MAX_REPLICAS = 3
ELECTOR = "elector"
# kubeadm's control-plane node label and NoSchedule taint key (cmd/kubeadm/app/constants/constants.go)
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
# ``<group>-<index>``: the group is a built-in one or a user controller's name (a DNS label).
# Only names with a '/' are process members, and kubelets' and kube-proxies' prefixes
# (``kubelet/``, ``kube-proxy/``) do not end in ``-<digits>``.
_PROCESS = re.compile(r"^([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)-(\d+)$")


def process_name(group: str, index: int) -> str:
    """``kube-controller-manager-1`` for the first replica (1-based)."""
    return f"{group}-{index}"


def process_of(component: str) -> str | None:
    """The HA process a component belongs to (``kube-controller-manager-2/replicaset-controller``
    → ``kube-controller-manager-2``), or None for any other component."""
    process, sep, _ = component.partition("/")
    return process if sep and _PROCESS.match(process) else None


def group_of(process: str) -> str:
    """The lease (and component) a process is a replica of: ``kube-scheduler-2`` → ``kube-scheduler``."""
    m = _PROCESS.match(process)
    if m is None:
        raise ValueError(f"not an HA process name: {process!r}")
    return m.group(1)


def lease_key(group: str) -> Key:
    return ("Lease", LEASE_NAMESPACE, group)


def holder_process(identity: str) -> str:
    """The process of a holder identity ``<process>_<incarnation>``."""
    return identity.rpartition("_")[0] or identity


def record(lease: Lease | None) -> tuple[Any, ...] | None:
    """The leader-election record of a Lease (what client-go compares as ``observedRawRecord``):
    its spec, without the object's resourceVersion."""
    if lease is None:
        return None
    return (
        lease.holder_identity,
        lease.lease_duration_seconds,
        lease.acquire_time,
        lease.renew_time,
        lease.lease_transitions,
    )


@attrs.frozen
class ElectorState:
    """A ``LeaderElector``'s memory. Times are on the process's own clock.

    ``observed``: the latest Lease seen (from the cache or an own write's response, whichever is
    newer), ``observed_time``: when its record last changed as seen (client-go's observedTime);
    ``leading``: inside ``renew`` (the controllers run); ``last_renew``: the last successful
    acquire or renew; ``round_start``: when the current failing renew round began (None between
    rounds); ``next_try``: the next ``tryAcquireOrRenew``; ``epoch``: the ``leaseTransitions`` of
    the term it believes it holds; ``incarnation``: process restarts.
    """

    incarnation: int = 0
    observed: Lease | None = None
    observed_time: int | None = None
    leading: bool = False
    last_renew: int | None = None
    round_start: int | None = None
    next_try: int = 0
    epoch: int | None = None


@attrs.frozen
class LeaderElector(Component):
    """One replica's ``LeaderElector`` over the Lease ``kube-system/<group>`` (see the module doc)."""

    process: str
    group: str
    lease_duration: int = LEASE_DURATION
    renew_deadline: int = RENEW_DEADLINE
    retry_period: int = RETRY_PERIOD
    prompt = True

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"{self.process}/{ELECTOR}"

    @property
    def key(self) -> Key:
        return lease_key(self.group)

    def identity(self, local: ElectorState) -> str:
        """hostname + "_" + a UUID per start upstream; the incarnation counter here."""
        return f"{self.process}_{local.incarnation}"

    def watches(self, obj: Any) -> bool:
        return isinstance(obj, Lease) and obj.key == self.key

    def initial_local(self) -> ElectorState:
        return ElectorState()

    def on_event(self, local: ElectorState, event: Event, old: Any, view: View) -> ElectorState:
        return observe(local, view.get(self.key), view.now)

    def on_relist(self, local: ElectorState, view: View) -> ElectorState:
        return observe(local, view.get(self.key), view.now)

    def due(self, local: ElectorState) -> int:
        """When the next ``tryAcquireOrRenew`` that could change anything is (own clock): every
        RetryPeriod for a leader or with no holder to wait for, else at the observed expiry."""
        obs = local.observed
        if local.leading or obs is None or not obs.holder_identity or obs.holder_identity == self.identity(local):
            return local.next_try
        assert local.observed_time is not None
        return max(local.next_try, local.observed_time + obs.lease_duration_seconds)

    def valid(self, local: ElectorState, now: int) -> bool:
        """``isLeaseValid``: observedTime + LeaseDurationSeconds is after now."""
        obs = local.observed
        return (
            obs is not None
            and local.observed_time is not None
            and local.observed_time + obs.lease_duration_seconds > now
        )

    def reconcile(self, local: ElectorState, view: View) -> tuple[ElectorState, list[Request]]:
        now = view.now
        if now < self.due(local):
            return local, []
        local = observe(local, view.get(self.key), now)
        if local.leading:
            if local.round_start is None:  # a new renew round, with its own RenewDeadline timeout
                local = attrs.evolve(local, round_start=now)
            elif now >= local.round_start + self.renew_deadline:
                # renew(): the round timed out without a renewal → stop leading ("leaderelection lost")
                return attrs.evolve(local, leading=False), []
        local = attrs.evolve(local, next_try=now + self.retry_period)
        me = self.identity(local)
        obs = local.observed
        if obs is None:  # NotFound: create the record
            lease = Lease(
                meta=ObjectMeta(name=self.group, namespace=LEASE_NAMESPACE),
                holder_identity=me,
                lease_duration_seconds=self.lease_duration,
                renew_time=now,
                acquire_time=now,
                lease_transitions=0,
            )
            return local, [Request("create", self.key, lease, tag=("elect", "create"))]
        mine = obs.holder_identity == me
        if obs.holder_identity and self.valid(local, now) and not mine:
            return local, []  # "lock is held by ... and has not yet expired"
        lease = attrs.evolve(
            obs,
            holder_identity=me,
            lease_duration_seconds=self.lease_duration,
            renew_time=now,
            acquire_time=obs.acquire_time if mine else now,
            lease_transitions=obs.lease_transitions if mine else obs.lease_transitions + 1,
        )
        verb = "renew" if mine else "acquire"
        return local, [
            Request("update", self.key, lease, precondition_rv=obs.meta.resource_version, tag=("elect", verb))
        ]

    def on_result(self, local: ElectorState, req: Request, result: Result, view: View) -> ElectorState:
        now = view.now
        if result.ok and result.obj is not None:
            lease = result.obj
            return attrs.evolve(
                local,
                observed=lease,
                observed_time=now,
                leading=True,
                last_renew=now,
                round_start=None,
                epoch=lease.lease_transitions,
            )
        return local

    def next_deadline(self, local: ElectorState, view: View) -> int | None:
        return self.due(local)

    def sync_deadline(self, local: ElectorState, view: View) -> int | None:
        """Tries are prompt: the clock does not pass a running elector's due try (its goroutine
        is not starved). Only a pause or a clock jump makes a leader miss its renewals."""
        return self.due(local)


def observe(local: ElectorState, cached: Lease | None, now: int) -> ElectorState:
    """Take the cached Lease as the observed one when it is newer; a changed record restarts the
    expiry clock (``tryAcquireOrRenew``: ``if !bytes.Equal(observedRawRecord, ...)``)."""
    obs = local.observed
    if cached is None or (obs is not None and cached.meta.resource_version <= obs.meta.resource_version):
        return local
    if record(cached) == record(obs):
        return attrs.evolve(local, observed=cached)
    return attrs.evolve(local, observed=cached, observed_time=now)


# -- HA processes in the cluster ----------------------------------------------------------------


@attrs.frozen
class Process:
    """One replica process: its elector and its controllers (component names)."""

    name: str
    group: str
    elector: str
    controllers: tuple[str, ...]


def replicate(
    comps: Iterable[Component], replicas: dict[str, int], own: Iterable[str] = ()
) -> tuple[list[Component], dict[str, Process]]:
    """Replace each control-plane component whose group has more than one replica by one copy per
    replica (named ``<process>/<name>``), preceded by the replica's elector. ``comps`` are the
    control-plane components (no kubelets or kube-proxies); the scheduler belongs to
    kube-scheduler, a component named in ``own`` (a user controller) to a group of its own
    name, every other controller to kube-controller-manager. Groups come in a fixed order: the
    built-in ones, then the others in the order of ``comps``."""
    own = frozenset(own)
    by_group: dict[str, list[Component]] = {g: [] for g in GROUPS}
    out: list[Component] = []
    for c in comps:
        if c.name in own:
            group = c.name
        else:
            group = "kube-scheduler" if c.name == "scheduler" else "kube-controller-manager"
        if replicas.get(group, 1) > 1:
            by_group.setdefault(group, []).append(c)
        else:
            out.append(c)
    processes: dict[str, Process] = {}
    ha: list[Component] = []
    for group in by_group:
        n = replicas.get(group, 1)
        if n <= 1 or not by_group[group]:
            continue
        for i in range(1, n + 1):
            pname = process_name(group, i)
            elector = LeaderElector(process=pname, group=group)
            copies = [attrs.evolve(c, name=f"{pname}/{c.name}") for c in by_group[group]]  # type: ignore[misc]
            ha.append(elector)
            ha.extend(copies)
            processes[pname] = Process(pname, group, elector.name, tuple(c.name for c in copies))
    return ha + out, processes


def control_plane_nodes(nodes: Iterable[Any]) -> tuple[str, ...]:
    """The names of the nodes labelled ``node-role.kubernetes.io/control-plane``, sorted."""
    return tuple(sorted(n.meta.name for n in nodes if CONTROL_PLANE_LABEL in n.meta.labels))


def hosts(processes: dict[str, Process], nodes: Iterable[Any]) -> dict[str, str]:
    """Process name → the control-plane node running it (see the module doc): replica ``i``
    (1-based) of each built-in group on the ``i``-th labelled node in name order. Empty without
    labelled nodes. Raises ValueError when a group has more replicas than labelled nodes (the
    scenario reader reports it with the field path first)."""
    cp = control_plane_nodes(nodes)
    if not cp:
        return {}
    out = {}
    for name, p in processes.items():
        if p.group not in GROUPS:
            continue  # a user controller's replicas are Deployment pods upstream: not hosted
        m = _PROCESS.match(name)
        assert m is not None
        index = int(m.group(2))
        if index > len(cp):
            raise ValueError(
                f"{name}: {p.group} has more replicas than the {len(cp)} nodes labelled {CONTROL_PLANE_LABEL}"
            )
        out[name] = cp[index - 1]
    return out


def leads(state: ClusterState, process: Process) -> bool:
    """Whether the process's elector believes it leads (same process memory: the cluster may read it)."""
    local = state.components[process.elector].local
    return bool(local.leading)


def stopped(comp: Component, cursor: int) -> ComponentState:
    """A controller that is not running: its process has not (yet) become leader."""
    return ComponentState(cursor=cursor, cache=EMPTY_CACHE, local=comp.initial_local(), up=False)


def on_elector_step(
    rt: Runtime, before: ClusterState, after: ClusterState, process: Process, log: list[str] | None
) -> ClusterState:
    """Start the process's controllers when its elector starts leading (``OnStartedLeading``:
    controllers and informers start, relisting); when it stops leading, the process exits
    (``OnStoppedLeading``: "leaderelection lost") and restarts with a new identity, nothing
    observed, and its controllers stopped, their memory lost."""
    was = before.components[process.elector].local.leading
    now_leads = after.components[process.elector].local.leading
    if was == now_leads:
        return after
    comps = after.components
    store = after.store
    if now_leads:
        for name in process.controllers:
            comps = comps.set(name, rt.fresh(after, name))
        if log is not None:
            epoch = after.components[process.elector].local.epoch
            log.append(
                f"{process.name} became leader (lease {process.group}, leaseTransitions {epoch}); its controllers start"
            )
        return attrs.evolve(after, components=comps)
    for name in process.controllers:
        comps = comps.set(name, stopped(rt.components[name], store.revision))
    old = after.components[process.elector].local
    comps = comps.set(process.elector, restarted_elector(rt, after, process, old.incarnation + 1))
    if log is not None:
        log.append(
            f"{process.name}: leaderelection lost (no renewal within {RENEW_DEADLINE}s): the process exits "
            f"and restarts as {process.name}_{old.incarnation + 1}; its controllers' memory is lost"
        )
    return attrs.evolve(after, components=comps)


def restarted_elector(rt: Runtime, state: ClusterState, process: Process, incarnation: int) -> ComponentState:
    """The elector of a process that (re)starts now as ``<process>_<incarnation>``: nothing
    observed but what its first LIST shows, at its own clock."""
    elector = rt.fresh(state, process.elector)
    comp = rt.components[process.elector]
    local = comp.on_relist(ElectorState(incarnation=incarnation), rt.view(state, process.elector, elector.cache))
    return attrs.evolve(elector, local=local)


def stop_process(rt: Runtime, state: ClusterState, process: Process) -> ClusterState:
    """The process's host crashed: its elector and controllers stop (``up=False``) with their
    memory and caches lost; it renews nothing, so its Lease expires for the others. The next
    start is a new incarnation (a new identity, as upstream's hostname + "_" + a new UUID); a
    pause of the dead process ends with it."""
    comps = state.components
    for name in process.controllers:
        comps = comps.set(name, stopped(rt.components[name], state.store.revision))
    old = comps[process.elector]
    local = ElectorState(incarnation=old.local.incarnation + 1)
    down = ComponentState(cursor=state.store.revision, cache=EMPTY_CACHE, local=local, up=False)
    comps = comps.set(process.elector, down)
    return attrs.evolve(state, components=comps, paused=state.paused.delete(process.name))


def start_process(rt: Runtime, state: ClusterState, process: Process) -> ClusterState:
    """The process's host recovered: the kubelet starts the static pod again; its elector starts
    fresh (LIST at head) under the incarnation ``stop_process`` set; its controllers stay
    stopped until it leads (``on_elector_step``)."""
    incarnation = state.components[process.elector].local.incarnation
    comps = state.components.set(process.elector, restarted_elector(rt, state, process, incarnation))
    return attrs.evolve(state, components=comps)


def fence_rejection(store: Store, process: Process, req: Request) -> Result | None:
    """kmodel variant ``fencedLeaderElection`` (NOT upstream: client-go has no fencing): the API
    server rejects a write whose epoch (the ``leaseTransitions`` the sender believes it holds) is
    older than the stored Lease's, like a fencing token (Kleppmann, "How to do distributed
    locking", 2016). Returns the Conflict-like result, or None to let the write through."""
    lease = store.get(lease_key(process.group))
    if req.fence is None or lease is None or req.fence >= lease.lease_transitions:
        return None
    return Result(
        False,
        "Conflict",
        f"fenced (kmodel variant fencedLeaderElection): epoch {req.fence} is older than the lease's "
        f"{lease.lease_transitions} (holder {lease.holder_identity})",
    )


def election_pending(rt: Runtime, state: ClusterState, processes: dict[str, Process]) -> int:
    """For the settle phase: while a group has no leader, the (true) time by which some running
    candidate's next try is due, so settling does not stop before an election."""
    until = state.clock
    groups: dict[str, list[Process]] = {}
    for p in processes.values():
        groups.setdefault(p.group, []).append(p)
    for members in groups.values():
        if any(leads(state, p) and p.name not in state.paused for p in members):
            continue
        tries = []
        for p in members:
            cs = state.components[p.elector]
            if not cs.up:
                continue  # its host is down: it tries nothing
            if p.name in state.paused:
                tries.append(state.paused[p.name])
                continue
            comp = rt.components[p.elector]
            assert isinstance(comp, LeaderElector)
            tries.append(comp.due(cs.local) - state.offsets.get(p.elector, 0))
        if tries:
            until = max(until, min(tries))
    return until


# -- invariants' helpers (kmodel.k8s.invariants) -------------------------------------------------


def writer_process(who: str) -> str | None:
    """The HA process of a controller that sent a request (electors excluded)."""
    process = process_of(who)
    if process is None or who.endswith(f"/{ELECTOR}"):
        return None
    return process


def _what(req: Request, res: Result) -> str:
    """The request as a person reads it: a create names the object it made (generateName)."""
    if req.verb == "create" and res.obj is not None:
        return f"create {req.key[0]}/{res.obj.meta.namespace}/{res.obj.meta.name}"
    return str(req)


def split_brain_write(before: Store, req: Request, res: Result, who: str) -> str | None:
    """Observer of SingleLeader: a write by an HA replica's controller lands while the Lease in
    the store names another process as holder."""
    process = writer_process(who)
    if process is None or not res.ok or req.verb == "get":
        return None
    lease = before.get(lease_key(group_of(process)))
    if lease is None or holder_process(lease.holder_identity) == process:
        return None
    return (
        f"{who}: {_what(req, res)} landed while {lease.holder_identity} holds the lease {group_of(process)} "
        f"(leaseTransitions {lease.lease_transitions}): two replicas act as leader"
    )


def unfenced_write(before: Store, req: Request, res: Result, who: str) -> str | None:
    """Observer of FencedWrites: a write by an HA replica's controller lands carrying an epoch
    other than the stored Lease's current one."""
    process = writer_process(who)
    if process is None or not res.ok or req.verb == "get":
        return None
    lease = before.get(lease_key(group_of(process)))
    if lease is None or req.fence == lease.lease_transitions:
        return None
    return (
        f"{who}: {_what(req, res)} landed with epoch {req.fence}, but the lease {group_of(process)} is at "
        f"leaseTransitions {lease.lease_transitions} (holder {lease.holder_identity})"
    )


def leader_missing(state: ClusterState) -> str | None:
    """Check of LeaderEventuallyElected: each HA Lease names a holder whose process is running,
    not paused, and believes it leads under that identity."""
    electors = sorted((n, cs) for n, cs in state.components.items() if isinstance(cs.local, ElectorState))
    groups = sorted({group_of(n.partition("/")[0]) for n, _ in electors})
    for group in groups:
        lease = state.store.get(lease_key(group))
        if lease is None or not lease.holder_identity:
            return f"lease {LEASE_NAMESPACE}/{group}: no holder"
        holder = lease.holder_identity
        process = holder_process(holder)
        cs = state.components.get(f"{process}/{ELECTOR}")
        if cs is None:
            return f"lease {group}: holder {holder} is not a replica"
        local = cs.local
        if process in state.paused:
            return f"lease {group}: holder {holder} is paused"
        if not (local.leading and f"{process}_{local.incarnation}" == holder):
            return f"lease {group}: holder {holder}, but no running replica leads under that identity"
    return None


__all__ = [
    "ElectorState",
    "LeaderElector",
    "Process",
    "control_plane_nodes",
    "election_pending",
    "fence_rejection",
    "hosts",
    "leader_missing",
    "on_elector_step",
    "replicate",
    "split_brain_write",
    "start_process",
    "stop_process",
    "unfenced_write",
]
