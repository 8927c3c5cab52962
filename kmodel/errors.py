"""kmodel's errors. Input errors: one line naming the file, the document and the field path.
Internal errors: a bug in kmodel, never a verdict.

Three kinds of failure, told apart everywhere (CLI exit code, pytest outcome, Python exception):
- ``InputError`` (exit 2): the scenario, manifest, trace or ``--out`` is wrong; fix the input.
- a violation: not an exception at all, a result (``CheckResult.trace``; exit 1).
- ``KmodelInternalError`` (exit 70): kmodel itself failed; the result means nothing.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent  # kmodel/


class InputError(Exception):
    """Bad user input (scenario, manifest, trace). The CLI prints ``str(err)`` and exits 2.

    Formats as ``FILE: document N: field.path: what was expected``; parts that are unknown are
    left out. ``document`` is 1-based, as editors and ``kubectl`` number YAML documents.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        document: int | None = None,
        path: Sequence[str | int] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.document = document
        self.path = tuple(path)

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.document is not None:
            parts.append(f"document {self.document}")
        if self.path:
            parts.append(format_path(self.path))
        parts.append(self.message)
        return ": ".join(parts).replace("\n", " ")

    def within(
        self, *, file: str | None = None, document: int | None = None, prefix: Sequence[str | int] = ()
    ) -> InputError:
        """The same error with outer context filled in where it is missing."""
        return InputError(
            self.message,
            file=self.file or file,
            document=self.document if self.document is not None else document,
            path=tuple(prefix) + self.path,
        )


def format_path(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


class OutputError(InputError):
    """An output file cannot be written (``--out`` is a file, a report's path is a directory, no
    permission, disk full). Not a kmodel bug: like bad input, one line and exit 2."""


class KmodelInternalError(Exception):
    """An exception kmodel did not expect: a bug in kmodel, never a verdict about the scenario.

    Raised by the public API (``kmodel.check``, ``explore``, ``replay``, ...) from the
    exception that caused it (``__cause__``, also ``cause``). ``where`` is the innermost kmodel
    frame, ``kmodel/core/trace.py:81``: where to start reading.
    """

    def __init__(self, cause: BaseException) -> None:
        self.cause = cause
        self.kind = type(cause).__name__
        self.where = kmodel_frame(cause)
        super().__init__(f"internal error (a kmodel bug): {self.kind} at {self.where}: {cause}")

    def __reduce__(self) -> tuple[Any, ...]:
        """Picklable (multiprocessing, pytest-xdist): the cause travels as its text."""
        return _rebuild_internal_error, (str(self), self.kind, self.where)


def _rebuild_internal_error(message: str, kind: str, where: str) -> KmodelInternalError:
    err = KmodelInternalError.__new__(KmodelInternalError)
    Exception.__init__(err, message)
    err.cause, err.kind, err.where = RuntimeError(message), kind, where
    return err


def kmodel_frame(exc: BaseException) -> str:
    """``kmodel/PATH.py:LINE`` of the innermost frame of ``exc``'s traceback that is kmodel's
    own code; the innermost frame of all if none is (``?`` without a traceback)."""
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        try:
            rel = Path(frame.filename).resolve().relative_to(_PACKAGE)
        except (ValueError, OSError):
            continue
        return f"kmodel/{rel.as_posix()}:{frame.lineno}"
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
