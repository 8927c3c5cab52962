"""The HTML report opens offline in a real browser (headless Chromium, Debian's package, which
.ci/run installs) with its step table, sequence diagram and timeline present."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kmodel.cli import main

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html")
    assert main(["check", str(ROOT / "properties/scenarios/web-no-expectations.yaml"), "--out", str(out)]) == 1
    return out / "web-no-expectations.html"


def test_html_is_self_contained(report: Path) -> None:
    html = report.read_text()
    # nothing to fetch: no scripts, stylesheets, images or fonts from elsewhere
    assert "<script" not in html
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)
    assert 'id="steps"' in html and 'id="sequence"' in html and 'id="timeline"' in html


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_html_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    args = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--dump-dom",
        report.as_uri(),
    ]
    dom = subprocess.run(args, capture_output=True, text=True, timeout=120).stdout
    assert "NoExcessReplicas" in dom
    steps = re.search(r'<table id="steps">(.*?)</table>', dom, re.S)
    assert steps is not None and steps.group(1).count("<tr>") >= 3  # header + the trace's steps
    sequence = re.search(r'<div class="figure" id="sequence">(.*?)</div>', dom, re.S)
    assert sequence is not None and "<svg" in sequence.group(1) and "replicaset-controller" in sequence.group(1)
    timeline = re.search(r'<div class="figure" id="timeline">(.*?)</div>', dom, re.S)
    assert timeline is not None and "<polyline" in timeline.group(1)
