"""The fast ``evolve`` the model's hot paths use: it must be ``attrs.evolve``."""

from __future__ import annotations

import attrs
import pytest

from kmodel.core.evolve import evolve


@attrs.frozen
class _Sample:
    a: int
    _b: str = "x"  # a private attribute: its __init__ argument is ``b``
    c: tuple[int, ...] = ()
    d: list[int] = attrs.field(factory=list, init=False, eq=False)


def test_evolve_is_attrs_evolve() -> None:
    s = _Sample(1, "y", (2,))
    for changes in ({}, {"a": 5}, {"b": "z"}, {"a": 0, "b": "w", "c": (1, 2)}):
        assert evolve(s, **changes) == attrs.evolve(s, **changes)
    with pytest.raises(TypeError):
        evolve(s, nope=1)
