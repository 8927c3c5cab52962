"""Trace: a violation as portable, self-contained data (no I/O here).

A trace embeds everything needed to replay it: the resolved model input (for kmodel, the
scenario with manifests inlined), the seed, the tool version, the steps and the violation.
``from_data`` validates strictly, so a truncated or hand-edited trace fails with a field path.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs

from kmodel.core.model import Action
from kmodel.core.run import Violation
from kmodel.errors import InputError
from kmodel.fields import Fields, _type_name

FORMAT = "kmodel/v1"
OPTIONAL = ("loopStart", "scenarioFile")  # keys only some traces carry


@attrs.frozen
class Trace:
    version: str
    scenario: dict[str, Any] = attrs.field(eq=False)
    seed: int
    steps: tuple[Action, ...]
    violation: Violation
    loop_start: int | None = None
    """For a liveness lasso from ``kmodel explore``: ``steps[loop_start:]`` repeat forever."""
    scenario_file: str | None = attrs.field(default=None, eq=False)
    """The scenario file the trace was found on (an absolute path), for a scenario with user
    modules: ``kmodel replay --current-code`` reads the modules beside it as they are now. A
    saved trace gives it relative to the trace file's directory (``scenarioFile``), so a
    checkout that moves keeps its traces working."""

    def to_data(self, relative_to: str | None = None) -> dict[str, Any]:
        """The trace as YAML-ready data; ``relative_to`` is the directory the trace file is
        written to (``scenarioFile`` is relative to it)."""
        v = self.violation
        violation: dict[str, Any] = {"invariant": v.invariant, "kind": v.kind, "step": v.step}
        if v.settle_step:
            violation["settleStep"] = v.settle_step
        violation["message"] = v.message
        data: dict[str, Any] = {
            "apiVersion": FORMAT,
            "kind": "Trace",
            "kmodelVersion": self.version,
            "seed": self.seed,
            "violation": violation,
        }
        if self.loop_start is not None:
            data["loopStart"] = self.loop_start  # only lassos carry it: older traces stay valid
        if self.scenario_file is not None:  # only traces of scenarios with modules carry it
            data["scenarioFile"] = _relative(self.scenario_file, relative_to)
        data["steps"] = [a.to_data() for a in self.steps]
        data["scenario"] = self.scenario
        return data

    @classmethod
    def from_data(cls, data: Any, current_version: str, directory: str | None = None) -> Trace:
        """Validate a trace document; ``directory`` is the trace file's (``scenarioFile`` is
        relative to it)."""
        f = Fields(data, what="a kmodel Trace document")
        f.only(("apiVersion", "kind", "kmodelVersion", "seed", "violation", "steps", "scenario", *OPTIONAL))
        if f.str("apiVersion") != FORMAT or f.str("kind") != "Trace":
            raise f.error("kind", f"expected apiVersion {FORMAT!r} and kind 'Trace'")
        version = f.str("kmodelVersion")
        if version != current_version:
            raise f.error(
                "kmodelVersion",
                f"trace written by kmodel {version}; this is kmodel {current_version} — "
                "the model may differ, so re-run `kmodel check` to get a fresh trace",
            )
        seed = f.int("seed")
        vf = f.map("violation", required=True)
        vf.only(("invariant", "kind", "step", "settleStep", "message"))
        kind = vf.str("kind")
        if kind not in ("always", "eventually"):
            raise vf.error("kind", f"expected 'always' or 'eventually', got {kind!r}")
        steps = []
        for path, item in f.list("steps", required=True):
            sf = Fields(item, path)
            op = sf.str("op")
            args: dict[str, str | int | bool] = {}
            for k, v in sf.data.items():
                if k == "op":
                    continue
                if not isinstance(v, str | int):  # bool is an int
                    raise sf.error(k, f"expected a string or an integer, got {_type_name(v)}")
                args[k] = v
            # Not ``Action.of(op, **args)``: an argument named like one of its parameters
            # (``cls``, ``op``) would collide. Whether the op and its arguments belong to the
            # model is checked against the model (``kmodel.api.check_steps``).
            steps.append(Action(op, tuple(sorted(args.items()))))
        violation = Violation(
            invariant=vf.str("invariant"),
            kind=kind,
            message=vf.str("message"),
            step=vf.int("step", minimum=0, maximum=len(steps)),
            settle_step=vf.int("settleStep", 0, minimum=0),
        )
        scenario = f.raw("scenario")
        if not isinstance(scenario, dict):
            raise InputError("is required (a mapping)", path=("scenario",))
        loop_start = f.int("loopStart", None, minimum=0, maximum=len(steps))
        scenario_file = f.str("scenarioFile", None)
        if scenario_file is not None and directory is not None:
            scenario_file = os.path.normpath(os.path.join(directory, scenario_file))
        return cls(version, scenario, seed, tuple(steps), violation, loop_start, scenario_file)


def _relative(path: str, directory: str | None) -> str:
    if directory is None:
        return path
    try:
        return Path(os.path.relpath(path, directory)).as_posix()
    except ValueError:  # another drive (Windows): no relative path
        return path
