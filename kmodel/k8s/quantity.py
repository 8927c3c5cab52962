"""Exact resource quantities.

Mirrors ``staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go: ParseQuantity``:
``<signedNumber><suffix>`` where suffix is a binary SI suffix (Ki Mi Gi Ti Pi Ei), a decimal SI
suffix (n u m "" k M G T P E) or a decimal exponent (e3, E-2). Values are exact (``Fraction``);
the model stores cpu in millicores and everything else in base units, rounding up like
``Quantity.MilliValue`` / ``Quantity.Value`` do (``ScaledValue`` rounds away from zero).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
_RE = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)$")
_EXP = re.compile(r"^[eE]([+-]?[0-9]+)$")


class QuantityError(ValueError):
    pass


def parse_quantity(text: str | int | float) -> Fraction:
    """Parse a Kubernetes quantity exactly. Raises QuantityError with the reason."""
    if isinstance(text, bool):
        raise QuantityError(f"expected a quantity, got {text!r}")
    if isinstance(text, int):
        return Fraction(text)
    if isinstance(text, float):
        if not math.isfinite(text):
            raise QuantityError(f"expected a quantity, got {text!r}")
        return Fraction(str(text))
    if not isinstance(text, str):
        raise QuantityError(f"expected a quantity, got {type(text).__name__}")
    s = text.strip()
    m = _RE.match(s)
    if not m or len(s) > 64:
        raise QuantityError(f"{text!r} is not a quantity (e.g. 500m, 2, 4Gi)")
    number, suffix = m.groups()
    value = Fraction(number)
    if suffix in _BINARY:
        return value * _BINARY[suffix]
    if suffix in _DECIMAL:
        return value * _DECIMAL[suffix]
    e = _EXP.match(suffix)
    if e and abs(int(e.group(1))) <= 18:
        return value * Fraction(10) ** int(e.group(1))
    raise QuantityError(f"{text!r} has an unknown suffix {suffix!r} (use m, k, M, G, Ki, Mi, Gi, ...)")


MAX_AMOUNT = 2**63 - 1
"""quantity.go: "no quantity may represent a number greater than 2^63-1 in magnitude" (upstream
caps larger ones; kmodel refuses them, as a silently capped capacity would mislead), and
``MilliValue``/``Value`` are int64."""


def to_model_units(resource: str, value: Fraction) -> int:
    """cpu → millicores (``MilliValue``), others → base units (``Value``), both rounded up.
    Raises QuantityError beyond ``MAX_AMOUNT`` (an int64) in either direction."""
    scaled = value * 1000 if resource == "cpu" else value
    if abs(scaled) > MAX_AMOUNT:
        unit = "millicores" if resource == "cpu" else "units"
        raise QuantityError(f"is more than 2^63-1 {unit}, the largest quantity Kubernetes represents")
    return math.ceil(scaled)


def format_amount(resource: str, amount: int) -> str:
    """Human form of a model amount: cpu as ``500m``/``2``, memory as ``4Gi``/``1500Mi``."""
    if resource == "cpu":
        return f"{amount // 1000}" if amount % 1000 == 0 else f"{amount}m"
    if resource == "memory":
        for suffix, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
            if amount and amount % size == 0:
                return f"{amount // size}{suffix}"
    return str(amount)
