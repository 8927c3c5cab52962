"""``evolve``: ``attrs.evolve`` for the model's hot paths, without its per-call introspection."""

from __future__ import annotations

from typing import Any, TypeVar

import attrs

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
