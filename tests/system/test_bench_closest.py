"""Smoke test: the closest-match benchmark runs end to end (no timing is asserted)."""

from __future__ import annotations

from tests.system.bench_smoke import has_figure, run_quick

FIGURES = [
    ("closest over 3000 benefits", "baseline difflib"),
    ("resolve a valid request at    300 benefits", "baseline one read by id"),
    ("resolve a valid request at   3000 benefits", "baseline one read by id"),
    ("resolve 3000 / 300 benefits", "target <= 2.0"),
    ("help ack during 16 unmatched requests", "baseline idle"),
    ("help ack during 16 unmatched requests", "baseline during 16 helps"),
]


def test_quick_closest_benchmark_runs_and_prints_every_figure_beside_its_baseline() -> None:
    lines = run_quick("bench.closest")
    for start, baseline in FIGURES:
        assert has_figure(lines, start, baseline, " ratio "), (start, lines)
