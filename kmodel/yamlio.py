"""Safe YAML reading and deterministic YAML writing, at the edge of the system.

Reading uses ``yaml.safe_load_all`` only. Guards, in order:
- the file: only a regular file is read (a FIFO, a device such as ``/dev/zero`` or a
  directory is refused without blocking: it is opened with ``O_NONBLOCK`` and checked with
  ``fstat``), and at most ``MAX_BYTES`` are read, however large the file claims to be;
  standard input (``read_stream``, ``kmodel check -``) is read to its end, up to the same limit;
- the text: one pass over the YAML *events* (libyaml's parser when it is installed, which is
  fast; it only counts) refuses a collection of more than ``MAX_ITEMS`` entries or a document of
  more than ``MAX_EVENTS`` nodes before the slow pure-Python ``safe_load_all`` builds anything
  (a 2.6 MB file of 250,000 keys took 11.8 s to load and then be refused);
- alias bombs ("billion laughs"): ``safe_load`` keeps aliases as shared references, so loading
  is cheap but anything that walks the result is not. Every loaded document is walked with a
  node budget (``MAX_NODES``, counting each reference to a shared node again) before use;
- the values, in that same walk: a string that is not valid Unicode text (a lone surrogate
  such as ``"\\ud800"``, which a double-quoted YAML string can spell) cannot be written to a
  report or printed, and an integer outside int64 fits no Kubernetes field; both are refused
  with their field path. A decimal literal of more than 4300 digits (Python's int/str
  conversion limit) is refused by ``safe_load_all`` itself and reported with its line.

Writing is ``yaml.safe_dump`` with sorted keys off (we build dicts in a fixed order) and no
aliases, so equal data gives byte-identical files.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from kmodel.errors import InputError

MAX_BYTES = 2 * 1024 * 1024  # the largest shipped input is under 10 KB
MAX_NODES = 200_000
MAX_EVENTS = 20_000  # distinct nodes per document; the largest shipped document has under 300
MAX_ITEMS = 5_000  # entries of one mapping or sequence
MAX_DEPTH = 100  # deeper data loads, but dumping it back (traces) overflows the stack
INT64 = (-(2**63), 2**63 - 1)  # the widest integer of the Kubernetes API (and of Go's JSON decoding)
_INT_DIGITS = re.compile(r"[0-9]{4301}")

_EventParser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_text(path: Path, label: str | None = None) -> str:
    """The UTF-8 text of the regular file ``path``; every problem is an ``InputError`` naming
    ``label``. Never blocks on a FIFO and never reads more than ``MAX_BYTES`` + 1 bytes."""
    label = label or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except ValueError:  # embedded NUL byte
        raise InputError("invalid file name (it contains a NUL byte)", file=label.replace("\x00", "\\x00")) from None
    except FileNotFoundError:
        raise InputError("file not found", file=label) from None
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", file=label) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError("is a directory, expected a YAML file", file=label)
        if not stat.S_ISREG(st.st_mode):
            raise InputError("is not a regular file (a FIFO, socket or device?), expected a YAML file", file=label)
        if st.st_size > MAX_BYTES:
            raise InputError(f"file is {st.st_size} bytes; the limit is {MAX_BYTES}", file=label)
        chunks = []
        left = MAX_BYTES + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        if left <= 0:  # it grew while we read it
            raise InputError(f"file is more than {MAX_BYTES} bytes; the limit is {MAX_BYTES}", file=label)
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", file=label) from None
    finally:
        os.close(fd)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=label) from None


STDIN_LABEL = "<stdin>"


def read_stream(stream: BinaryIO, label: str = STDIN_LABEL) -> str:
    """The UTF-8 text of a byte stream (standard input: ``kmodel check -``), with the file
    guards that apply to a stream: at most ``MAX_BYTES`` are read (one byte more to tell), and
    the text must be UTF-8. Errors name ``label``. Reads until end of file, as ``cat`` does."""
    chunks = []
    left = MAX_BYTES + 1
    try:
        while left > 0:
            chunk = stream.read(min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror or err}", file=label) from None
    if left <= 0:
        raise InputError(f"input is more than {MAX_BYTES} bytes; the limit is {MAX_BYTES}", file=label)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=label) from None


def load_documents(text: str, label: str) -> list[Any]:
    """All YAML documents of ``text`` (empty documents dropped), each checked against the
    node budget and for unwritable strings and out-of-range integers. Syntax errors name the
    line and column."""
    _check_events(text, label)
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
    except ValueError:
        # int(): a decimal literal over Python's int/str conversion limit (4300 digits).
        m = _INT_DIGITS.search(text)
        where = f"line {text.count(chr(10), 0, m.start()) + 1}: " if m else ""
        raise InputError(f"{where}an integer has more than 4300 digits", file=label) from None
    for i, doc in enumerate(docs, start=1):
        check_size(doc, label, i)
    return docs


def _check_events(text: str, label: str) -> None:
    """Count nodes per document and entries per collection from the event stream, stopping at
    the first limit exceeded. Syntax errors are left to ``safe_load_all``, which reports them."""
    document = 0
    events = 0
    counts: list[int] = []
    try:
        for event in yaml.parse(text, Loader=_EventParser):
            if isinstance(event, yaml.DocumentStartEvent):
                document += 1
                events = 0
                continue
            if not isinstance(event, yaml.NodeEvent):
                if isinstance(event, yaml.CollectionEndEvent) and counts:
                    counts.pop()
                continue
            events += 1
            if events > MAX_EVENTS:
                raise InputError(f"document has more than {MAX_EVENTS} YAML nodes", file=label, document=document)
            if counts:
                counts[-1] += 1
                if counts[-1] > 2 * MAX_ITEMS:  # a mapping counts each key and each value
                    raise InputError(
                        f"a mapping or list has more than {MAX_ITEMS} entries", file=label, document=document
                    )
            if isinstance(event, yaml.CollectionStartEvent):
                # a mapping's entry is two nodes (key and value), a list's one: start a list halfway
                counts.append(0 if isinstance(event, yaml.MappingStartEvent) else MAX_ITEMS)
    except (yaml.YAMLError, RecursionError):
        return


def check_size(doc: Any, label: str, index: int) -> None:
    """Walk a loaded document: node budget (alias expansion counted), depth, strings that are
    not valid Unicode (lone surrogates) and integers outside int64, each error with its path."""
    budget = MAX_NODES
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(doc, ())]
    while stack:
        node, path = stack.pop()
        budget -= 1
        if budget < 0:
            raise InputError(
                f"document expands to more than {MAX_NODES} YAML nodes (an alias bomb?)", file=label, document=index
            )
        if len(path) >= MAX_DEPTH:
            raise InputError(f"document is nested more than {MAX_DEPTH} levels deep", file=label, document=index)
        if isinstance(node, dict):
            for k, v in node.items():
                if isinstance(k, str):
                    key: str | int = k
                    _require_text(k, f"the key {_escaped(k)}", label, index, path)
                else:  # reported where the mapping is read (``Fields``); checked here as a value
                    key = repr(k)
                    stack.append((k, path))
                budget -= 1  # keys count as nodes too
                stack.append((v, (*path, key)))
        elif isinstance(node, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(node))
        elif isinstance(node, str):
            _require_text(node, _escaped(node), label, index, path)
        elif isinstance(node, int) and not isinstance(node, bool) and not INT64[0] <= node <= INT64[1]:
            raise InputError(
                "integer out of range: Kubernetes integers are int64 (-2^63 to 2^63-1)",
                file=label,
                document=index,
                path=path,
            )


def _require_text(value: str, what: str, label: str, index: int, path: tuple[str | int, ...]) -> None:
    """Raise the one-line error for a string that is not valid Unicode text (a lone surrogate
    cannot be written or printed)."""
    if not _is_text(value):
        raise InputError(f"{what} is not valid Unicode text (a lone surrogate?)", file=label, document=index, path=path)


def _is_text(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _escaped(s: str) -> str:
    short = s if len(s) <= 40 else s[:37] + "..."
    return "'" + short.encode("utf-8", "backslashreplace").decode("utf-8") + "'"


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(data: Any, flow: bool | None = False) -> str:
    """``flow=None``: collections of scalars in flow style (``{cpu: '4', memory: 16Gi}``), for
    files people edit; the default writes every collection in block style."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=flow, width=100)


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
