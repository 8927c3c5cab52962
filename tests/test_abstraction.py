"""The explorer's time abstraction (kmodel.k8s.abstraction) is complete and a bisimulation."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import attrs
import pytest

import kmodel
from kmodel.core.explore import explore
from kmodel.k8s.abstraction import BASE, FIELDS, PLAIN, TIME, declare, declared_kinds, declared_plain, unclassified
from kmodel.k8s.explore_view import ExploreView

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "properties" / "scenarios").glob("*.yaml"))


def _walk(model: Any, seed: int, steps: int, start: Any = None) -> list[Any]:
    """States along a seeded random walk over the enabled actions (from ``start``, default the
    initial state)."""
    rnd = random.Random(seed)
    state = model.initial() if start is None else start
    out = [state]
    for _ in range(steps):
        actions = model.actions(state)
        if not actions:
            break
        state = model.step(state, rnd.choice(actions))
        out.append(state)
    return out


@pytest.mark.parametrize("path", [None, *SCENARIOS], ids=lambda p: "default" if p is None else p.stem)
def test_every_int_field_is_declared(path: Path | None) -> None:
    """A field holding a number the abstraction does not know (a new component's timer, say)
    would silently make it unsound: every such field must be declared a time, a revision or
    plain."""
    model = ExploreView(kmodel.load_scenario(path).model())
    found: set[tuple[str, str]] = set()
    for seed in (0, 1):
        for state in _walk(model, seed, 30):
            found |= unclassified(state)
    assert not found, (
        "declare these with @kmodel.k8s.abstraction.declare(fields={...: TIME/REV/...}, plain={...}) "
        f"above the class's @attrs.frozen, in its own module: {sorted(found)}"
    )


def test_unclassified_catches_an_undeclared_timer() -> None:
    @attrs.frozen
    class NewLocal:
        fires_at: int = 5

    assert unclassified(NewLocal()) == {("NewLocal", "fires_at")}


def test_declare_classifies_a_new_components_fields() -> None:
    """A class declared where it is defined is known to the guard and to the abstraction."""

    @declare(fields={"fires_at": TIME}, plain={"tries"})
    @attrs.frozen
    class TimerLocal:
        fires_at: int = 5
        tries: int = 0
        label: str = ""

    assert unclassified(TimerLocal()) == set()
    assert declared_kinds(TimerLocal) == {"fires_at": TIME}
    assert declared_plain(TimerLocal) == {"tries"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fields": {"fire_at": TIME}}, "no such fields"),
        ({"fields": {"fires_at": "clock"}}, "unknown kinds"),
        ({"fields": {"fires_at": TIME}, "plain": {"fires_at"}}, "both"),
    ],
)
def test_declare_rejects_a_wrong_declaration(kwargs: dict[str, Any], message: str) -> None:
    @attrs.frozen
    class Local:
        fires_at: int = 5

    with pytest.raises(TypeError, match=message):
        declare(**kwargs)(Local)


def test_declare_must_see_the_attrs_class() -> None:
    """Below ``@attrs.frozen`` it would see the class before attrs replaced it (slots)."""
    with pytest.raises(TypeError, match="not an attrs class"):

        @attrs.frozen
        @declare(plain={"n"})
        class Local:
            n: int = 0


def test_central_declarations_name_real_fields() -> None:
    """``FIELDS`` / ``PLAIN`` hold only classes whose modules cannot use ``declare``; their
    entries name fields those classes have."""
    from kmodel.k8s.informers import ComponentState
    from kmodel.k8s.leaderelection import ElectorState
    from kmodel.k8s.state import ClusterState

    classes = {c.__name__: c for c in (ComponentState, ElectorState, ClusterState)}
    assert set(FIELDS) | set(PLAIN) == set(classes)
    for name, cls in classes.items():
        fields = {f.name for f in attrs.fields(cls)}
        assert set(FIELDS.get(name, {})) | PLAIN.get(name, frozenset()) <= fields, name


COMMUTE = [
    "default",
    "svc-delete-prestop",
    "deploy-rollout-node-crash",
    "le-pause-split-brain",
    "hpa-oscillation",
    "op-field-fight",  # user controllers that declare Controller.timeless
    "web-explore-scope",  # lose_node is enabled in every state until spent
    "job-delete-succeeded",  # Job tracking: uncounted pods, finalizers, backoff timers
]


@pytest.mark.parametrize("name", COMMUTE)
def test_abstraction_commutes_with_step(name: str) -> None:
    """abstract(step(s, a)) == abstract(step(abstract(s), a)) for every enabled action along
    random walks: stepping from the abstract state is the same move (a bisimulation), so the
    explorer loses and invents nothing. Also idempotent, and the abstract clock is BASE."""
    path = None if name == "default" else ROOT / "properties" / "scenarios" / f"{name}.yaml"
    model = ExploreView(kmodel.load_scenario(path).model())
    checked = 0
    for seed in (0, 1):
        for state in _walk(model, seed, 40):
            a = model.abstract(state)
            assert a.clock == BASE
            assert model.abstract(a) == a
            for action in model.actions(state):
                n1 = model.step(state, action)
                n2 = model.step(a, action)
                assert (n1 is None) == (n2 is None), f"{action} enabled differently"
                if n1 is not None:
                    assert model.abstract(n1) == model.abstract(n2), f"{action} does not commute"
                checked += 1
    assert checked > 100


def test_abstraction_merges_heartbeat_rounds() -> None:
    """A settled cluster whose kubelets keep renewing their Leases is one abstract state per
    point of the heartbeat cycle: the walk of ticks and heartbeats revisits abstract states,
    though no concrete state ever repeats (the clock and the revisions grow)."""
    model = ExploreView(kmodel.load_scenario(ROOT / "properties" / "scenarios" / "rs-restart-upstream.yaml").model())
    state = model.initial()
    concrete, abstract = set(), set()
    for _ in range(600):
        actions = [a for a in model.system_actions(state) if model.step(state, a) is not None]
        tick = model.time_action(state)
        action = actions[0] if actions else tick
        assert action is not None
        state = model.step(state, action)
        concrete.add(state)
        abstract.add(model.abstract(state))
    assert len(concrete) == 600
    assert len(abstract) < 450  # once the 900s horizon has passed, rounds repeat


def test_explorer_finishes_a_settled_scope_only_with_the_abstraction() -> None:
    """No faults, no user: with the abstraction the whole (heartbeating) state space is finite
    and explored to the end; without it the search never ends (here: hits its bound)."""
    path = ROOT / "tests" / "data" / "one-node.yaml"
    model = ExploreView(kmodel.load_scenario(path).model())
    done = explore(model, max_states=20_000)
    assert done.verdict == "held" and done.bound is None
    assert done.distinct < 20_000

    concrete = ExploreView(kmodel.load_scenario(path).model(), abstraction=False)
    unbounded = explore(concrete, max_states=done.distinct * 3)
    assert unbounded.verdict == "bound"


def test_per_field_horizons_shrink_the_settled_scope() -> None:
    """Creation times only sort, probe-worker origins only matter by phase, heartbeats and lease
    renewals are only compared with each other: with their own horizons the settled one-node
    scope is one heartbeat round per 5-minute expectations window (121 states), not one per
    900s global horizon (361 before per-field horizons). A drift here changes explore figures."""
    model = ExploreView(kmodel.load_scenario(ROOT / "tests" / "data" / "one-node.yaml").model())
    done = explore(model, max_states=5_000)
    assert done.verdict == "held"
    assert (done.distinct, done.depth) == (121, 120)
