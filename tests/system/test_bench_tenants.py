"""Smoke test: the tenants benchmark runs end to end on PostgreSQL (no timing is asserted)."""

from __future__ import annotations

import asyncio

import asyncpg

from tests.postgres import require_server, server_url
from tests.system.bench_smoke import has_figure, run_quick


def test_quick_tenants_benchmark_reports_its_ratios_and_leaves_no_schema_behind() -> None:
    require_server()
    lines = run_quick("bench.tenants", "--database", server_url(), timeout=600)
    output = "\n".join(lines)
    assert has_figure(lines, "ratio sweep per due reminder 50 tenants/1: ", "target <= 1.5"), output
    assert has_figure(lines, "installations read for a command from a warm tenant", "PASS"), output
    for kind in ("help", "list", "mine"):
        assert has_figure(lines, f"statements per `{kind}` (median): "), output
    for kind in ("list", "mine"):
        for series in ("50 tenants in turn", "one of 50"):
            ratio = f"ratio ack p50 {kind} {series}/one workspace: "
            assert has_figure(lines, ratio, "target <= 1.2"), output
    base = lines[0].split("schemas ", 1)[1].split(",", 1)[0]
    assert asyncio.run(_schemas_named(base)) == 0, f"schemas of {base} were left behind"


async def _schemas_named(prefix: str) -> int:
    conn = await asyncpg.connect(server_url())
    try:
        found = await conn.fetchval(
            "SELECT count(*) FROM pg_namespace WHERE starts_with(nspname, $1)", prefix
        )
    finally:
        await conn.close()
    return int(found)
