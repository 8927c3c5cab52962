"""Watch steps: a component receives its next watch event, relists, and the store's watch log is
compacted behind every connected watcher (``kmodel.k8s.informers`` for the caches)."""

from __future__ import annotations

import attrs

from kmodel.core.evolve import evolve
from kmodel.k8s.apiserver import WATCH_CACHE_SECONDS
from kmodel.k8s.faults import HISTORY_KEEP
from kmodel.k8s.informers import cache_apply, cache_from_store
from kmodel.k8s.objects import Key
from kmodel.k8s.state import ClusterState
from kmodel.k8s.store import Event
from kmodel.k8s.wiring import Wiring


def deliver(w: Wiring, state: ClusterState, name: str, log: list[str] | None) -> ClusterState | None:
    """``deliver(component)``: the next watch event ``name`` cares about reaches its cache and its
    event handlers run (client-go's ``SharedInformer`` / ``DeltaFIFO``)."""
    if name not in state.components or not w.listening(state, name):
        return None
    ev = w.first_pending(state, name)
    if ev is None:
        return None
    return apply_event(w, state, name, ev, (), log)


def apply_event(
    w: Wiring, state: ClusterState, name: str, ev: Event, skipped: tuple[int, ...], log: list[str] | None
) -> ClusterState:
    """``ev`` reaches ``name``'s cache; ``skipped``: later revisions it already stands for (a
    coalesced delivery), which the cursor will pass over."""
    cs = state.components[name]
    comp = w.components[name]
    old = w.view(state, name).get(ev.key)
    cache = cache_apply(cs.cache, ev)
    local = comp.on_event(cs.local, ev, old, w.view(state, name, cache))
    if log is not None:
        extra = f", skipping {len(skipped)} intermediate states" if skipped else ""
        log.append(f"{name} sees {ev.type} {fmt_key(ev.key)} (rv {ev.revision}{extra})")
    skip = tuple(sorted(r for r in (*cs.skip, *skipped) if r > ev.revision))
    cs = evolve(cs, cursor=ev.revision, cache=cache, local=local, skip=skip)
    return evolve(state, components=state.components.set(name, cs))


def relist(w: Wiring, state: ClusterState, name: str) -> ClusterState:
    """Replace a running component's cache with a LIST at head, keeping its memory (a
    reflector relist, not a restart): client-go's ``Replace``, then ``on_relist``."""
    cs = state.components[name]
    comp = w.components[name]
    cache = cache_from_store(state.store, comp.watches)
    local = comp.on_relist(cs.local, w.view(state, name, cache))
    cs = attrs.evolve(cs, cursor=state.store.revision, cache=cache, local=local, skip=())
    return attrs.evolve(state, components=state.components.set(name, cs))


def watch_too_old(state: ClusterState, name: str) -> bool:
    """Whether ``name``'s next event is gone from the watch cache: its watch cannot resume
    ("too old resource version", 410) and the reflector must relist
    (``client-go/tools/cache/reflector.go: ListAndWatch``)."""
    cs = state.components[name]
    events = state.store.events
    return state.store.revision > cs.cursor and (not events or events[0].revision > cs.cursor + 1)


def normalize(w: Wiring, state: ClusterState) -> ClusterState:
    """Move each running component's cursor over the events it does not watch, up to its
    next relevant event (or the head). Which irrelevant events a component has "passed"
    changes nothing it can observe, so this makes equal views equal states, lets the log be
    compacted, and keeps the scans for pending events short."""
    comps = state.components
    head = state.store.revision
    changed = False
    for name, cs in comps.items():
        if not cs.up or cs.cursor >= head or w.cut_off(state, name):
            continue  # a cut-off watch consumes nothing; on reconnect it must see the gap
        first = w.first_pending(state, name)
        target = head if first is None else first.revision - 1
        if target > cs.cursor:
            skip = tuple(r for r in cs.skip if r > target)
            comps = comps.set(name, evolve(cs, cursor=target, skip=skip))
            changed = True
    return evolve(state, components=comps) if changed else state


def compact(w: Wiring, state: ClusterState) -> ClusterState:
    """After every step: cursors normalized, and the watch log cut below what some watcher may
    still read. Events a connected watcher has yet to receive are kept; a partitioned kubelet's
    watch is broken, so for it only the watch cache's 75s of history is kept (see
    ``kmodel.k8s.steps.faults.heal_node``); with ``faults.staleRelist``, what a lagging API
    server could still serve."""
    state = normalize(w, state)
    store = state.store
    if not store.events:
        return state
    low: int | None = None
    for name, cs in state.components.items():
        if cs.up and (low is None or cs.cursor < low) and not w.cut_off(state, name):
            low = cs.cursor
    if low is None:
        low = store.revision
    horizon = state.clock - WATCH_CACHE_SECONDS
    for ev in store.events:  # the oldest event the watch cache must still keep
        if ev.time >= horizon:
            low = min(low, ev.revision - 1)
            break
    if w.history:
        low -= HISTORY_KEEP  # keep what a lagging API server could still serve
    if store.events[0].revision > low:
        return state
    return evolve(state, store=store.compact(low))


def fmt_key(key: Key) -> str:
    kind, ns, name = key
    return f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}"
