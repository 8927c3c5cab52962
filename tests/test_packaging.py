"""An install that no directory layout shadows (issue 21).

``git clone ... kmodel`` leaves you in a directory holding ``kmodel/`` (the clone), whose own
``kmodel/`` is the package. From there, ``python -c "import kmodel"`` searches the current
directory first: the clone has no ``__init__.py``, so Python's path search records it as a
namespace portion and, finding no regular package ``kmodel`` on ``sys.path``, imports the
clone as an empty namespace package (``kmodel.check``: AttributeError; pytest: "cannot import
name '__version__' from 'kmodel' (unknown location)"). setuptools' editable install of a flat
layout used an import finder (``_TopLevelFinder``), which ``sys.meta_path`` consults only after
that path search. With ``package-dir = {"" = "."}`` in pyproject.toml, setuptools makes the
editable install a path entry for the project root instead (``_StaticPth``): the real package is
then a regular package on ``sys.path``, and a regular package wins over namespace portions
wherever they are on the path. These tests install nothing: they ask setuptools which
strategy it would use, and import through a site directory holding that path entry.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def clone(tmp_path: Path) -> Path:
    """The project as a clone in ``tmp_path/kmodel`` (its packaging files and the package)."""
    repo = tmp_path / "kmodel"
    repo.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, repo / name)
    shutil.copytree(ROOT / "kmodel", repo / "kmodel", ignore=shutil.ignore_patterns("__pycache__"))
    return repo


def python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # nothing but what an install gives
    return subprocess.run(
        [sys.executable, "-S", "-c", textwrap.dedent(code)], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_an_editable_install_is_a_path_entry_for_the_project_root(tmp_path: Path) -> None:
    pytest.importorskip("setuptools.command.editable_wheel")
    repo = clone(tmp_path)
    proc = python(
        """
        import sys, warnings
        sys.path.remove("") if "" in sys.path else None
        import site; site.main()
        warnings.simplefilter("ignore")
        from setuptools.command import editable_wheel as ew
        from setuptools.config.pyprojecttoml import apply_configuration
        from setuptools.dist import Distribution
        dist = Distribution()
        apply_configuration(dist, "pyproject.toml")
        cmd = ew.editable_wheel(dist)
        cmd.ensure_finalized()
        strategy = cmd._select_strategy("kmodel", "0.1.0", "build/lib")
        print(type(strategy).__name__, [str(p.resolve()) for p in getattr(strategy, "path_entries", [])])
        """,
        cwd=repo,
    )
    if proc.returncode != 0 and "_select_strategy" in proc.stderr:
        pytest.skip("this setuptools has no editable_wheel._select_strategy")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == "_StaticPth", proc.stdout
    assert str(repo.resolve()) in proc.stdout


def test_kmodel_imports_from_the_clones_parent_directory(tmp_path: Path) -> None:
    repo = clone(tmp_path)
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    (site_dir / "__editable__.kmodel-0.1.0.pth").write_text(f"{repo.resolve()}\n")  # what _StaticPth writes
    # the current directory (tmp_path, holding the clone `kmodel/`) first, as `python -c` has it;
    # then the install's path entry, then the interpreter's site-packages (kmodel's dependencies)
    proc = python(
        f"""
        import site
        site.addsitedir({str(site_dir)!r})
        site.main()
        import kmodel
        kmodel.check
        from kmodel import __version__
        print(kmodel.__file__)
        """,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(repo.resolve() / "kmodel" / "__init__.py")
