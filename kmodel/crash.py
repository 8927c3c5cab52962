"""Crash reports: what a kmodel bug needs to be reproduced, in one file.

An edge module (wall clock, files). When the command line meets an exception kmodel did not
expect (``KmodelInternalError`` or any other), it writes ``crash-<time>-<pid>.txt`` under
``--out`` (the system's temporary directory for ``replay``, which has no ``--out``, or when
``--out`` cannot be written) holding the traceback, kmodel's version, the exact command, the
seed, and the contents of the scenario or trace files the command read (with the manifests a
scenario names). The name is not deterministic: a crash is no result to compare.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shlex
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from kmodel._version import __version__
from kmodel.errors import KmodelInternalError, kmodel_frame
from kmodel.yamlio import write_atomic

MAX_FILE_CHARS = 1_000_000  # of one input file in the report; the rest is cut


def cause_of(exc: BaseException) -> BaseException:
    """The exception a ``KmodelInternalError`` stands for; any other is its own cause."""
    return exc.cause if isinstance(exc, KmodelInternalError) else exc


def one_line(exc: BaseException) -> str:
    """``TypeError at kmodel/core/trace.py:81``: the error's kind and its innermost kmodel frame."""
    if isinstance(exc, KmodelInternalError):
        return f"{exc.kind} at {exc.where}"
    return f"{type(exc).__name__} at {kmodel_frame(exc)}"


def _manifests(scenario: Path) -> list[Path]:
    """The manifest files a scenario names (``spec.manifests``), best effort: a crash report
    must not fail on the input that may have caused the crash."""
    try:
        data = yaml.safe_load(scenario.read_text(encoding="utf-8"))
        names = data["spec"]["manifests"]
        return [scenario.parent / n for n in names if isinstance(n, str)]
    except Exception:
        return []


def _contents(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        return f"(cannot read: {err.strerror or err})\n"
    if len(text) > MAX_FILE_CHARS:
        text = text[:MAX_FILE_CHARS] + f"\n(cut: the file has {len(text)} characters)"
    return text if text.endswith("\n") else text + "\n"


def render(exc: BaseException, *, argv: Sequence[str], seed: str, inputs: Sequence[tuple[str, Path]]) -> str:
    """The crash report's text. ``inputs``: (what, path) of each file the command read, e.g.
    ``("scenario", Path("a.yaml"))``; a scenario's manifests are added after it."""
    files: list[tuple[str, Path]] = []
    for what, path in inputs:
        files.append((what, path))
        if what == "scenario":
            files.extend((f"manifest of {path}", m) for m in _manifests(path))
    lines = [
        "kmodel crash report: an internal error (a kmodel bug), not a verdict about the scenario.",
        "Please attach this file to a bug report.",
        "",
        f"error:    {one_line(exc)}: {cause_of(exc)}",
        f"version:  kmodel {__version__} (Python {platform.python_version()}, {platform.platform()})",
        f"command:  {shlex.join(['kmodel', *argv])}",
        f"cwd:      {os.getcwd()}",
        f"seed:     {seed}",
        f"time:     {time.strftime('%Y-%m-%dT%H:%M:%S%z')}",
        "",
        "== traceback ==",
        "".join(traceback.format_exception(exc)).rstrip("\n"),
    ]
    for what, path in files:
        lines += ["", f"== {what}: {path} ==", _contents(path).rstrip("\n")]
    return "\n".join(lines) + "\n"


def write(
    exc: BaseException,
    *,
    argv: Sequence[str],
    seed: str,
    inputs: Sequence[tuple[str, Path]],
    out: Path | None,
) -> Path:
    """Write the crash report under ``out`` (else, or if that fails, the temporary directory)
    and return its path. Raises ``OSError`` only if it can be written nowhere."""
    text = render(exc, argv=argv, seed=seed, inputs=inputs)
    stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    places: list[tuple[Path, str]] = [(Path(tempfile.gettempdir()), f"kmodel-crash-{stamp}")]
    if out is not None:
        places.insert(0, (out, f"crash-{stamp}"))
    error: OSError | None = None
    for directory, stem in places:
        path = directory / f"{stem}.txt"
        n = 1
        while path.exists():
            n += 1
            path = directory / f"{stem}-{n}.txt"
        try:
            write_atomic(path, text)
            return path
        except OSError as err:
            error = err
    assert error is not None
    raise error


def report_line(exc: BaseException, path: Path | None, failure: Exception | None = None) -> str:
    """The one line on stderr."""
    where = f"crash report: {path}" if path is not None else f"no crash report ({failure}); --debug shows the traceback"
    return f"kmodel: internal error (a kmodel bug): {one_line(exc)}; {where}"


def seed_of_trace(path: Path) -> Any:
    """A trace file's seed, best effort (for the crash report's ``seed`` line)."""
    with contextlib.suppress(Exception):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return data.get("seed")
    return None
