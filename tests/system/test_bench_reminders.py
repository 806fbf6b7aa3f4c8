"""Smoke test: the reminders benchmark runs end to end (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_reminders_benchmark_runs_and_reports_its_ratios() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.reminders", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    lines = result.stdout.splitlines()
    assert any(line.startswith("ratio sweep 50k/5k: ") for line in lines), output
    assert any(line.startswith("ratio delivery/best: ") for line in lines), output
    assert "lost: 0" in lines, output
    assert "duplicated: 0" in lines, output
    assert any(line.startswith("429s received: ") for line in lines), output
