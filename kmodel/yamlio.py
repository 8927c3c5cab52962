"""Safe YAML reading and deterministic YAML writing, at the edge of the system.

Reading uses ``yaml.safe_load_all`` only. Two guards come first:
- size: files over ``MAX_BYTES`` are refused;
- alias bombs ("billion laughs"): ``safe_load`` keeps aliases as shared references, so loading
  is cheap but anything that walks the result is not. Every loaded document is walked with a
  node budget (``MAX_NODES``, counting each reference to a shared node again) before use.

Writing is ``yaml.safe_dump`` with sorted keys off (we build dicts in a fixed order) and no
aliases, so equal data gives byte-identical files.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from kmodel.errors import InputError

MAX_BYTES = 8 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 100  # deeper data loads, but dumping it back (traces) overflows the stack


def read_text(path: Path, label: str | None = None) -> str:
    label = label or str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError("file not found", file=label) from None
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", file=label) from None
    if path.is_dir():
        raise InputError("is a directory, expected a YAML file", file=label)
    if size > MAX_BYTES:
        raise InputError(f"file is {size} bytes; the limit is {MAX_BYTES}", file=label)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=label) from None
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", file=label) from None


def load_documents(text: str, label: str) -> list[Any]:
    """All YAML documents of ``text`` (empty documents dropped), each checked against the
    node budget. Syntax errors name the line and column."""
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise InputError(f"{where}invalid YAML: {err.problem}", file=label) from None
    except yaml.YAMLError as err:
        raise InputError(f"invalid YAML: {err}", file=label) from None
    except RecursionError:
        raise InputError("invalid YAML: nested too deeply", file=label) from None
    for i, doc in enumerate(docs, start=1):
        check_size(doc, label, i)
    return docs


def check_size(doc: Any, label: str, index: int) -> None:
    budget = MAX_NODES
    stack = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        budget -= 1
        if budget < 0:
            raise InputError(
                f"document expands to more than {MAX_NODES} YAML nodes (an alias bomb?)", file=label, document=index
            )
        if depth > MAX_DEPTH:
            raise InputError(f"document is nested more than {MAX_DEPTH} levels deep", file=label, document=index)
        if isinstance(node, dict):
            stack.extend((k, depth + 1) for k in node)
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same directory and rename: readers never see half a
    file, and a failure leaves the old file in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
