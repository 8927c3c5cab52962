"""Every reduction agrees with the plain search (issue 19).

kmodel's verdict must not depend on how it searched. Hypothesis generates small scenarios (1-3
nodes of equal or different capacity, a ReplicaSet, Deployment or StatefulSet of 1-3 replicas
requesting 250m or 500m cpu, up to two faults with a budget of 1 or 2 each, controller variants
that break invariants, sometimes a ``scale`` user step, ``start: settled`` or ``applied``), and
each is explored

- plainly (``kmodel.explore(symmetry=False, por=False)``: exactly ``check``'s model);
- with partial-order reduction (``por=True``): the same model, so the same verdict, invariant
  and, for safety, the same shortest trace length (when ``ExploreResult.shortest``);
- with symmetry (``symmetry=True``, with and without ``por``). Symmetry explores a *superset*
  of ``check``'s model (every scheduler tie and every name order of interchangeable pods, see
  ``kmodel.k8s.symmetry``), so its exact baseline is that superset explored without the
  reduction (``ExploreView(ties=True)``, ``symmetry=False``); it is also compared with the plain
  search, where it may only find more (a difference the superset explains is counted, not failed);
- with and without the state abstraction (``ExploreView.abstract``), depth-bounded: without it
  heartbeats make most scopes infinite, so both searches go ``max_depth`` steps deep, and a
  safety violation within that depth must be found by both, at the same depth, with the same
  invariant.

Where a run hits ``max_states`` the comparison is inconclusive, never a disagreement; those are
counted. When two invariants are violated at the same shortest depth, which one a search meets
first depends on the order it visits a level, so a different invariant at the same length is
checked against the baseline restricted to that invariant (a "tie"). Every counterexample found
is replayed (``kmodel.replay``) and must reproduce its invariant.

Budgets: ``EXAMPLES`` scenarios per profile (``ci``/``dev``: 24, ``deep``: 1,100, for 1,000 distinct;
``KMODEL_AGREE_EXAMPLES`` overrides, for hunts). ``pytest -s`` prints the tally (and, with
``KMODEL_AGREE_VERBOSE=1``, one line per scenario with every search's verdict); the test
asserts that the sample is not degenerate (some scenarios hold, some violate, the reductions
actually cut something), so a generator that drifts to all-inconclusive scopes fails.
"""

from __future__ import annotations

import copy
import os
import time
from collections import Counter
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kmodel
from kmodel.core.explore import ExploreResult
from kmodel.core.explore import explore as explore_model
from kmodel.k8s.explore_view import ExploreView
from kmodel.scenario import Scenario, scenario_from_data
from kmodel.yamlio import dump

PROFILE_EXAMPLES = {"deep": 1100}
VERBOSE = bool(os.environ.get("KMODEL_AGREE_VERBOSE"))  # with -s: one line per scenario
EXAMPLES = int(os.environ.get("KMODEL_AGREE_EXAMPLES") or PROFILE_EXAMPLES.get(settings.get_current_profile_name(), 24))

PLAIN_STATES = 1000  # the plain search's bound: scopes that need more are inconclusive
REDUCED_STATES = 2000  # cap for the reduced and the superset searches (given 3x the plain's count)
DEPTH_STATES = 600  # the depth-bounded searches with and without the abstraction
TIE_STATES = 3000  # a restricted search confirming a tie between two invariants

FAULTS = ("containerCrash", "nodeLoss", "nodeCrash", "coalesce", "requestLoss", "componentRestart")
# variants that break invariants (README "Invariants"), and upstream (none)
VARIANTS = (
    {},
    {"replicaSetExpectations": False},
    {"schedulerAssumeCache": False},
    {"replicaSetTrustsStatus": True},
    {"replicaSetEdgeTriggeredDeletes": True},
)
CPUS = ("500m", "1", "2")  # room for 1, 2 or 4 pods of 500m (2, 4 or 8 of 250m)
REQUESTS = ("500m", "250m")
KINDS = ("ReplicaSet", "Deployment", "ReplicaSet", "Deployment", "StatefulSet")  # a StatefulSet scope is the largest


# -- the generator ----------------------------------------------------------------------------


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[dict[str, Any], int]:
    """A scenario document and a depth for the abstraction comparison. The first values of each
    strategy are the cheapest scopes (Hypothesis starts there), so a small sample still holds
    finished searches."""
    n = draw(st.sampled_from((1, 1, 2, 2, 3)))
    if n == 1 or draw(st.booleans()):
        cpus = [draw(st.sampled_from(CPUS))] * n  # identical nodes: symmetry can merge them
    else:
        cpus = [draw(st.sampled_from(CPUS)) for _ in range(n)]
    kind = draw(st.sampled_from(KINDS))
    replicas = draw(st.integers(1, 3))
    faults = draw(st.lists(st.sampled_from(FAULTS), max_size=2, unique=True))
    budgets = [draw(st.sampled_from((1, 1, 2))) for _ in faults]
    request = draw(st.sampled_from(REQUESTS))
    variants = draw(st.sampled_from(VARIANTS))
    start = draw(st.sampled_from(("settled", "applied")))
    spec: dict[str, Any] = {
        "start": start,
        "nodes": [
            {"name": f"node-{i + 1}", "capacity": {"cpu": c, "memory": "4Gi", "pods": 110}} for i, c in enumerate(cpus)
        ],
        "objects": [
            {
                "apiVersion": "apps/v1",
                "kind": kind,
                "metadata": {"name": "web", "namespace": "default"},
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": {"app": "web"}},
                    "template": {
                        "metadata": {"labels": {"app": "web"}},
                        "spec": {
                            "containers": [
                                {
                                    "name": "web",
                                    "image": "nginx",
                                    "resources": {"requests": {"cpu": request, "memory": "128Mi"}},
                                }
                            ]
                        },
                    },
                },
            }
        ],
        "faults": dict(zip(faults, budgets, strict=True)),
        "variants": variants,
    }
    if draw(st.integers(0, 3)) == 3:
        lo = draw(st.integers(1, 2))
        hi = draw(st.integers(lo + 1, 3))
        spec["user"] = [{"op": "scale", "target": f"{kind}/web", "replicas": [lo, hi]}]
    doc = {"apiVersion": "kmodel/v1", "kind": "Scenario", "metadata": {"name": "generated"}, "spec": spec}
    # the depth follows from the scenario rather than being drawn: a draw that differed only in
    # its depth was a duplicate scenario (a third of the deep run's draws were)
    return doc, 6 + (n + replicas + len(faults) + sum(budgets) + len(variants)) % 5


def load(doc: dict[str, Any], invariants: list[str] | None = None) -> Scenario:
    data = copy.deepcopy(doc)
    if invariants is not None:
        data["spec"]["invariants"] = invariants
    return scenario_from_data(data, "<generated>")


# -- outcomes and how two of them compare -----------------------------------------------------


@attrs.frozen
class Outcome:
    """What one search said, reduced to what must agree."""

    complete: bool  # no bound was hit (a violation found before any bound counts as complete)
    invariant: str | None
    liveness: bool
    length: int
    shortest: bool

    @property
    def verdict(self) -> str:
        return "held" if self.invariant is None else ("lasso " if self.liveness else "") + self.invariant

    def __str__(self) -> str:
        where = f", {self.length} steps{'' if self.shortest else ' (not shortest)'}" if self.invariant else ""
        return f"{self.verdict}{where}{'' if self.complete else ' (bound hit)'}"


def outcome(result: ExploreResult[Any]) -> Outcome:
    v = result.violation
    return Outcome(
        complete=result.bound is None,
        invariant=v.invariant if v is not None else None,
        liveness=result.loop_start is not None,
        length=len(result.steps),
        shortest=result.shortest,
    )


@attrs.frozen
class Judgement:
    status: str  # agree, inconclusive, tie (to confirm: same length, other invariant), superset, disagree
    detail: str = ""


def judge(base: Outcome, other: Outcome, *, superset: bool = False, order: tuple[str, ...] = ()) -> Judgement:
    """Whether ``other`` agrees with ``base``. ``superset``: ``other`` searched a model with more
    behaviours than ``base``'s (symmetry against the plain model), so it may find violations
    ``base`` does not, and shorter ones, but never miss one: a lasso it reports is for
    ``base``'s invariant or one before it in ``order`` (the explorer reports the first
    property, in declaration order, that has a lasso)."""
    if base.complete and other.complete:
        if base.invariant is None and other.invariant is None:
            return Judgement("agree")
        if superset and base.invariant is None:
            return Judgement("superset", f"found {other} where check's model holds")
        if base.invariant is None or other.invariant is None or base.liveness != other.liveness:
            return Judgement("disagree", f"{base} against {other}")
        if base.liveness:
            if base.invariant == other.invariant:
                return Judgement("agree")
            earlier = superset and order.index(other.invariant) < order.index(base.invariant)
            return Judgement("superset" if earlier else "disagree", f"{base} against {other}")
        if base.shortest and other.shortest:
            if other.length > base.length or (other.length < base.length and not superset):
                return Judgement("disagree", f"shortest traces differ: {base} against {other}")
            if other.length < base.length:
                return Judgement("superset", f"a shorter trace in the superset: {base} against {other}")
        if base.invariant != other.invariant:
            if base.length == other.length and base.shortest and other.shortest:
                return Judgement("tie", f"{base} against {other}")
            return Judgement("inconclusive", f"other invariant, not shortest: {base} against {other}")
        return Judgement("agree")
    # A violation found before a bound is real: it contradicts a complete "held".
    for done, part in ((base, other), (other, base)):
        if done.complete and not part.complete and part.invariant is not None:
            if done.invariant is None and not (superset and part is other):
                return Judgement("disagree", f"{base} against {other}")
            if done.invariant == part.invariant and done.liveness == part.liveness:
                return Judgement("agree")
    return Judgement("inconclusive")


# -- the tally --------------------------------------------------------------------------------


@attrs.define
class Tally:
    scenarios: int = 0
    plain: Counter[str] = attrs.field(factory=Counter)  # held / safety / liveness / bound
    conclusive: Counter[str] = attrs.field(factory=Counter)  # per comparison
    active: Counter[str] = attrs.field(factory=Counter)  # conclusive, with the reduction in use
    cut: Counter[str] = attrs.field(factory=Counter)  # conclusive, and the reduced run kept fewer states
    liveness_cut: Counter[str] = attrs.field(factory=Counter)  # of those, held or lasso verdicts
    inconclusive: Counter[str] = attrs.field(factory=Counter)
    ties: Counter[str] = attrs.field(factory=Counter)
    superset: Counter[str] = attrs.field(factory=Counter)
    violations: Counter[str] = attrs.field(factory=Counter)  # conclusive comparisons on a violation
    replays: int = 0
    seconds: Counter[str] = attrs.field(factory=Counter)
    seen: set[str] = attrs.field(factory=set)  # the scenarios explored, as YAML
    depths: set[tuple[str, int]] = attrs.field(factory=set)  # (scenario, depth) compared depth-bounded
    duplicates: int = 0

    def summary(self) -> str:
        rows = [
            f"reduction agreement: {self.scenarios} scenarios ({self.duplicates} duplicate draws), "
            f"plain verdicts {dict(self.plain)}"
        ]
        for name in sorted(set(self.conclusive) | set(self.inconclusive)):
            rows.append(
                f"  {name:24} conclusive {self.conclusive[name]:5} (reduction in use {self.active[name]}, "
                f"fewer states {self.cut[name]} ({self.liveness_cut[name]} held or lasso), "
                f"on violations {self.violations[name]}, ties {self.ties[name]}, superset {self.superset[name]}), "
                f"inconclusive {self.inconclusive[name]}"
            )
        rows.append(f"  replays {self.replays}; seconds { ({k: round(v, 1) for k, v in self.seconds.items()}) }")
        return "\n".join(rows)


def cut(run: Any, base: ExploreResult[Any]) -> bool:
    """Whether a reduced run kept fewer distinct states than its baseline."""
    return bool(run.result.distinct < base.distinct)


class DisagreementError(AssertionError):
    pass


class Case:
    """One generated scenario through every search."""

    def __init__(self, doc: dict[str, Any], depth: int, tally: Tally) -> None:
        self.doc = doc
        self.depth = depth
        self.tally = tally
        self.sc = load(doc)
        self.log: list[str] = []  # what each search said (KMODEL_AGREE_VERBOSE)

    def fail(self, what: str) -> None:
        raise DisagreementError(f"{what}\nreproducer (tests/data YAML):\n{dump(self.doc)}")

    def timed(self, name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            self.tally.seconds[name] += time.perf_counter() - t0

    def run(self) -> None:
        t0 = time.perf_counter()
        try:
            self._run()
        finally:
            if VERBOSE:
                spec = self.doc["spec"]
                workload = spec["objects"][0]
                print(
                    f"[{time.perf_counter() - t0:5.1f}s] {[n['capacity']['cpu'] for n in spec['nodes']]} "
                    f"{workload['kind']}x{workload['spec']['replicas']} faults={sorted(spec['faults'])} "
                    f"variants={spec['variants']} start={spec['start']} user={'user' in spec}: {self.log}"
                )

    def _run(self) -> None:
        key = dump(self.doc)
        if key in self.tally.seen:
            # another draw of a scenario already explored (e.g. only the depth differs): the
            # explorer is deterministic, so only the depth-bounded comparison can be new
            self.tally.duplicates += 1
            if (key, self.depth) not in self.tally.depths:
                self.tally.depths.add((key, self.depth))
                self.abstraction()
            return
        self.tally.scenarios += 1
        self.tally.seen.add(key)
        self.tally.depths.add((key, self.depth))
        self.abstraction()
        plain = self.explore("plain", PLAIN_STATES)
        p = outcome(plain.result)
        self.tally.plain[
            "bound"
            if not p.complete and p.invariant is None
            else "liveness"
            if p.liveness
            else "safety"
            if p.invariant
            else "held"
        ] += 1
        if not p.complete and p.invariant is None:
            # nothing to compare with: every reduced run would be inconclusive
            for name in ("por", "symmetry", "symmetry+por", "symmetry/superset", "symmetry+por/superset"):
                self.tally.inconclusive[name] += 1
            return
        cap = min(REDUCED_STATES, 3 * plain.result.distinct + 100)
        por = self.explore("por", cap, por=True)
        self.compare("por", p, outcome(por.result), por.result.reduced > 0, cut(por, plain.result), plain_model=True)
        sym = self.explore("symmetry", cap, symmetry=True)
        sympor = self.explore("symmetry+por", cap, symmetry=True, por=True)
        pods = sym.symmetry_note is None
        if sym.result.symmetry:
            t0 = time.perf_counter()
            ties = explore_model(self.superset_view(pods), max_states=cap, symmetry=False)
            self.tally.seconds["superset"] += time.perf_counter() - t0
            self.log.append(f"superset: {outcome(ties)} [{ties.distinct} states, {time.perf_counter() - t0:.1f}s]")
        else:
            ties = sym.result  # nothing interchangeable: the symmetric run is the superset unreduced
        t = outcome(ties)
        self.compare("symmetry", t, outcome(sym.result), sym.result.symmetry, cut(sym, ties), pods=pods)
        both = sympor.result.symmetry or sympor.result.reduced > 0
        self.compare("symmetry+por", t, outcome(sympor.result), both, cut(sympor, ties), pods=pods)
        # user-facing: the same scenario explored with --symmetry and without
        for name, run in (("symmetry/superset", sym), ("symmetry+por/superset", sympor)):
            used = run.result.symmetry
            self.compare(
                name, p, outcome(run.result), used, cut(run, plain.result), plain_model=True, superset=True, pods=pods
            )

    def explore(self, name: str, max_states: int, **kw: Any) -> Any:
        t0 = time.perf_counter()
        run = self.timed(name, kmodel.explore, self.sc, max_states=max_states, **kw)
        r = run.result
        self.log.append(f"{name}: {outcome(r)} [{r.distinct} states, {time.perf_counter() - t0:.1f}s]")
        if run.trace is not None:
            rep = self.timed("replay", kmodel.replay, run.trace)
            self.tally.replays += 1
            if not rep.reproduced:
                found = rep.violation.invariant if rep.violation is not None else "nothing"
                self.fail(f"{name}: the {run.trace.violation.invariant} trace replays to {found}")
        return run

    def superset_view(self, pods: bool, invariants: list[str] | None = None) -> ExploreView:
        sc = self.sc if invariants is None else load(self.doc, invariants)
        return ExploreView(sc.model(), ties=True, pod_symmetry=pods)

    def compare(
        self,
        name: str,
        base: Outcome,
        other: Outcome,
        active: bool,
        fewer: bool,
        *,
        plain_model: bool = False,
        superset: bool = False,
        pods: bool = True,
    ) -> None:
        order = tuple(p.name for p in self.sc.model().properties())
        j = judge(base, other, superset=superset, order=order)
        if j.status == "tie" and superset:
            j = Judgement("superset", j.detail)  # the other invariant may be the superset's alone
        if j.status == "tie":
            # Two invariants broken at the same depth: the other run's must be a shortest
            # violation in the baseline model too.
            inv = other.invariant
            assert inv is not None
            if plain_model:
                model: Any = ExploreView(load(self.doc, [inv]).model())
            else:
                model = self.superset_view(pods, [inv])
            again = self.timed(
                "ties", explore_model, model, max_depth=base.length, max_states=TIE_STATES, symmetry=False
            )
            if again.violation is not None and again.violation.invariant == inv and len(again.steps) == base.length:
                self.tally.ties[name] += 1
                j = Judgement("agree")
            elif again.bound == "max_states":
                j = Judgement("inconclusive")
            else:
                j = Judgement("disagree", f"{j.detail}; {inv} alone: {outcome(again)}")
        if j.status == "disagree":
            self.fail(f"{name} disagrees with its baseline: {j.detail}")
        if j.status == "inconclusive":
            self.tally.inconclusive[name] += 1
            return
        if j.status == "superset":
            self.tally.superset[name] += 1
        self.tally.conclusive[name] += 1
        self.tally.active[name] += bool(active)
        self.tally.cut[name] += fewer
        self.tally.violations[name] += base.invariant is not None or other.invariant is not None
        # the evidence on liveness: a "held" (every eventually-property held on the reduced
        # graph) or a lasso, agreed on while the reduction merged or skipped states
        if fewer and j.status == "agree":
            self.tally.liveness_cut[name] += base.invariant is None or base.liveness

    def abstraction(self) -> None:
        """Depth-bounded, with and without the abstraction: the same safety verdict within
        ``depth`` steps, at the same depth."""
        name = "abstraction"
        a = self.timed(
            name,
            explore_model,
            ExploreView(self.sc.model()),
            max_depth=self.depth,
            max_states=DEPTH_STATES,
            symmetry=False,
        )
        c = self.timed(
            name,
            explore_model,
            ExploreView(self.sc.model(), abstraction=False),
            max_depth=self.depth,
            max_states=DEPTH_STATES,
            symmetry=False,
        )

        def safety(r: ExploreResult[Any]) -> tuple[str, int] | None:
            return (r.violation.invariant, len(r.steps)) if r.violation is not None and r.loop_start is None else None

        sa, sc_ = safety(a), safety(c)
        done_a = sa is not None or a.bound != "max_states"
        done_c = sc_ is not None or c.bound != "max_states"
        if not (done_a and done_c):
            if (sa is None and done_a and sc_ is not None) or (sc_ is None and done_c and sa is not None):
                self.fail(f"{name}: within {self.depth} steps abstract {sa}, concrete {sc_}")
            self.tally.inconclusive[name] += 1
            return
        if sa != sc_:
            if sa is None or sc_ is None or sa[1] != sc_[1]:
                self.fail(f"{name}: within {self.depth} steps abstract {sa}, concrete {sc_}")
            # same depth, other invariant: each must be violated at that depth in the other model
            for model_of, inv in (
                (lambda d: ExploreView(d.model()), sc_[0]),
                (lambda d: ExploreView(d.model(), abstraction=False), sa[0]),
            ):
                again = explore_model(
                    model_of(load(self.doc, [inv])), max_depth=sa[1], max_states=TIE_STATES, symmetry=False
                )
                if again.bound == "max_states":
                    self.tally.inconclusive[name] += 1
                    return
                if again.violation is None or again.violation.invariant != inv or len(again.steps) != sa[1]:
                    alone = outcome(again)
                    self.fail(f"{name}: within {self.depth} steps abstract {sa}, concrete {sc_}; {inv} alone: {alone}")
            self.tally.ties[name] += 1
        self.tally.conclusive[name] += 1
        self.tally.active[name] += 1
        self.tally.cut[name] += a.distinct < c.distinct
        self.tally.violations[name] += sa is not None


# -- the test ---------------------------------------------------------------------------------


def test_every_reduction_agrees_with_the_plain_search() -> None:
    tally = Tally()

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(scenarios())
    def agree(case: tuple[dict[str, Any], int]) -> None:
        Case(*case, tally).run()

    agree()
    print("\n" + tally.summary())
    # not degenerate: the sample must hold both verdicts and let every reduction cut something
    assert tally.scenarios >= EXAMPLES // 2, tally.summary()
    assert tally.plain["held"] >= 1 and tally.plain["safety"] >= 1, tally.summary()
    for name in ("por", "symmetry", "symmetry+por"):
        assert tally.active[name] >= 1, f"{name} never in use in a conclusive comparison\n{tally.summary()}"
        if EXAMPLES >= 200:
            assert tally.cut[name] >= 1, f"{name} never cut states in a conclusive comparison\n{tally.summary()}"
    assert tally.cut["por"] >= 1, tally.summary()
    assert tally.violations["por"] >= 1 and tally.violations["symmetry"] >= 1, tally.summary()
    assert tally.conclusive["abstraction"] >= EXAMPLES // 2 and tally.violations["abstraction"] >= 1, tally.summary()
    if EXAMPLES >= 200:
        assert tally.plain["liveness"] >= 1, tally.summary()


HELD = Outcome(complete=True, invariant=None, liveness=False, length=0, shortest=True)
CAPPED = Outcome(complete=False, invariant=None, liveness=False, length=0, shortest=True)


def safety(invariant: str, length: int, *, shortest: bool = True) -> Outcome:
    return Outcome(complete=True, invariant=invariant, liveness=False, length=length, shortest=shortest)


def lasso(invariant: str, *, complete: bool = True) -> Outcome:
    return Outcome(complete=complete, invariant=invariant, liveness=True, length=120, shortest=True)


ORDER = ("NoOvercommit", "NoExcessReplicas", "ReplicasConverge", "DeploymentComplete")


def test_judge_tells_a_disagreement_from_an_inconclusive_or_tied_comparison() -> None:
    """The comparison itself: what counts as a disagreement (so the property above can fail)."""
    cases = [
        (HELD, HELD, False, "agree"),
        (HELD, safety("NoExcessReplicas", 5), False, "disagree"),
        (safety("NoExcessReplicas", 5), HELD, False, "disagree"),
        (safety("NoExcessReplicas", 5), safety("NoExcessReplicas", 6), False, "disagree"),
        (safety("NoExcessReplicas", 5), safety("NoExcessReplicas", 7, shortest=False), False, "agree"),
        (safety("NoExcessReplicas", 5), safety("NoOvercommit", 5), False, "tie"),
        (safety("NoExcessReplicas", 5), lasso("ReplicasConverge"), False, "disagree"),
        (lasso("ReplicasConverge"), lasso("DeploymentComplete"), False, "disagree"),
        (lasso("ReplicasConverge"), lasso("ReplicasConverge", complete=False), False, "agree"),
        (HELD, lasso("ReplicasConverge", complete=False), False, "disagree"),  # a lasso found is real
        (CAPPED, HELD, False, "inconclusive"),
        (CAPPED, safety("NoOvercommit", 3), False, "inconclusive"),
        # against check's model, the symmetric superset may find more, never less
        (HELD, safety("NoOvercommit", 4), True, "superset"),
        (safety("NoExcessReplicas", 5), safety("NoExcessReplicas", 4), True, "superset"),
        (safety("NoExcessReplicas", 5), safety("NoExcessReplicas", 6), True, "disagree"),
        (safety("NoExcessReplicas", 5), HELD, True, "disagree"),
        (lasso("DeploymentComplete"), lasso("ReplicasConverge"), True, "superset"),
        (lasso("ReplicasConverge"), lasso("DeploymentComplete"), True, "disagree"),
    ]
    for base, other, superset, expected in cases:
        got = judge(base, other, superset=superset, order=ORDER).status
        assert got == expected, f"{base} against {other} (superset {superset}): {got}, expected {expected}"
