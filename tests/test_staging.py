"""kmodel.staging: a run's files are moved into place together at the end, or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import kmodel.staging
from kmodel.errors import OutputError
from kmodel.staging import Staging


def listing(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_nothing_reaches_out_before_commit(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Staging(out) as st:
        st.write(out / "a.json", "{}\n")
        st.write(out / "traces" / "t.yaml", "t\n")
        assert not out.exists()
        assert st.commit() == [out / "a.json", out / "traces" / "t.yaml"]
    assert listing(out) == ["a.json", "traces", "traces/t.yaml"]
    assert listing(tmp_path) == ["out", "out/a.json", "out/traces", "out/traces/t.yaml"]  # staging dir gone


def test_an_exception_discards_everything(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(RuntimeError), Staging(out) as st:
        st.write(out / "a.json", "{}\n")
        raise RuntimeError("a bug half-way")
    assert listing(tmp_path) == []


def test_glob_and_read_text_see_staged_files_over_those_in_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.json").write_text("old\n")
    (out / "both.json").write_text("before\n")
    with Staging(out) as st:
        st.write(out / "both.json", "after\n")
        st.write(out / "new.json", "new\n")
        st.write(out / "traces" / "deep.json", "not top-level\n")
        assert st.glob("*.json") == [out / "both.json", out / "new.json", out / "old.json"]
        assert st.read_text(out / "both.json") == "after\n"
        assert st.read_text(out / "old.json") == "old\n"
        st.commit()
    assert (out / "both.json").read_text() == "after\n" and (out / "old.json").read_text() == "old\n"


def test_a_failed_rename_puts_back_what_it_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.json").write_text("old a\n")
    real = os.replace
    calls = [0]

    def flaky(src: str | Path, dst: str | Path) -> None:
        calls[0] += 1
        if calls[0] == 3:
            raise PermissionError(13, "Permission denied", str(dst))
        real(src, dst)

    with Staging(out) as st:
        st.write(out / "a.json", "new a\n")
        st.write(out / "sub" / "b.json", "new b\n")
        st.write(out / "c.json", "new c\n")
        monkeypatch.setattr(kmodel.staging.os, "replace", flaky)
        with pytest.raises(OutputError, match=r"c\.json: cannot write: Permission denied"):
            st.commit()
    assert listing(out) == ["a.json"]  # sub/ (created by the commit) and b.json are gone again
    assert (out / "a.json").read_text() == "old a\n"
    assert listing(tmp_path) == ["out", "out/a.json"]


def test_a_directory_in_the_way_is_refused_before_anything_moves(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "b.html").mkdir(parents=True)
    with Staging(out) as st:
        st.write(out / "a.json", "a\n")
        st.write(out / "b.html", "b\n")
        with pytest.raises(OutputError, match=r"b\.html: cannot write: is a directory"):
            st.commit()
    assert listing(out) == ["b.html"]


def test_paths_outside_out_are_a_bug(tmp_path: Path) -> None:
    with Staging(tmp_path / "out") as st, pytest.raises(ValueError):
        st.write(tmp_path / "elsewhere.json", "{}")
