"""Smoke test: the App Home benchmark runs end to end (no timing is asserted)."""

from __future__ import annotations

from tests.system.bench_smoke import has_figure, run_quick

FIGURES = [
    ("home published (200 pending, 1000 benefits)", "baseline bare Bolt publishing a fixed view"),
    ("picker options over 1000 benefits", "baseline bare Bolt fixed options"),
]


def test_quick_home_benchmark_runs_and_prints_every_figure_beside_its_baseline() -> None:
    lines = run_quick("bench.home")
    for start, baseline in FIGURES:
        assert has_figure(lines, start, baseline, " ratio p50 ", " target "), (start, lines)
    assert any("the Global admin's Home: " in line for line in lines), lines
