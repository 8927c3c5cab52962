"""The checker's memo (``kmodel.core.machine.StepMemo``), the fast ``evolve`` and the bench's
ceiling: speedups that must change no result."""

from __future__ import annotations

import random

import attrs
import pytest

import kmodel
from kmodel.bench import _bare_ceiling
from kmodel.core.evolve import evolve
from kmodel.core.machine import StepMemo, check_model
from kmodel.core.model import expand
from kmodel.core.run import first_failure, settle
from kmodel.k8s.cluster import ClusterModel, ClusterState

SCENARIOS = "properties/scenarios"


@pytest.fixture(scope="module")
def model() -> ClusterModel:
    return kmodel.load_scenario().model()  # type: ignore[no-any-return]


def _walk(model: ClusterModel, length: int, seed: int) -> list[ClusterState]:
    rng = random.Random(seed)
    states = [model.initial()]
    for _ in range(length):
        enabled = model.actions(states[-1])
        if not enabled:
            break
        nxt = model.step(states[-1], rng.choice(enabled))
        assert nxt is not None
        states.append(nxt)
    return states


def test_memo_agrees_with_the_model_and_reuses_taken_steps(model: ClusterModel) -> None:
    memo = StepMemo(model)
    actions = [a for spec in model.action_space() for a in expand(spec)]
    for state in _walk(model, 25, 1):
        taken = None
        for action in actions:
            fresh = model.step(state, action)
            assert memo.enabled(state, action) is (fresh is not None)
            stepped = memo.step(state, action)
            assert stepped == fresh
            if fresh is not None:
                taken = (action, stepped)
        if taken is not None:
            action, stepped = taken
            assert memo.step(state, action) is stepped  # a taken step is kept: the same object
            assert memo.enabled(state, action)
        assert memo.first_failure(state) == first_failure(memo.safety, state)


def test_memo_settle_is_settle(model: ClusterModel) -> None:
    memo = StepMemo(model)
    state = _walk(model, 10, 2)[-1]
    outcome = memo.settle(state)
    expected = settle(model, state)
    assert (outcome.state, outcome.steps, outcome.failure) == (expected.state, expected.steps, expected.failure)
    assert memo.settle(attrs.evolve(state)) is outcome  # an equal state (not the same object) hits


@pytest.mark.parametrize("scenario", [None, f"{SCENARIOS}/web-no-expectations.yaml"])
def test_memo_changes_no_check_outcome(scenario: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The memoised check equals one where every lookup misses (the memo forgets everything)."""
    model = kmodel.load_scenario(scenario).model()
    memoised = check_model(model, examples=30, steps=30, shrink=False)

    def forgetful(self: StepMemo, state: object) -> dict[object, object]:
        self._known.clear()
        self._checked.clear()
        self._settled.clear()
        self._cur = None
        return {}

    monkeypatch.setattr(StepMemo, "_entry", forgetful)
    plain = check_model(kmodel.load_scenario(scenario).model(), examples=30, steps=30, shrink=False)
    assert memoised == plain
    assert memoised.runs > 1


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


def test_bare_ceiling_draws_like_check_and_is_reproducible() -> None:
    with_args = _bare_ceiling([(1,), (3,), (3, 5), ()], 10, 10)[0]
    assert with_args == _bare_ceiling([(1,), (3,), (3, 5), ()], 10, 10)[0]
    assert with_args > 0
