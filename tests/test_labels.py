"""Label selectors: ``LabelSelectorAsSelector`` + ``Requirement.Matches`` semantics."""

from __future__ import annotations

import pytest

from kmodel.core.fmap import FMap
from kmodel.k8s.labels import LabelSelector, Requirement

WEB = {"app": "web", "tier": "frontend"}


@pytest.mark.parametrize(
    ("req", "labels", "expected"),
    [
        (Requirement("app", "In", ("web", "api")), WEB, True),
        (Requirement("app", "In", ("api",)), WEB, False),
        (Requirement("env", "In", ("prod",)), WEB, False),  # In needs the key
        (Requirement("app", "NotIn", ("api",)), WEB, True),
        (Requirement("app", "NotIn", ("web",)), WEB, False),
        (Requirement("env", "NotIn", ("prod",)), WEB, True),  # NotIn matches a missing key
        (Requirement("app", "Exists"), WEB, True),
        (Requirement("env", "Exists"), WEB, False),
        (Requirement("env", "DoesNotExist"), WEB, True),
        (Requirement("app", "DoesNotExist"), WEB, False),
    ],
)
def test_requirement(req: Requirement, labels: dict[str, str], expected: bool) -> None:
    assert req.matches(labels) is expected


def test_exists_matches_empty_value() -> None:
    assert Requirement("flag", "Exists").matches({"flag": ""})
    assert not Requirement("flag", "DoesNotExist").matches({"flag": ""})


def test_in_does_not_match_missing_key_even_with_empty_value_listed() -> None:
    assert not Requirement("flag", "In", ("",)).matches({})
    assert Requirement("flag", "In", ("",)).matches({"flag": ""})


def test_empty_selector_matches_everything() -> None:
    sel = LabelSelector()
    assert sel.matches({})
    assert sel.matches(WEB)


def test_match_labels_all_must_hold() -> None:
    sel = LabelSelector(match_labels=(("app", "web"), ("tier", "frontend")))
    assert sel.matches(WEB)
    assert sel.matches({**WEB, "extra": "x"})
    assert not sel.matches({"app": "web"})
    assert not sel.matches({"app": "web", "tier": "backend"})


def test_match_labels_and_expressions_are_anded() -> None:
    sel = LabelSelector(
        match_labels=(("app", "web"),),
        match_expressions=(Requirement("env", "NotIn", ("dev",)), Requirement("tier", "Exists")),
    )
    assert sel.matches(WEB)
    assert sel.matches({**WEB, "env": "prod"})
    assert not sel.matches({**WEB, "env": "dev"})
    assert not sel.matches({"app": "web"})  # tier missing
    assert not sel.matches({"app": "api", "tier": "frontend"})


def test_matches_fmap_labels() -> None:
    sel = LabelSelector(match_labels=(("app", "web"),), match_expressions=(Requirement("env", "DoesNotExist"),))
    assert sel.matches(FMap(WEB))
    assert not sel.matches(FMap({"app": "web", "env": "x"}))


def test_str() -> None:
    sel = LabelSelector(
        match_labels=(("app", "web"),),
        match_expressions=(
            Requirement("env", "In", ("a", "b")),
            Requirement("x", "NotIn", ("c",)),
            Requirement("y", "Exists"),
            Requirement("z", "DoesNotExist"),
        ),
    )
    assert str(sel) == "app=web,env in (a,b),x notin (c),y,!z"


def test_selectors_are_hashable_values() -> None:
    a = LabelSelector((("app", "web"),), (Requirement("env", "Exists"),))
    b = LabelSelector((("app", "web"),), (Requirement("env", "Exists"),))
    assert a == b
    assert hash(a) == hash(b)
