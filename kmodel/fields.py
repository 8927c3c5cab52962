"""Typed reading of parsed YAML with field paths, for one-line input errors.

``Fields(data, path)`` wraps a mapping; each accessor checks the type and raises ``InputError``
naming the field path (``spec.template.spec.containers[0].resources.requests.cpu``). Callers add
the file and document with ``InputError.within``.
"""

from __future__ import annotations

import builtins
import difflib
from collections.abc import Iterable, Iterator
from typing import Any

from kmodel.errors import InputError

_MISSING: Any = object()

# Bounds shared by the readers. The first two are the API's integer types (a larger number in
# an int32 field is refused by the API server's decoding: "cannot unmarshal number ... of type
# int32"); the others are kmodel's scope, where upstream has no bound but the model would take
# hours: a 1000-replica ReplicaSet took 25 s to load, and a wait longer than the settle phase's
# 20,000 steps ends every run in a false "never settled" violation (an unreachable toleration of
# 1,000,000 s did; 3600 s settles).
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
MAX_REPLICAS = 100
MAX_WAIT_SECONDS = 3 * 3600


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) < 40 else "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def suggest(name: str, options: Iterable[str], fallback: str = "expected one of") -> str:
    """`` (did you mean 'faults'?)`` for the closest option, else `` (expected one of: a, b)``."""
    options = list(options)
    close = difflib.get_close_matches(name, options, n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" ({fallback}: {', '.join(options)})"


class Fields:
    def __init__(
        self, data: Any, path: tuple[builtins.str | builtins.int, ...] = (), what: builtins.str = "a mapping"
    ) -> None:
        if not isinstance(data, dict):
            raise InputError(f"expected {what}, got {_type_name(data)}", path=path)
        for k in data:
            if not isinstance(k, builtins.str):
                raise InputError(f"keys must be strings, got {_type_name(k)}", path=path)
        self.data: dict[str, Any] = data
        self.path = path

    def error(self, key: builtins.str | builtins.int | None, message: builtins.str) -> InputError:
        return InputError(message, path=self.path + ((key,) if key is not None else ()))

    def has(self, key: builtins.str) -> builtins.bool:
        return key in self.data and self.data[key] is not None

    def raw(self, key: builtins.str, default: Any = None) -> Any:
        value = self.data.get(key)
        return default if value is None else value

    def only(self, allowed: Iterable[str]) -> None:
        """Unknown keys are errors, with a "did you mean" hint."""
        allowed = list(allowed)
        for key in self.data:
            if key not in allowed:
                raise self.error(key, f"unknown field{suggest(key, allowed)}")

    def str(self, key: builtins.str, default: Any = _MISSING) -> builtins.str:
        value = self.data.get(key)
        if value is None:
            if default is _MISSING:
                raise self.error(key, "is required")
            return default  # type: ignore[no-any-return]
        if not isinstance(value, builtins.str):
            raise self.error(key, f"expected a string, got {_type_name(value)}")
        return value

    def int(
        self,
        key: builtins.str,
        default: Any = _MISSING,
        minimum: builtins.int | None = None,
        maximum: builtins.int | None = None,
    ) -> builtins.int:
        value = self.data.get(key)
        if value is None:
            if default is _MISSING:
                raise self.error(key, "is required")
            return default  # type: ignore[no-any-return]
        if isinstance(value, builtins.bool) or not isinstance(value, builtins.int):
            raise self.error(key, f"expected an integer, got {_type_name(value)}")
        if minimum is not None and value < minimum:
            raise self.error(key, f"must be ≥ {minimum}, got {value}")
        if maximum is not None and value > maximum:
            why = {INT32_MAX: " (an int32)", MAX_WAIT_SECONDS: " seconds (kmodel's limit: longer waits do not settle)"}
            raise self.error(key, f"must be ≤ {maximum}{why.get(maximum, '')}, got {value}")
        return value

    def bool(self, key: builtins.str, default: Any = _MISSING) -> builtins.bool:
        value = self.data.get(key)
        if value is None:
            if default is _MISSING:
                raise self.error(key, "is required")
            return default  # type: ignore[no-any-return]
        if not isinstance(value, builtins.bool):
            raise self.error(key, f"expected true or false, got {_type_name(value)}")
        return value

    def map(self, key: builtins.str, required: builtins.bool = False) -> Fields:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(key, "is required")
            value = {}
        return Fields(value, (*self.path, key))

    def str_map(self, key: builtins.str) -> dict[builtins.str, builtins.str]:
        sub = self.map(key)
        out: dict[builtins.str, builtins.str] = {}
        for k, v in sub.data.items():
            if isinstance(v, builtins.bool) or not isinstance(v, builtins.str | builtins.int | float):
                raise sub.error(k, f"expected a string, got {_type_name(v)}")
            if not isinstance(v, builtins.str):
                raise sub.error(k, f"expected a string, got {_type_name(v)} (quote it)")
            out[k] = v
        return out

    def list(
        self, key: builtins.str, required: builtins.bool = False
    ) -> Iterator[tuple[tuple[builtins.str | builtins.int, ...], Any]]:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(key, "is required")
            return iter(())
        if not isinstance(value, builtins.list):
            raise self.error(key, f"expected a list, got {_type_name(value)}")
        return (((*self.path, key, i), item) for i, item in enumerate(value))

    def str_list(self, key: builtins.str) -> builtins.list[builtins.str]:
        out = []
        for path, item in self.list(key):
            if not isinstance(item, builtins.str):
                raise InputError(f"expected a string, got {_type_name(item)}", path=path)
            out.append(item)
        return out
