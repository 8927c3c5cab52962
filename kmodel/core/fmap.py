"""FMap: an immutable mapping whose iteration order is its sorted key order.

Why not ``pyrsistent.pmap``: its iteration order follows ``hash()``, which for ``str`` keys changes
with ``PYTHONHASHSEED``. kmodel's outputs (traces, reports, fingerprints) must not depend on hash
order, so every map in the model iterates in key order. Scopes are small (tens of objects), so a
copy-on-write dict is both simpler and faster than a HAMT here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")
_MISSING: Any = object()


class FMap(Mapping[K, V], Generic[K, V]):
    """Immutable, hashable mapping iterating in sorted key order.

    Updates return new maps (``set``, ``delete``, ``update``); the original is never changed.
    Keys must be mutually orderable (strings, tuples of strings and ints).
    """

    __slots__ = ("_d", "_hash")

    def __init__(self, items: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        self._d: dict[K, V] = dict(sorted(pairs, key=_first))  # type: ignore[arg-type]
        self._hash: int | None = None

    @classmethod
    def _trusted(cls, d: dict[K, V]) -> FMap[K, V]:
        m: FMap[K, V] = cls.__new__(cls)
        m._d = d
        m._hash = None
        return m

    def __getitem__(self, key: K) -> V:
        return self._d[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __contains__(self, key: object) -> bool:
        return key in self._d

    def get(self, key: K, default: Any = None) -> Any:
        return self._d.get(key, default)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if isinstance(other, FMap):
            return self._d == other._d
        return NotImplemented

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(self._d.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"FMap({self._d!r})"

    def set(self, key: K, value: V) -> FMap[K, V]:
        """Return a map with ``key`` bound to ``value`` (self if nothing changes)."""
        d = self._d
        old = d.get(key, _MISSING)
        if old is value:
            return self
        if old is not _MISSING:
            nd = dict(d)
            nd[key] = value
            return FMap._trusted(nd)
        nd = dict(d)
        nd[key] = value
        if d and not (key > next(reversed(d))):  # type: ignore[operator]
            nd = dict(sorted(nd.items(), key=_first))
        return FMap._trusted(nd)

    def delete(self, key: K) -> FMap[K, V]:
        """Return a map without ``key`` (self if it was absent)."""
        if key not in self._d:
            return self
        nd = dict(self._d)
        del nd[key]
        return FMap._trusted(nd)

    def update(self, items: Mapping[K, V]) -> FMap[K, V]:
        m = self
        for k, v in items.items():
            m = m.set(k, v)
        return m


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


EMPTY: FMap[Any, Any] = FMap()
