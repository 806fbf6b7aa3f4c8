"""Smoke test: the acknowledgement benchmark runs end to end (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_benchmark_runs_and_reports_ratios() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.ack", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for kind in ("list", "mine", "approve"):
        assert any(
            line.startswith("ratio p50 bot/floor") and f" {kind} " in line
            for line in result.stdout.splitlines()
        ), output
        assert any(
            line.startswith("ratio throughput bot/floor") and f" {kind} " in line
            for line in result.stdout.splitlines()
        ), output
    assert "approve total:" in result.stdout, output
    assert "errors: 0" in result.stdout, output
