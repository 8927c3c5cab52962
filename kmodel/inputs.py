"""The inputs of ``kmodel check``, ``explore``, ``report`` and ``init``: scenario files, or the
plain Kubernetes YAML an application ships (several files, ``helm template`` or
``kubectl kustomize`` output).

Each argument is a file, a directory or ``-``:

- ``-`` is standard input, read once to its end with the file guards of ``kmodel.yamlio``
  (size limit, alias bombs, UTF-8); errors name ``<stdin>``;
- a directory stands for its ``*.yaml`` and ``*.yml`` files in sorted name order, not its
  subdirectories (as ``kubectl apply -f DIR`` without ``--recursive``).

When every input holds kmodel ``Scenario`` documents, each is a scenario, as always. When every
input holds plain Kubernetes objects, they are one application, wrapped in kmodel's default
scenario (``kmodel.wrap``). Mixing the two is an input error, and so is an input with no
objects at all.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import attrs

from kmodel.errors import InputError
from kmodel.manifests import defined_kinds, parse_documents
from kmodel.scenario import Scenario, load_scenario, scenario_from_data
from kmodel.wrap import Sizing, Source, default_scenario_data
from kmodel.yamlio import STDIN_LABEL, load_documents, read_stream, read_text

STDIN = "-"
SUFFIXES = (".yaml", ".yml")


def is_scenario_doc(doc: Any) -> bool:
    """A kmodel document (``kind: Scenario`` or a ``kmodel/`` apiVersion), even a broken one,
    so that its errors are the scenario loader's."""
    if not isinstance(doc, dict):
        return False
    version = doc.get("apiVersion")
    return doc.get("kind") == "Scenario" or (isinstance(version, str) and version.startswith("kmodel/"))


def expand(names: Sequence[str]) -> list[tuple[str, Path | None]]:
    """``(label, path)`` of every input file, directories expanded (``path`` None: stdin)."""
    out: list[tuple[str, Path | None]] = []
    for name in names:
        if name == STDIN:
            if any(p is None for _, p in out):
                raise InputError("standard input ('-') is given more than once")
            out.append((STDIN_LABEL, None))
            continue
        path = Path(name)
        if not path.is_dir():
            out.append((name, path))
            continue
        files = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and not p.is_dir())
        if not files:
            raise InputError("is a directory with no *.yaml or *.yml files", file=name)
        out.extend((str(p), p) for p in files)
    return out


def read_sources(names: Sequence[str], stdin: BinaryIO | None = None) -> list[Source]:
    """Every input's documents, checked by ``kmodel.yamlio``."""
    sources = []
    for label, path in expand(names):
        text = read_stream(stdin or sys.stdin.buffer) if path is None else read_text(path, label)
        sources.append(Source(label, path, tuple(load_documents(text, label))))
    return sources


def load_inputs(names: Sequence[str], stdin: BinaryIO | None = None) -> list[Scenario]:
    """The scenarios ``names`` stand for: the built-in default for none; one per scenario
    file; or one default scenario around all the manifests."""
    if not names:
        return [load_scenario(None)]
    sources = read_sources(names, stdin)
    kinds = _classify(sources)
    if kinds == "scenario":
        return [_scenario(s) for s in sources]
    return [wrap(sources, names[0])[2]]


def load_one(names: Sequence[str], command: str) -> Scenario:
    """The one scenario of a command that takes one (``explore``)."""
    scenarios = load_inputs(names)
    if len(scenarios) > 1:
        raise InputError(f"{command} takes one scenario (or the manifests of one application), got {len(scenarios)}")
    return scenarios[0]


def _classify(sources: Sequence[Source]) -> str:
    """``"scenario"`` or ``"manifests"``; raises on a mix of the two."""
    scenarios = [s for s in sources if any(is_scenario_doc(d) for d in s.docs)]
    plain = [s for s in sources if s.docs and s not in scenarios]
    if scenarios and plain:
        raise InputError(
            f"is a kmodel Scenario, but {plain[0].label} holds plain Kubernetes objects: give either scenarios "
            "or manifests (a scenario names its manifests under spec.manifests)",
            file=scenarios[0].label,
        )
    return "scenario" if scenarios else "manifests"


def _scenario(source: Source) -> Scenario:
    if source.path is not None:
        return load_scenario(source.path)  # as before: the file is its own label and base
    if len(source.docs) != 1:
        raise InputError(f"expected one YAML document, found {len(source.docs)}", file=source.label)
    return scenario_from_data(source.docs[0], source.label, Path("."))


def wrap(sources: Sequence[Source], first_input: str) -> tuple[dict[str, Any], Sizing, Scenario]:
    """The default scenario around plain manifests: its document (``spec.manifests`` relative
    to the current directory), the node sizing, and the loaded scenario. Every object is parsed
    first, so errors name the input file and document, not the generated scenario."""
    crds = defined_kinds([d for s in sources for d in s.docs])  # a CRD in any input defines its kind
    parsed = [attrs.evolve(s, objects=tuple(parse_documents(list(s.docs), s.label, crd_kinds=crds))) for s in sources]
    seen: dict[tuple[str, str, str], str] = {}
    for s in parsed:
        for obj in s.objects:
            key = (obj.KIND, obj.meta.namespace, obj.meta.name)
            if key in seen:
                where = f"{obj.KIND} {obj.meta.namespace + '/' if obj.meta.namespace else ''}{obj.meta.name}"
                raise InputError(f"{where} is defined twice (also in {seen[key]})", file=s.label)
            seen[key] = s.label
    if not seen:
        labels = ", ".join(s.label for s in sources)
        raise InputError("no Kubernetes objects to check (the input is empty or only comments)", file=labels)
    label = f"<default scenario for {', '.join(s.label for s in parsed if s.objects)}>"
    data, sizing = default_scenario_data(parsed, first_input)
    return data, sizing, scenario_from_data(data, label, Path("."))
