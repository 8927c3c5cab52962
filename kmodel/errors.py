"""Input errors: one line naming the file, the document and the field path."""

from __future__ import annotations

from collections.abc import Sequence


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
