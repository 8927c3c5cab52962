"""Time: the clock jumps to the next timer (``tick``), but never past work a running process owes.

Processes are fast: a running component handles its watch events, due timers and queued keys within
the instant they come up, in any order and interleaving with the others. So the true clock moves
only when nothing is owed (``owed_before``, the one promptness rule). Without it the adversary could
postpone any component's periodic work across ticks and the phases of the components' timers
would drift apart without bound: unfaithful (a running process handles its work in milliseconds;
a stalled one is the ``processPause`` fault, a slow API server the ``watchDelay`` fault) and an
unbounded state space for the explorer. Lag *within* an instant is unbounded, which is where the
informer races are.
"""

from __future__ import annotations

from kmodel.core.evolve import evolve
from kmodel.k8s import leaderelection as le
from kmodel.k8s.state import ClusterState
from kmodel.k8s.steps.reconcile import reconcile
from kmodel.k8s.wiring import Wiring


def next_deadline(w: Wiring, state: ClusterState) -> int | None:
    """The earliest true time after the clock at which a running component has a timer
    (component timers are on the component's own clock), or a paused HA process resumes."""
    best: int | None = None
    for end in state.paused.values():
        if best is None or end < best:
            best = end
    for name, comp in w.components.items():
        if not w.runs(state, name):
            continue
        t = comp.next_deadline(state.components[name].local, w.view(state, name))
        if t is None:
            continue
        t -= state.offsets.get(name, 0)
        if t > state.clock and (best is None or t < best):
            best = t
    return best


def owed_before(w: Wiring, state: ClusterState, t: int) -> bool:
    """The promptness rule: whether moving the true clock to ``t`` would pass work a running
    process owes. Three kinds of work are owed, each by the components it can reach:

    - a watch event: time moves at most ``faults.watchDelay`` seconds (default 0) past an event
      that a running, connected component has not yet received (without this bound every
      time-based promise, expectations expiring after 5 minutes or node grace periods, would
      fail by the adversary simply never delivering events);
    - a prompt component's sync (``Component.prompt``: the EndpointSlice controller's queue, a
      kube-proxy's pending rules, an elector's due try), by its ``sync_deadline``, while it is
      running and connected;
    - a reconcile that would change something now (a due timer, a queued key), for every running
      component, unless ``faults.watchDelay`` lets processes be slow.

    A partitioned component owes nothing to the API server but its reconcile; those are the
    semantics every recorded result was produced with."""
    for name in w.component_names:
        if not w.listening(state, name):
            continue  # a paused process's events wait for it
        first = w.first_pending(state, name)
        if first is not None and first.time + w.watch_delay < t:
            return True
    for name in w.prompt:
        if not w.listening(state, name):
            continue
        d = w.components[name].sync_deadline(state.components[name].local, w.view(state, name))
        if d is not None and d - state.offsets.get(name, 0) < t:
            return True
    if w.watch_delay:
        return False
    return any(w.runs(state, n) and reconcile(w, state, n, None) is not None for n in w.component_names)


def tick(w: Wiring, state: ClusterState, log: list[str] | None) -> ClusterState | None:
    """``tick()``: advance the true clock to the next timer, unless work is owed before it
    (``owed_before``); a paused process whose pause ends resumes."""
    t = next_deadline(w, state)
    if t is None or owed_before(w, state, t):
        return None
    if log is not None:
        log.append(f"clock {state.clock}s → {t}s")
    nxt = evolve(state, clock=t)
    if state.paused:
        resumed = [p for p, end in state.paused.items() if end <= t]
        if resumed:
            if log is not None:
                log.append(f"{', '.join(resumed)} resume{'s' if len(resumed) == 1 else ''} after a pause")
            paused = state.paused
            for p in resumed:
                paused = paused.delete(p)
            nxt = evolve(nxt, paused=paused)
    return nxt


def pending_until(w: Wiring, state: ClusterState) -> int:
    """When every timer that could still change a quiescent cluster has fired: each running
    component's ``settle_deadline`` (e.g. expiring ReplicaSet expectations) and each component's
    ``settle_until`` (a kubelet's container restarts, the node lifecycle controller's scheduled
    evictions and grace periods), pauses' ends, and a leaderless group's next election try.
    Heartbeats change nothing once the cluster is quiescent."""
    until = state.clock
    for name, cs in state.components.items():
        comp = w.components[name]
        offset = state.offsets.get(name, 0)
        if cs.up:
            t = comp.settle_deadline(cs.local, w.view(state, name))
            if t is not None:
                until = max(until, t - offset)
        if not w.host_down(state, name):
            t = comp.settle_until(cs.local, state, offset)
            if t is not None:
                until = max(until, t)
    if w.processes:
        until = max(until, *state.paused.values(), le.election_pending(w, state, w.processes))
    return until
