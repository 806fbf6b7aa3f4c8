"""Smoke test: the cost benchmark runs end to end on PostgreSQL (no figure is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.postgres import require_server, server_url

ROOT = Path(__file__).resolve().parents[2]


def test_quick_cost_benchmark_counts_round_trips_and_cpu_per_request() -> None:
    require_server()
    result = subprocess.run(
        [sys.executable, "-m", "bench.costs", "--quick", "--database-url", server_url()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    lines = result.stdout.splitlines()
    assert any(line.strip().startswith("request (+2 posts)") for line in lines), output
    assert any(line.strip().startswith("bot process") for line in lines), output
    assert lines[-1] == "ok", output
