"""Time abstraction for the explorer: states that differ only in how far the clock has run are one.

Heartbeats never stop: every kubelet renews its Lease every ``nodeLeaseDurationSeconds / 4``,
which moves the true clock, bumps the store's revision and stamps fresh times. Without an
abstraction no state ever repeats, the state graph has no cycles and no scope can be explored to
the end. ``abstract(state)`` maps a state to a canonical member of its class under three
renamings that no component, timer or invariant can observe:

- **Clock translation.** Every time in the state (object timestamps, event times, component
  timers) is moved by the same amount so that the true clock reads ``BASE``. The model only
  compares times with each other or adds durations to them, so translation changes nothing.
- **Forgetting the distant past.** A time more than ``horizon`` seconds before the clock is
  older than anything any timer or comparison of the scope looks back (the horizon is the
  longest duration in the scenario, e.g. the 600s CrashLoopBackOff reset, plus the longest
  backoff); such times are renumbered densely below ``BASE - horizon``, keeping their order and
  equalities. Times that are used by their phase (probe ticks at ``admitted_at + k × period``)
  keep their residue modulo the probe periods instead.
- **Dense resourceVersions.** resourceVersions are only compared for equality and order, and the
  watch log is a run of consecutive revisions after the compaction point; all revisions in the
  state are renumbered densely in order (the compaction point included, so a watch that fell
  behind it still cannot resume).

Which fields hold times and revisions is declared with each class, by the ``declare`` class
decorator in the class's own module (``@abstraction.declare(fields={"last_renew": TIME},
plain={"restarts"})`` above ``@attrs.frozen``); this module imports no component, the components
import it. A class is declared when its module is imported, i.e. before any instance of it can be
in a state. Classes in modules that do not import this one are declared by name in ``FIELDS`` and
``PLAIN`` below. A test walks the states of every shipped scenario and fails on any attrs class
with an ``int`` field that is declared nowhere (``unclassified``) — so a new component cannot
silently break the abstraction — and another checks that ``abstract`` commutes with ``step`` (the
abstraction is a bisimulation) on explored states.

This is the time abstraction TLC users write by hand as a "view" (``VIEW`` in the TLC config);
here it is part of the model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import attrs

from kmodel.core.evolve import attrs_fields_in, remap
from kmodel.core.fmap import FMap

BASE = 1_000_000  # the clock of every abstract state; times stay positive
TIME = "time"  # an absolute time in seconds (true clock or a component's own clock)
ORDER = "order:"  # prefix: a time of a group (ORDER + name) with its own horizon (see TimeAbstraction)
OPAQUE = "opaque"  # a time nothing reads (only whether it is None): every value becomes BASE
CREATED = ORDER + "created"  # creationTimestamp: only sorts objects (ranks, oldest first)
HEARTBEAT = ORDER + "heartbeat"  # a node's Ready heartbeat: only compared with the last one seen
RENEW = ORDER + "renew"  # a Lease's renew/acquire times: compared with each other (records), not the clock
READY = ORDER + "ready"  # when a container passes readiness: only "is it past?" (``now >= ready_at``)
PROBE = ORDER + "probe"  # the node lifecycle controller's last probe: compared with now - grace period
EXPECT = ORDER + "expect"  # ReplicaSet expectations' timestamp: compared with now - 5 minutes
PHASE = "phase"  # an absolute time used by its phase modulo the probe periods
REV = "rev"  # a resourceVersion / revision
REVS = "revs"  # a tuple of revisions
TIME_VALUES = "time-values"  # an FMap whose values are times
REV_VALUES = "rev-values"  # an FMap whose values are revisions (negative values are sentinels)
VALUE_TIMES = "value-times"  # a tuple of (value, time) pairs
MAPPED_VALUE_TIMES = "mapped-value-times"  # an FMap whose values are (value, time) pairs

Kind = str


FIELDS: dict[str, dict[str, Kind]] = {
    # Class name → field → kind, for classes whose modules cannot declare them with ``declare``
    # (kmodel.k8s.informers, kmodel.k8s.state, kmodel.k8s.leaderelection). Any other class is
    # declared in its own module.
    "ComponentState": {"cursor": REV, "skip": REVS},
    "ClusterState": {"clock": TIME, "paused": TIME_VALUES},
    "ElectorState": {"observed_time": TIME, "last_renew": TIME, "round_start": TIME, "next_try": TIME},
}

PLAIN: dict[str, frozenset[str]] = {
    # int fields that are counts, sizes, durations or settings: never renamed (same classes as FIELDS)
    "ClusterState": frozenset({"faults_left", "offsets"}),
    "ElectorState": frozenset({"epoch", "incarnation"}),
}

_KINDS = frozenset({TIME, OPAQUE, PHASE, REV, REVS, TIME_VALUES, REV_VALUES, VALUE_TIMES, MAPPED_VALUE_TIMES})
_DECLARED: dict[type, tuple[Mapping[str, Kind], frozenset[str]]] = {}
C = TypeVar("C", bound=type)


def declare(fields: Mapping[str, Kind] | None = None, *, plain: Iterable[str] = ()) -> Callable[[C], C]:
    """Class decorator: declare which fields of an attrs class the abstraction renames.

    Args:
        fields: field name → kind (``TIME``, ``OPAQUE``, an ``ORDER`` group such as ``RENEW``,
            ``PHASE``, ``REV``, ``REVS``, ``TIME_VALUES``, ``REV_VALUES``, ``VALUE_TIMES``,
            ``MAPPED_VALUE_TIMES``) for every field that holds a time or a revision.
        plain: the other fields holding ints (counts, sizes, durations, settings): never renamed.

    Fields declared in neither are walked into (objects, maps, tuples) and must hold no int of
    their own (``unclassified``). Apply it above ``@attrs.frozen`` so that it sees the final class.

    Raises:
        TypeError: the class is not (yet) an attrs class, a field is not one of its fields, a
            kind is unknown, a field is declared twice, or the class is declared twice or also
            in ``FIELDS`` / ``PLAIN``.
    """
    kinds = dict(fields or {})
    plain_set = frozenset(plain)

    def register(cls: C) -> C:
        klass: type = cls  # (attrs.has narrows its argument's type)
        if not attrs.has(klass):
            raise TypeError(f"declare {cls.__name__}: not an attrs class (put @declare above @attrs.frozen)")
        names = {f.name for f in attrs.fields(klass)}
        unknown = sorted((set(kinds) | plain_set) - names)
        if unknown:
            raise TypeError(f"declare {cls.__name__}: no such fields {unknown}")
        bad = sorted(f"{n}={k!r}" for n, k in kinds.items() if k not in _KINDS and not k.startswith(ORDER))
        if bad:
            raise TypeError(f"declare {cls.__name__}: unknown kinds {bad}")
        both = sorted(set(kinds) & plain_set)
        if both:
            raise TypeError(f"declare {cls.__name__}: declared both renamed and plain: {both}")
        if cls in _DECLARED or cls.__name__ in FIELDS or cls.__name__ in PLAIN:
            raise TypeError(f"declare {cls.__name__}: declared twice (or also in FIELDS / PLAIN)")
        _DECLARED[cls] = (kinds, plain_set)
        return cls

    return register


def declared_kinds(cls: type) -> Mapping[str, Kind]:
    """Field → kind of the fields of ``cls`` the abstraction renames (``declare`` or ``FIELDS``)."""
    got = _DECLARED.get(cls)
    return got[0] if got is not None else FIELDS.get(cls.__name__, {})


def declared_plain(cls: type) -> frozenset[str]:
    """The int fields of ``cls`` declared plain (``declare`` or ``PLAIN``)."""
    got = _DECLARED.get(cls)
    return got[1] if got is not None else PLAIN.get(cls.__name__, frozenset())


class TimeAbstraction:
    """``abstract(state)`` for one scenario: ``horizon`` seconds of the past are kept exactly;
    ``period`` is the modulus of phase times (the lcm of the probe periods). Times of an
    ``ORDER`` group are never compared with the clock, only with each other (and with new
    values stamped at a component's clock, at most ``order_horizon`` seconds off the true
    clock: the clock skew), so only ``order_horizon`` seconds of them are kept exactly and
    older ones are renumbered densely at any age: a per-field horizon in the spirit of
    timed-automata regions (a clock matters only up to the largest constant it is compared
    with).

    States share almost all of their objects with their predecessors, so the times and
    revisions inside each object, and each object's last mapping, are cached by identity (the
    objects are immutable; the cache holds them, so an id is never reused while cached). This
    is a cache outside the model state; it changes no result."""

    CACHE_LIMIT = 400_000

    def __init__(
        self, horizon: int, period: int = 1, order_horizon: int = 0, horizons: tuple[tuple[str, int], ...] = ()
    ) -> None:
        self.horizon = horizon
        self.period = period
        self.order_horizon = order_horizon
        self.horizons = horizons  # group → its horizon, when not ``order_horizon``
        self._info: dict[int, tuple[Any, _Info]] = {}
        self._mapped: dict[int, tuple[Any, tuple[int, ...], Any]] = {}

    def _key(self) -> tuple[Any, ...]:
        return (self.horizon, self.period, self.order_horizon, self.horizons)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TimeAbstraction) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"TimeAbstraction{self._key()}"

    def abstract(self, state: Any) -> Any:
        if len(self._info) > self.CACHE_LIMIT or len(self._mapped) > self.CACHE_LIMIT:
            self._info.clear()
            self._mapped.clear()
        clock = state.clock
        pairs, _, revs = self._inner(state)
        times: dict[str, set[int]] = {TIME: set()}
        for group, t in pairs:
            times.setdefault(group, set()).add(t)
        rev_set = set(revs)
        floor = _floor(state)
        if floor is not None:
            rev_set.add(floor)
        rev_map = {r: i + 1 for i, r in enumerate(sorted(rev_set))}
        horizons = dict(self.horizons)
        horizons[TIME] = self.horizon
        time_maps = {
            group: _translate(values, clock, horizons.get(group, self.order_horizon)) for group, values in times.items()
        }
        time_maps[OPAQUE] = {t: BASE for t in times.get(OPAQUE, ())}
        # A phase time (a probe worker's start) is only used as the origin of ticks at or after a
        # later time (``kubelet.ready_time``): past the clock skew only its residue matters.
        cut = clock - self.order_horizon
        low = BASE - self.order_horizon
        period = self.period

        def phase(t: int) -> int:
            v = BASE + t - clock
            if t >= cut:
                return v
            # below the kept window, with the same phase relative to the clock
            return low - period + (v - (low - period)) % period

        return _Mapper(self, time_maps, rev_map, phase).map(state)

    def _inner(self, value: Any) -> _Info:
        """The (group, time) pairs, phase times and revisions anywhere inside ``value``, sorted."""
        if isinstance(value, _SCALARS):
            return _EMPTY
        key = id(value)
        hit = self._info.get(key)
        if hit is not None and hit[0] is value:
            return hit[1]
        times: set[tuple[str, int]] = set()
        phases: set[int] = set()
        revs: set[int] = set()

        def add(child: Any) -> None:
            t, p, r = self._inner(child)
            if t:
                times.update(t)
            if p:
                phases.update(p)
            if r:
                revs.update(r)

        if isinstance(value, FMap):
            for k, v in value.items():
                add(k)
                add(v)
        elif isinstance(value, tuple):
            for v in value:
                add(v)
        elif attrs.has(type(value)):
            for name, kind in _plan(type(value)):
                v = getattr(value, name)
                if kind is None:
                    add(v)
                elif v is None:
                    continue
                elif kind in (TIME, OPAQUE) or kind.startswith(ORDER):
                    times.add((kind, v))
                elif kind == PHASE:
                    phases.add(v)
                elif kind == REV:
                    revs.add(v)
                elif kind == REVS:
                    revs.update(v)
                elif kind == TIME_VALUES:
                    times.update((TIME, x) for x in v.values())
                elif kind == REV_VALUES:
                    revs.update(x for x in v.values() if x >= 0)
                elif kind == VALUE_TIMES:
                    times.update((TIME, t) for _, t in v)
                elif kind == MAPPED_VALUE_TIMES:
                    times.update((TIME, t) for _, t in v.values())
        info = (tuple(sorted(times)), tuple(sorted(phases)), tuple(sorted(revs)))
        if info == _EMPTY:
            info = _EMPTY
        self._info[key] = (value, info)
        return info


_Info = tuple[tuple[tuple[str, int], ...], tuple[int, ...], tuple[int, ...]]
_EMPTY: _Info = ((), (), ())


def _translate(values: set[int], clock: int, horizon: int) -> dict[int, int]:
    """Times at most ``horizon`` before the clock moved so that the clock reads ``BASE``;
    older ones renumbered densely just below ``BASE - horizon``, keeping order and equality."""
    cut = clock - horizon
    old = sorted(t for t in values if t < cut)
    out = {t: BASE + t - clock for t in values if t >= cut}
    for i, t in enumerate(old):
        out[t] = BASE - horizon - (len(old) - i)
    return out


def time_abstraction(
    durations: Iterable[int], periods: Iterable[int], skew: int = 0, horizons: Iterable[tuple[str, int]] = ()
) -> TimeAbstraction:
    """The abstraction for a scope whose longest duration is ``max(durations)`` seconds and whose
    components' clocks are at most ``skew`` seconds apart; ``horizons`` gives groups compared
    with the clock their longest look back (skew not included)."""
    period = 1
    for p in periods:
        if p > 0:
            period = math.lcm(period, p)
    return TimeAbstraction(
        horizon=max(durations, default=0) + 1,
        period=period,
        order_horizon=skew + 1,
        horizons=tuple((g, h + skew + 1) for g, h in horizons),
    )


def _floor(state: Any) -> int | None:
    events = state.store.events
    return events[0].revision - 1 if events else None


# -- the walk ----------------------------------------------------------------------------------

_PLAN: dict[type, tuple[tuple[str, Kind | None], ...]] = {}


def _plan(cls: type) -> tuple[tuple[str, Kind | None], ...]:
    plan = _PLAN.get(cls)
    if plan is None:
        declared = declared_kinds(cls)
        plan = tuple((f.name, declared.get(f.name)) for f in attrs.fields(cls))
        _PLAN[cls] = plan
    return plan


_SCALARS = (str, int, bool, float, type(None))


class _Mapper:
    """One abstraction's mapping, applied bottom-up; an object whose inner values map as they
    did last time is replaced by the same result as last time (``TimeAbstraction._mapped``)."""

    def __init__(
        self,
        owner: TimeAbstraction,
        time_maps: dict[str, dict[int, int]],
        rev_map: dict[int, int],
        phase: Callable[[int], int],
    ) -> None:
        self.owner = owner
        self.time_maps = time_maps
        self.time_map = time_maps[TIME]
        self.rev_map = rev_map
        self.phase = phase

    def map(self, value: Any) -> Any:
        if isinstance(value, _SCALARS):
            return value
        times, phases, revs = self.owner._inner(value)
        if not times and not phases and not revs:
            return value
        tms, rm = self.time_maps, self.rev_map
        key = (*(tms[g][t] for g, t in times), -1, *(self.phase(t) for t in phases), -1, *(rm[r] for r in revs))
        if key == (*(t for _, t in times), -1, *phases, -1, *revs):
            return value  # every value inside maps to itself
        cache = self.owner._mapped
        hit = cache.get(id(value))
        if hit is not None and hit[0] is value and hit[1] == key:
            return hit[2]
        out = self._map(value)
        cache[id(value)] = (value, key, out)
        return out

    def _map(self, value: Any) -> Any:
        if isinstance(value, FMap | tuple):
            return remap(value, self.map)
        if not attrs.has(type(value)):
            return value
        changes: dict[str, Any] = {}
        for name, kind in _plan(type(value)):
            v = getattr(value, name)
            if v is None:
                continue
            if kind is None:
                m = self.map(v)
            elif kind == TIME:
                m = self.time_map[v]
            elif kind == OPAQUE:
                m = BASE
            elif kind.startswith(ORDER):
                m = self.time_maps[kind][v]
            elif kind == PHASE:
                m = self.phase(v)
            elif kind == REV:
                m = self.rev_map[v]
            elif kind == REVS:
                m = tuple(self.rev_map[x] for x in v)
            elif kind == TIME_VALUES:
                m = FMap((k, self.time_map[x]) for k, x in v.items())
            elif kind == REV_VALUES:
                m = FMap((k, self.rev_map[x] if x >= 0 else x) for k, x in v.items())
            elif kind == VALUE_TIMES:
                m = tuple((x, self.time_map[t]) for x, t in v)
            else:  # MAPPED_VALUE_TIMES
                m = FMap((k, (x, self.time_map[t])) for k, (x, t) in v.items())
            if m is not v and m != v:
                changes[name] = m
        if not changes:
            return value
        return attrs.evolve(value, **{_init_name(type(value), n): m for n, m in changes.items()})


_INIT: dict[tuple[type, str], str] = {}


def _init_name(cls: type, name: str) -> str:
    """attrs strips leading underscores from ``__init__`` parameter names."""
    key = (cls, name)
    got = _INIT.get(key)
    if got is None:
        got = next(f.alias for f in attrs.fields(cls) if f.name == name)
        _INIT[key] = got
    return got


def unclassified(value: Any) -> set[tuple[str, str]]:
    """(class, field) pairs holding an ``int`` (or a map to ints) that no ``declare`` (nor
    ``FIELDS`` / ``PLAIN``) declares."""
    out: set[tuple[str, str]] = set()
    for obj, name, x in attrs_fields_in(value):
        cls = type(obj)
        if name in declared_kinds(cls) or name in declared_plain(cls):
            continue
        ints = isinstance(x, int) and not isinstance(x, bool)
        int_values = (isinstance(x, FMap) and any(_has_int(y) for y in x.values())) or (
            isinstance(x, tuple) and _has_int(x)
        )
        if ints or int_values:
            out.add((cls.__name__, name))
    return out


def _has_int(v: Any) -> bool:
    """An int, or a tuple holding one (not looking into attrs objects, which are walked)."""
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return True
    return isinstance(v, tuple) and any(_has_int(x) for x in v)
