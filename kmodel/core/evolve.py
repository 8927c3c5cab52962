"""``evolve``: ``attrs.evolve`` for the model's hot paths, without its per-call introspection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from kmodel.core.fmap import FMap

T = TypeVar("T")
_INIT: dict[type, tuple[tuple[str, str], ...]] = {}


def evolve(inst: T, **changes: Any) -> T:
    """A copy of the attrs instance ``inst`` with ``changes`` (keyed by ``__init__`` argument
    name), built through ``__init__`` exactly like ``attrs.evolve``; each class's init fields
    are looked up once instead of on every call."""
    cls = inst.__class__
    spec = _INIT.get(cls)
    if spec is None:
        spec = _INIT[cls] = tuple((a.name, a.alias) for a in attrs.fields(cls) if a.init)  # type: ignore[arg-type]
    for name, alias in spec:
        if alias not in changes:
            changes[alias] = getattr(inst, name)
    return cls(**changes)  # type: ignore[no-any-return]


def remap(value: Any, f: Callable[[Any], Any]) -> Any:
    """``value`` with ``f`` applied to each of its parts: an FMap's keys and values, a tuple's or
    a frozenset's items, an attrs instance's fields. The very same object comes back when ``f``
    changed no part (the state walkers of the explorer's abstraction and symmetry reduction
    cache by identity); anything else is returned as is."""
    if isinstance(value, FMap):
        items = []
        changed = False
        for k, v in value.items():
            mk, mv = f(k), f(v)
            changed = changed or mk is not k or mv is not v
            items.append((mk, mv))
        return FMap(items) if changed else value
    if isinstance(value, tuple):
        mapped = tuple(f(v) for v in value)
        return mapped if any(a is not b for a, b in zip(mapped, value, strict=True)) else value
    if isinstance(value, frozenset):
        return frozenset(f(v) for v in value)
    if not attrs.has(type(value)):
        return value
    changes = {}
    for field in attrs.fields(type(value)):
        v = getattr(value, field.name)
        m = f(v)
        if m is not v:
            changes[field.alias] = m
    return attrs.evolve(value, **changes) if changes else value


_LEAVES = (str, int, bool, float, type(None))


class MemoMap:
    """A structural map of immutable values, bottom-up through ``remap``, each object's result
    memoised by identity: states share almost all of their objects with their predecessors, so
    a walk over a new state stops at the first object it has met before. ``memo`` holds the
    objects it is keyed by, so an id is never reused while memoised; whoever owns it bounds its
    size. Subclasses say what happens to one object in ``node`` (default: map its parts);
    strings, numbers and None come back as they are."""

    def __init__(self, memo: dict[int, tuple[Any, Any]] | None = None) -> None:
        self.memo: dict[int, tuple[Any, Any]] = {} if memo is None else memo

    def map(self, value: Any) -> Any:
        if isinstance(value, _LEAVES):
            return value
        key = id(value)
        hit = self.memo.get(key)
        if hit is not None and hit[0] is value:
            return hit[1]
        out = self.node(value)
        self.memo[key] = (value, out)
        return out

    def node(self, value: Any) -> Any:
        return remap(value, self.map)


def attrs_fields_in(value: Any) -> list[tuple[Any, str, Any]]:
    """(object, field name, field value) for every field of every attrs object inside ``value``
    (through FMap keys and values, tuple and frozenset items, attrs fields), each object met
    once however often it is shared: the walk of the tests' completeness guards."""
    out: list[tuple[Any, str, Any]] = []
    seen: set[int] = set()
    keep: list[Any] = []  # the objects seen stay alive, so that their ids stay theirs
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, _LEAVES) or id(v) in seen:
            continue
        seen.add(id(v))
        keep.append(v)
        if isinstance(v, FMap):
            for k, x in v.items():
                stack.append(k)
                stack.append(x)
        elif isinstance(v, tuple | frozenset):
            stack.extend(v)
        elif attrs.has(type(v)):
            for f in attrs.fields(type(v)):
                x = getattr(v, f.name)
                out.append((v, f.name, x))
                stack.append(x)
    return out
