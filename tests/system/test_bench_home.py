"""Smoke test: the App Home benchmark runs end to end (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FIGURES = [
    ("home published (200 pending, 1000 benefits)", "baseline bare Bolt publishing a fixed view"),
    ("picker options over 1000 benefits", "baseline bare Bolt fixed options"),
]


def test_quick_home_benchmark_runs_and_prints_every_figure_beside_its_baseline() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.home", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    lines = result.stdout.splitlines()
    for start, baseline in FIGURES:
        assert any(
            line.startswith(start)
            and baseline in line
            and " ratio p50 " in line
            and " target " in line
            for line in lines
        ), (start, output)
    assert "the Global admin's Home: " in result.stdout, output
    assert "errors: 0" in result.stdout, output
