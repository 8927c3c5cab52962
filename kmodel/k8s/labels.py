"""Label selectors.

Mirrors ``staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go: LabelSelectorAsSelector``
and ``pkg/labels/selector.go: Requirement.Matches``: an empty selector matches everything, a nil
selector nothing; ``In`` needs the key with one of the values, ``NotIn`` matches when the key is
absent or its value is not listed, ``Exists``/``DoesNotExist`` test the key only. All requirements
(matchLabels are ``In`` with one value) must hold.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


@attrs.frozen
class Requirement:
    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "In":
            return labels.get(self.key) in self.values
        if self.operator == "NotIn":
            return self.key not in labels or labels[self.key] not in self.values
        if self.operator == "Exists":
            return self.key in labels
        return self.key not in labels  # DoesNotExist


@attrs.frozen
class LabelSelector:
    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        for k, v in self.match_labels:
            if labels.get(k) != v:
                return False
        return all(r.matches(labels) for r in self.match_expressions)

    def __str__(self) -> str:
        parts = [f"{k}={v}" for k, v in self.match_labels]
        for r in self.match_expressions:
            if r.operator in ("In", "NotIn"):
                parts.append(f"{r.key} {r.operator.lower()} ({','.join(r.values)})")
            else:
                parts.append(r.key if r.operator == "Exists" else f"!{r.key}")
        return ",".join(parts)
