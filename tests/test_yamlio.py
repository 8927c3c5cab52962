"""yamlio: the guarded YAML edge (size limit, alias bombs, syntax errors) and atomic writes."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from kmodel import yamlio
from kmodel.errors import InputError
from kmodel.yamlio import dump, load_documents, read_text, write_atomic


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_rejected_quickly() -> None:
    text = billion_laughs()
    assert len(text) < 1000  # tiny on disk, 9**9 nodes when expanded
    start = time.perf_counter()
    with pytest.raises(InputError, match="alias bomb") as info:
        load_documents(text, "bomb.yaml")
    assert time.perf_counter() - start < 5
    assert info.value.file == "bomb.yaml"
    assert info.value.document == 1


def test_alias_bomb_names_its_document() -> None:
    text = "a: 1\n---\n" + billion_laughs()
    with pytest.raises(InputError) as info:
        load_documents(text, "bomb.yaml")
    assert "document 2" in str(info.value)


def test_self_referencing_alias_is_rejected() -> None:
    # safe_load builds a cyclic list; walking it must stop rather than loop forever.
    with pytest.raises(InputError, match=r"loop\.yaml: document 1"):
        load_documents("a: &x [*x]\n", "loop.yaml")


def test_deep_nesting_is_rejected_before_it_breaks_dumping() -> None:
    # Nesting PyYAML can load but not dump again (traces embed the scenario) is refused up front.
    deep = "a: " + "[" * 330 + "]" * 330 + "\n"
    with pytest.raises(InputError, match="nested more than"):
        load_documents(deep, "deep.yaml")
    # The mapping is level 1, so MAX_DEPTH - 1 nested lists are the most allowed.
    n = yamlio.MAX_DEPTH - 1
    (doc,) = load_documents("a: " + "[" * n + "]" * n + "\n", "ok.yaml")
    assert load_documents(dump(doc), "again.yaml") == [doc]
    with pytest.raises(InputError, match="nested more than"):
        load_documents("a: " + "[" * (n + 1) + "]" * (n + 1) + "\n", "deep.yaml")


def test_modest_aliases_are_fine() -> None:
    (doc,) = load_documents(billion_laughs(levels=2, width=3), "ok.yaml")
    assert doc["a2"] == [[["lol"]] * 3] * 3


def test_node_budget_boundary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlio, "MAX_NODES", 50)
    # A list of n scalars is n + 1 nodes.
    assert load_documents(str(list(range(49))), "x.yaml") == [list(range(49))]
    with pytest.raises(InputError, match="more than 50"):
        load_documents(str(list(range(50))), "x.yaml")


def test_node_budget_counts_every_alias_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlio, "MAX_NODES", 50)
    # 11 distinct nodes, but each of the 5 references is walked again: 1 + 5 × 10 = 51.
    four = "[&a [1, 2, 3, 4, 5, 6, 7, 8, 9], *a, *a, *a]"
    five = "[&a [1, 2, 3, 4, 5, 6, 7, 8, 9], *a, *a, *a, *a]"
    assert len(load_documents(four, "x.yaml")[0]) == 4
    with pytest.raises(InputError, match="alias bomb"):
        load_documents(five, "x.yaml")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("a: 1\nb: 2\nc: d: e\n", "line 3, column 5"),
        ("a: [1, 2\nb: 3\n", "line 2"),
        ("a: 1\n\n\n\nb: *missing\n", "line 5"),
    ],
)
def test_syntax_error_reports_line(text: str, where: str) -> None:
    with pytest.raises(InputError) as info:
        load_documents(text, "bad.yaml")
    msg = str(info.value)
    assert msg.startswith("bad.yaml: ")
    assert where in msg
    assert "invalid YAML" in msg


def test_empty_documents_are_dropped() -> None:
    assert load_documents("---\na: 1\n---\n---\nb: 2\n", "x.yaml") == [{"a": 1}, {"b": 2}]
    assert load_documents("", "x.yaml") == []


def test_safe_load_only() -> None:
    with pytest.raises(InputError):
        load_documents("!!python/object/apply:os.system ['true']\n", "evil.yaml")


def test_read_text_refuses_large_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "big.yaml"
    f.write_text("a: " + "x" * 100 + "\n")
    monkeypatch.setattr(yamlio, "MAX_BYTES", 50)
    with pytest.raises(InputError) as info:
        read_text(f, "big.yaml")
    assert str(info.value).startswith("big.yaml: ")
    assert "limit is 50" in str(info.value)


def test_read_text_at_the_limit_is_fine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "ok.yaml"
    f.write_text("a: 1\n")
    monkeypatch.setattr(yamlio, "MAX_BYTES", 5)
    assert read_text(f) == "a: 1\n"


def test_read_text_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_text(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="is a directory"):
        read_text(tmp_path)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InputError, match="not UTF-8"):
        read_text(binary)


def test_write_atomic_writes(tmp_path: Path) -> None:
    f = tmp_path / "sub" / "out.yaml"
    write_atomic(f, "a: 1\n")
    assert f.read_text() == "a: 1\n"
    write_atomic(f, "a: 2\n")
    assert f.read_text() == "a: 2\n"
    assert sorted(p.name for p in f.parent.iterdir()) == ["out.yaml"]


def test_write_atomic_failure_keeps_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "out.yaml"
    f.write_text("old\n")

    def boom(src: object, dst: object) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk on fire"):
        write_atomic(f, "new\n")
    assert f.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.yaml"]


def test_write_atomic_interrupted_write_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "out.yaml"
    f.write_text("old\n")

    def raising_fdopen(fd: int, *args: object, **kwargs: object) -> object:
        os.close(fd)
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fdopen", raising_fdopen)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(f, "new\n")
    assert f.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.yaml"]


def test_dump_is_deterministic_and_alias_free() -> None:
    shared = [1, 2]
    data = {"b": shared, "a": {"z": shared, "y": "ü"}}
    text = dump(data)
    assert "&" not in text and "*" not in text
    assert text.index("b:") < text.index("a:")  # insertion order kept, keys not sorted
    assert "ü" in text
    assert dump(data) == text
    assert load_documents(text, "x") == [data]
