"""Smoke test: the closest-match benchmark runs end to end (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FIGURES = [
    ("closest over 3000 benefits", "baseline difflib"),
    ("resolve a valid request at    300 benefits", "baseline one read by id"),
    ("resolve a valid request at   3000 benefits", "baseline one read by id"),
    ("resolve 3000 / 300 benefits", "target <= 2.0"),
    ("help ack during 16 unmatched requests", "baseline idle"),
    ("help ack during 16 unmatched requests", "baseline during 16 helps"),
]


def test_quick_closest_benchmark_runs_and_prints_every_figure_beside_its_baseline() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.closest", "--quick"],
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
            line.startswith(start) and baseline in line and " ratio " in line for line in lines
        ), (start, output)
    assert "errors: 0" in result.stdout, output
