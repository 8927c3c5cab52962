"""Fuzzing the loaders: a shipped input with one value changed must load or fail with ``InputError``.

Hypothesis takes a shipped scenario (``properties/scenarios/*.yaml``), one of its manifests, or
a shipped trace (``reports/traces/*.yaml``), picks a field path at random and mutates the value
there: another type, a huge or out-of-range integer, a lone surrogate, a long name, a deletion,
an unknown key. The loader then runs in process (``kmodel.load_scenario``; for a trace
``load_trace`` and the step validation ``replay`` does before it runs anything), and the only
exceptions allowed are ``InputError`` and, for mutated embedded user code, ``UserCodeError``
(both exit 2 with one line). Each example has a hard time limit (``SIGALRM``), so a
hang fails the test instead of stalling it.

Budget: a few dozen examples under the ``ci``/``dev`` profiles; ``--hypothesis-profile=deep``
runs ``DEEP_EXAMPLES`` (or ``KMODEL_FUZZ_EXAMPLES``) examples.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kmodel
from kmodel.api import check_steps, load_trace
from kmodel.errors import InputError
from kmodel.k8s.usercontrollers import UserCodeError
from kmodel.scenario import scenario_from_data

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "properties" / "scenarios").glob("*.yaml"))
TRACES = [
    ROOT / "reports" / "traces" / name
    for name in (
        "web-no-expectations-NoExcessReplicas-seed0.yaml",
        "web-no-expectations-NoExcessReplicas-explore.yaml",
        "rs-stale-relist-NoExcessReplicas-explore.yaml",
        "drain-blocked-by-pdb-DrainCompletes-seed0.yaml",
        "op-ha-split-brain-SingleLeader-seed0.yaml",
        "hpa-oscillation-HPASettles-seed0.yaml",
    )
]
TIME_LIMIT = 20  # seconds per example; the slowest valid load here takes about 2 s
DEEP_EXAMPLES = 10_000
HUGE = "__HUGE_INT__"  # replaced in the text: 10**5000 cannot be dumped (str() has a 4300-digit limit)


def _examples() -> int:
    if "KMODEL_FUZZ_EXAMPLES" in os.environ:
        return int(os.environ["KMODEL_FUZZ_EXAMPLES"])
    return DEEP_EXAMPLES if settings._current_profile == "deep" else 30  # type: ignore[attr-defined]


REPLACEMENTS = st.one_of(
    st.sampled_from(
        [
            None,
            True,
            False,
            0,
            -1,
            1,
            2**31,
            2**63,
            -(2**63) - 1,
            10**30,
            10**400,
            HUGE,
            1.5,
            1.0e308,
            float("inf"),
            float("nan"),
            "",
            "x",
            "-1",
            "\ud800",
            "a\udfffb",
            "A_B",
            "w" * 300,
            "9" * 5000,
            "9" * 5000 + "s",
            "9" * 5000 + "%",
            "1" * 60 + "E",
            "10.0.0." + "9" * 5000,
            "50s",
            "500m",
            "ReplicaSet/web",
            "node-1",
            [],
            [1, 2],
            {},
            {"unknown": 1},
        ]
    ),
    st.integers(),
    st.text(max_size=20),
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, (*prefix, i))


@st.composite
def mutated(draw: st.DrawFn, data: Any) -> Any:
    """``data`` with one mutation at a random path (the root included)."""
    paths = list(_paths(data))
    path = draw(st.sampled_from(paths))
    kind = draw(st.sampled_from(["replace", "replace", "replace", "delete", "unknown-key", "wrap"]))
    value = draw(REPLACEMENTS)
    if not path:
        return value if kind == "replace" else [data] if kind == "wrap" else data
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if kind == "delete":
        del parent[last]
    elif kind == "unknown-key" and isinstance(parent[last], dict):
        parent[last][draw(st.sampled_from(["cls", "op", "frame", "x", "specs", "\ud800"]))] = value
    elif kind == "wrap":
        parent[last] = [parent[last]]
    else:
        parent[last] = value
    return data


def _write(path: Path, docs: list[Any]) -> None:
    text = "---\n".join(yaml.safe_dump(d, allow_unicode=False, sort_keys=False) for d in docs)
    path.write_text(text.replace(repr(HUGE), "9" * 5000).replace(HUGE, "9" * 5000), encoding="utf-8")


class _HangError(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _HangError(f"took more than {TIME_LIMIT}s")


def _run(load: Any) -> None:
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    start = time.perf_counter()
    try:
        load()
    except (InputError, UserCodeError) as err:
        # UserCodeError: embedded user code that now fails (a mutated line of spec.modules) when
        # the initial state runs it; the CLI reports it as one line with exit 2, like bad input.
        message = str(err)
        assert "\n" not in message
        message.encode("utf-8")  # printable
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert time.perf_counter() - start < TIME_LIMIT


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of ``properties/`` (scenarios, their manifests and operators) to write into."""
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(ROOT / "properties" / "scenarios", root / "scenarios")
    shutil.copytree(ROOT / "properties" / "operators", root / "operators")
    return root


@settings(max_examples=_examples(), deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_mutated_scenarios_and_manifests_fail_only_with_input_error(tree: Path, data: st.DataObject) -> None:
    source = data.draw(st.sampled_from(SCENARIOS), label="scenario")
    scenario = yaml.safe_load(source.read_text())
    manifests = scenario.get("spec", {}).get("manifests") or []
    target = data.draw(st.sampled_from(["scenario", *range(len(manifests))]), label="target")
    if target == "scenario":
        scenario = data.draw(mutated(scenario), label="mutated scenario")
    else:
        assert isinstance(target, int)
        docs = list(yaml.safe_load_all((source.parent / manifests[target]).read_text()))
        i = data.draw(st.integers(0, len(docs) - 1), label="document")
        docs[i] = data.draw(mutated(docs[i]), label="mutated manifest")
        _write(tree / "scenarios" / "manifests" / "_fuzz.yaml", docs)
        scenario["spec"]["manifests"][target] = "manifests/_fuzz.yaml"
    path = tree / "scenarios" / "_fuzz.yaml"
    _write(path, [scenario])
    _run(lambda: kmodel.load_scenario(path))


def _load_and_validate(path: Path) -> None:
    trace = load_trace(path)
    model = scenario_from_data(trace.scenario, str(path)).model()
    check_steps(model, trace.steps, str(path))


@settings(max_examples=_examples(), deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_mutated_traces_fail_only_with_input_error(tree: Path, data: st.DataObject) -> None:
    source = data.draw(st.sampled_from(TRACES), label="trace")
    trace = data.draw(mutated(yaml.safe_load(source.read_text())), label="mutated trace")
    path = tree / "_fuzz-trace.yaml"
    _write(path, [trace])
    _run(lambda: _load_and_validate(path))
