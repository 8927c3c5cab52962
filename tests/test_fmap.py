"""FMap: immutable, hashable, iterating in sorted key order whatever the insertion order."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kmodel.core.fmap import EMPTY, FMap


def test_iterates_in_sorted_key_order() -> None:
    m = FMap({"c": 3, "a": 1, "b": 2})
    assert list(m) == ["a", "b", "c"]
    assert list(m.keys()) == ["a", "b", "c"]
    assert list(m.values()) == [1, 2, 3]
    assert list(m.items()) == [("a", 1), ("b", 2), ("c", 3)]


def test_built_from_pairs() -> None:
    m = FMap([("z", 0), ("y", 1)])
    assert list(m.items()) == [("y", 1), ("z", 0)]


def test_tuple_keys_sort() -> None:
    m = FMap({("Pod", "default", "b"): 1, ("Node", "", "n"): 2, ("Pod", "default", "a"): 3})
    assert list(m) == [("Node", "", "n"), ("Pod", "default", "a"), ("Pod", "default", "b")]


def test_mapping_protocol() -> None:
    m = FMap({"a": 1})
    assert m["a"] == 1
    assert "a" in m
    assert "b" not in m
    assert len(m) == 1
    assert m.get("b") is None
    assert m.get("b", 7) == 7
    with pytest.raises(KeyError):
        m["b"]


def test_equality_and_hash_ignore_insertion_order() -> None:
    a = FMap({"a": 1, "b": 2, "c": 3})
    b = FMap({"c": 3, "a": 1, "b": 2})
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a != FMap({"a": 1, "b": 2, "c": 4})
    assert a != FMap({"a": 1, "b": 2})


def test_equal_after_different_update_paths() -> None:
    a = EMPTY.set("x", 1).set("a", 2).set("m", 3)
    b = EMPTY.set("m", 3).set("x", 1).set("a", 2)
    assert a == b
    assert hash(a) == hash(b)
    assert list(a) == list(b) == ["a", "m", "x"]


def test_set_returns_new_map_and_leaves_original() -> None:
    m = FMap({"b": 2, "d": 4})
    m2 = m.set("a", 1)  # before the first key
    m3 = m.set("c", 3)  # in the middle
    m4 = m.set("e", 5)  # after the last key
    m5 = m.set("b", 20)  # replace
    assert dict(m) == {"b": 2, "d": 4}
    assert list(m2) == ["a", "b", "d"]
    assert list(m3) == ["b", "c", "d"]
    assert list(m4) == ["b", "d", "e"]
    assert list(m5.items()) == [("b", 20), ("d", 4)]
    assert m["b"] == 2


def test_set_same_value_returns_self() -> None:
    value = ("some", "value")
    m = FMap({"k": value})
    assert m.set("k", value) is m


def test_set_equal_value_gives_an_equal_map() -> None:
    m = FMap({"k": 1000})
    m2 = m.set("k", 10**3)
    assert m2 == m


def test_delete_returns_new_map_and_leaves_original() -> None:
    m = FMap({"a": 1, "b": 2, "c": 3})
    m2 = m.delete("b")
    assert list(m2.items()) == [("a", 1), ("c", 3)]
    assert list(m.items()) == [("a", 1), ("b", 2), ("c", 3)]


def test_delete_absent_key_returns_self() -> None:
    m = FMap({"a": 1})
    assert m.delete("zzz") is m


def test_update() -> None:
    m = FMap({"b": 2})
    m2 = m.update({"c": 3, "a": 1, "b": 20})
    assert list(m2.items()) == [("a", 1), ("b", 20), ("c", 3)]
    assert dict(m) == {"b": 2}


def test_no_mutation_api() -> None:
    m = FMap({"a": 1})
    with pytest.raises(TypeError):
        m["a"] = 2  # type: ignore[index]
    with pytest.raises(AttributeError):
        m.x = 1  # type: ignore[attr-defined]


def test_not_equal_to_other_types() -> None:
    assert FMap({"a": 1}) != [("a", 1)]
    assert FMap() != 0


def test_hash_is_usable_as_dict_key() -> None:
    d = {FMap({"a": 1, "b": 2}): "x"}
    assert d[FMap({"b": 2, "a": 1})] == "x"


@given(
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=20),
    st.randoms(use_true_random=False),
)
def test_insertion_order_never_matters(d: dict[str, int], rnd: random.Random) -> None:
    items = list(d.items())
    shuffled = items[:]
    rnd.shuffle(shuffled)
    a = FMap(d)
    b = FMap(shuffled)
    assert a == b
    assert hash(a) == hash(b)
    assert list(a) == sorted(d)
    assert list(b.items()) == sorted(items)
    # Building by successive sets in the shuffled order agrees too.
    c = EMPTY
    for k, v in shuffled:
        c = c.set(k, v)
    assert c == a
    assert list(c) == sorted(d)


@given(st.dictionaries(st.text(max_size=5), st.integers(), max_size=20), st.data())
def test_delete_keeps_order_and_original(d: dict[str, int], data: st.DataObject) -> None:
    m = FMap(d)
    if d:
        k = data.draw(st.sampled_from(sorted(d)))
        m2 = m.delete(k)
        assert k not in m2
        assert list(m2) == sorted(set(d) - {k})
    assert dict(m) == d
