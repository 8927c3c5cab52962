"""A run's output files, moved into place together at the end of the run, or not at all.

An edge module (it touches files). ``kmodel check a.yaml b.yaml`` writes reports, traces and
``index.html`` under ``--out``; if anything fails half-way (a kmodel bug, Ctrl-C, a report path
that is a directory), ``--out`` must hold what it held before, not half a run. So a run writes
into a :class:`Staging`::

    with Staging(out) as staged:        # discards what it holds on any exception
        staged.write(out / "a.json", text)
        ...
        staged.commit()                 # moves every file into place

Files are written into a temporary directory beside ``out`` (``.OUT.kmodel-XXXX/``, on the same
file system, so that moving a file is a rename), created at the first write. ``commit`` first
checks that every target can be replaced (no directory in the way, no file where a directory
must be), then renames each file over its target, each rename atomic for readers; if one fails
it puts back what it had replaced (from hard links made beforehand) and removes what it had
added, then raises :class:`~kmodel.errors.OutputError`. Files under ``out`` that the run does
not write are kept: another scenario's reports stay, and ``index.html`` is built over both
(:meth:`Staging.glob`, :meth:`Staging.read_text` see the staged files over the ones in ``out``).
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from kmodel.errors import OutputError
from kmodel.yamlio import write_atomic


def _cannot_write(err: OSError, path: Path) -> OutputError:
    return OutputError(f"cannot write: {err.strerror or err}", file=str(path))


class Staging:
    """Files to write under ``out``, held aside until :meth:`commit` (see the module docstring)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self._dir: Path | None = None
        self._files: dict[Path, None] = {}  # paths relative to out, in the order last written

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.discard()

    def _relative(self, path: Path) -> Path:
        rel = path.relative_to(self.out)  # ValueError: a kmodel bug, every output goes under out
        if not rel.parts or ".." in rel.parts:
            raise ValueError(f"{path} is not a file under {self.out}")
        return rel

    def _staged(self, rel: Path) -> Path:
        if self._dir is None:
            parent = self.out.absolute().parent
            try:
                parent.mkdir(parents=True, exist_ok=True)
                self._dir = Path(tempfile.mkdtemp(prefix=f".{self.out.absolute().name}.kmodel-", dir=parent))
            except OSError as err:
                raise _cannot_write(err, self.out) from None
        return self._dir / rel

    def write(self, path: Path, text: str) -> None:
        """Stage ``text`` as the new contents of ``path`` (a file under ``out``)."""
        rel = self._relative(path)
        staged = self._staged(rel)
        try:
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.write_text(text, encoding="utf-8")
        except OSError as err:
            raise _cannot_write(err, path) from None
        self._files.pop(rel, None)
        self._files[rel] = None

    def read_text(self, path: Path) -> str:
        """``path``'s contents as they will be after the commit: staged, else on disk."""
        rel = self._relative(path)
        if rel in self._files:
            return self._staged(rel).read_text(encoding="utf-8")
        return path.read_text(encoding="utf-8")

    def glob(self, pattern: str) -> list[Path]:
        """The files directly under ``out`` matching ``pattern`` after the commit, sorted."""
        names = {p.name for p in self.out.glob(pattern) if p.is_file()} if self.out.is_dir() else set()
        names |= {rel.name for rel in self._files if len(rel.parts) == 1 and fnmatch.fnmatchcase(rel.name, pattern)}
        return [self.out / name for name in sorted(names)]

    def commit(self) -> list[Path]:
        """Move every staged file into place, all or none; returns their paths under ``out``."""
        targets = [(self.out / rel, self._staged(rel)) for rel in self._files]
        self._check(targets)
        created: list[Path] = []
        done: list[tuple[Path, Path | None]] = []  # (target, link to what it held before)
        assert self._dir is not None or not targets
        try:
            for i, (target, staged) in enumerate(targets):
                for d in reversed([target.parent, *target.parent.parents]):
                    if not d.exists():
                        d.mkdir()
                        created.append(d)
                backup = None
                if target.exists():
                    backup = self._dir / ".previous" / str(i)  # type: ignore[operator]
                    backup.parent.mkdir(parents=True, exist_ok=True)
                    try:
                        os.link(target, backup)
                    except OSError:
                        shutil.copy2(target, backup)
                done.append((target, backup))
                try:
                    os.replace(staged, target)
                except OSError as err:
                    if err.errno != errno.EXDEV:
                        raise
                    write_atomic(target, staged.read_text(encoding="utf-8"))  # another file system
        except BaseException as err:
            self._roll_back(done, created)
            if isinstance(err, OSError):
                raise _cannot_write(err, Path(err.filename or self.out)) from None
            raise
        self._files.clear()
        return [target for target, _ in targets]

    def _check(self, targets: list[tuple[Path, Path]]) -> None:
        """Refuse before moving anything what would fail half-way for certain."""
        for target, _ in targets:
            if target.is_dir():
                raise OutputError("cannot write: is a directory", file=str(target))
            for d in [target.parent, *target.parent.parents]:
                if d.exists() and not d.is_dir():
                    raise OutputError("cannot write: not a directory", file=str(d))

    @staticmethod
    def _roll_back(done: list[tuple[Path, Path | None]], created: list[Path]) -> None:
        for target, backup in reversed(done):
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, target)
                else:
                    target.unlink(missing_ok=True)
        for d in reversed(created):
            with contextlib.suppress(OSError):
                d.rmdir()

    def discard(self) -> None:
        """Remove the temporary directory and whatever is still staged in it."""
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        self._files.clear()
