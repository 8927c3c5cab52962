"""kmodel.k8s.quantity against ``resource.ParseQuantity`` / ``MilliValue`` / ``Value`` semantics."""

from __future__ import annotations

from fractions import Fraction

import pytest

from kmodel.k8s.quantity import QuantityError, format_amount, parse_quantity, to_model_units


def cpu(text: str | int | float) -> int:
    return to_model_units("cpu", parse_quantity(text))


def mem(text: str | int | float) -> int:
    return to_model_units("memory", parse_quantity(text))


@pytest.mark.parametrize(
    ("text", "millicores"),
    [
        ("500m", 500),
        ("2", 2000),
        ("1.5", 1500),
        ("0.5", 500),
        (".5", 500),
        ("100m", 100),
        ("1e3", 1_000_000),  # 1e3 cores
        ("1k", 1_000_000),
        ("1E-3", 1),
        ("250000u", 250),
        (2, 2000),  # YAML `cpu: 2` arrives as an int
        (0.25, 250),  # YAML `cpu: 0.25` arrives as a float
    ],
)
def test_cpu_in_millicores(text: str | int | float, millicores: int) -> None:
    assert cpu(text) == millicores


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("4Gi", 4 * 2**30),
        ("256Mi", 256 * 2**20),
        ("1Ki", 1024),
        ("1.5Gi", 3 * 2**29),
        ("1k", 1000),
        ("1M", 10**6),
        ("1G", 10**9),
        ("1E", 10**18),
        ("1Ei", 2**60),
        ("1e3", 1000),
        ("12e6", 12 * 10**6),
        ("128974848", 128974848),
        (110, 110),
    ],
)
def test_memory_in_bytes(text: str | int, value: int) -> None:
    assert mem(text) == value


def test_parse_is_exact() -> None:
    assert parse_quantity("0.1") == Fraction(1, 10)
    assert parse_quantity("1.5Gi") == Fraction(3 * 2**29)
    assert parse_quantity("1n") == Fraction(1, 10**9)


def test_cpu_rounds_up_to_a_millicore() -> None:
    # MilliValue rounds up: 0.0001 cores = 0.1m → 1m.
    assert cpu("0.0001") == 1
    assert cpu("1u") == 1
    assert cpu("1001u") == 2
    assert cpu("0") == 0


def test_base_units_round_up() -> None:
    # Value rounds up: 1n bytes → 1, 1.5 → 2.
    assert mem("1n") == 1
    assert mem("1.5") == 2
    assert mem("100m") == 1
    assert mem("1000m") == 1


def test_signed_numbers_parse() -> None:
    assert parse_quantity("+1") == 1
    assert parse_quantity("-1") == -1
    assert parse_quantity("-500m") == Fraction(-1, 2)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "5 cores",
        "1ki",  # binary suffixes are case sensitive
        "1KB",
        "1Kib",
        "1.2.3",
        "--1",
        "e3",
        "1e",
        "1e3.5",
        "0x10",
        "m",
        "1" * 65,  # longer than the length guard
    ],
)
def test_invalid_strings(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)


def test_unknown_suffix_is_named() -> None:
    with pytest.raises(QuantityError, match="unknown suffix"):
        parse_quantity("5 cores")


@pytest.mark.parametrize("value", [True, False])
def test_bools_rejected(value: bool) -> None:
    # YAML `cpu: yes` must not become 1 core.
    with pytest.raises(QuantityError):
        parse_quantity(value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats_rejected(value: float) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(value)


@pytest.mark.parametrize("value", [None, [1], {"a": 1}])
def test_other_types_rejected(value: object) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(value)  # type: ignore[arg-type]


def test_quantity_error_is_a_value_error() -> None:
    assert issubclass(QuantityError, ValueError)


@pytest.mark.parametrize(
    ("resource", "amount", "text"),
    [
        ("cpu", 500, "500m"),
        ("cpu", 2000, "2"),
        ("cpu", 1500, "1500m"),
        ("memory", 4 * 2**30, "4Gi"),
        ("memory", 1500 * 2**20, "1500Mi"),
        ("memory", 2048, "2Ki"),
        ("memory", 1000, "1000"),
        ("memory", 0, "0"),
        ("pods", 110, "110"),
    ],
)
def test_format_amount(resource: str, amount: int, text: str) -> None:
    assert format_amount(resource, amount) == text
    # The human form parses back to the same model amount.
    assert to_model_units(resource, parse_quantity(text)) == amount
