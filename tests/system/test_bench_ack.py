"""Smoke test: the acknowledgement benchmark runs every kind end to end (no timing is asserted)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from bench.ack.cli import parse_args
from bench.ack.database import with_search_path
from bench.ack.plan import DEFAULT_MIX, KINDS, Plan, parse_limits, parse_mix
from bench.ack.servers import BOT_TOKEN, FLOOR_TOKEN, arrival_of
from tests.fakes.web_api import RecordedCall
from tests.postgres import require_server, server_url

ROOT = Path(__file__).resolve().parents[2]
CONCURRENT = "32 concurrent"


def _lines(stdout: str, prefix: str, kind: str, mode: str) -> list[str]:
    return [
        line
        for line in stdout.splitlines()
        if line.startswith(prefix) and f" {kind} " in line and f" {mode} " in line
    ]


def test_quick_benchmark_runs_every_kind_and_reports_ratios_and_checks() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.ack", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for kind in KINDS:
        modes = (CONCURRENT,) if kind == "mix" else ("sequential", CONCURRENT)
        for mode in modes:
            assert _lines(result.stdout, "ratio p50 bot/floor", kind, mode), (kind, mode, output)
        assert _lines(result.stdout, "ratio throughput bot/floor", kind, CONCURRENT), output
    for kind in ("page", "page-cold", "request", "approve"):
        for mode in ("sequential", CONCURRENT):
            assert _lines(result.stdout, "ratio follow-up p50 bot/floor", kind, mode), output
    for name, _ in DEFAULT_MIX:
        assert _lines(result.stdout, "ratio p50 bot/floor", f"mix:{name}", CONCURRENT), output
    assert "approve total:" in result.stdout, output
    assert "request total:" in result.stdout, output
    assert "follow-ups:" in result.stdout, output
    assert " FAIL" not in result.stdout, output
    assert "errors: 0" in result.stdout, output


@pytest.mark.parametrize("replicas", [1, 3])
def test_quick_benchmark_on_postgresql_reports_ratios_and_checks_across_replicas(
    replicas: int,
) -> None:
    require_server()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.ack",
            "--quick",
            "--database",
            server_url(),
            "--kinds",
            "list,approve",
            "--replicas",
            str(replicas),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    noun = "replica" if replicas == 1 else "replicas"
    assert f"engine: postgresql, bot: {replicas} {noun}, floor: 1 process" in result.stdout
    for kind in ("list", "approve"):
        for mode in ("sequential", CONCURRENT):
            ratio = _lines(result.stdout, "ratio p50 bot/floor", kind, mode)
            assert ratio, (kind, mode, output)
            assert "target <= 2.5" in ratio[0], output
        assert _lines(result.stdout, "ratio throughput bot/floor", kind, CONCURRENT), output
    for mode in ("sequential", CONCURRENT):
        assert _lines(result.stdout, "ratio follow-up p50 bot/floor", "approve", mode), output
    assert "approve total:" in result.stdout, output
    assert "follow-ups:" in result.stdout, output
    assert " FAIL" not in result.stdout, output
    assert "errors: 0" in result.stdout, output
    schema = next(
        line.split("schema ", 1)[1].split(")", 1)[0]
        for line in result.stdout.splitlines()
        if line.startswith("database: postgresql")
    )
    assert not asyncio.run(_schema_exists(schema)), f"{schema} was left behind"


async def _schema_exists(schema: str) -> bool:
    conn = await asyncpg.connect(server_url())
    try:
        found = await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema)
    finally:
        await conn.close()
    return found is not None


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["--replicas", "3"], "--replicas needs --database"),
        (["--database", "sqlite:///x.db"], "postgresql://"),
        (["--database", "postgresql://u@h/db", "--replicas", "0"], "at least 1"),
    ],
)
def test_replicas_without_postgresql_or_a_wrong_database_url_is_refused(
    argv: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        parse_args(argv)
    assert reason in capsys.readouterr().err


def test_the_runs_schema_replaces_any_search_path_the_url_had() -> None:
    url = with_search_path("postgresql://u@h:5432/db?search_path=public&sslmode=disable", "b_1")
    assert url == "postgresql://u@h:5432/db?sslmode=disable&search_path=b_1"


def test_the_mix_takes_its_shares_exactly_and_the_same_way_each_time() -> None:
    plan = Plan(
        benefits=100,
        holders=10,
        sequential=1,
        concurrent=1000,
        concurrency=32,
        warmup=1,
        rounds=1,
        kinds=("mix",),
        mix=parse_mix("list=70,mine=20,request=7,approve=3"),
    )
    parts = plan.mix_parts(1000, salt=1)
    assert {name: parts.count(name) for name in set(parts)} == {
        "list": 700,
        "mine": 200,
        "request": 70,
        "approve": 30,
    }
    assert parts == plan.mix_parts(1000, salt=1)
    assert plan.approvals == 30 + plan.mix_parts(1, salt=0).count("approve")


@pytest.mark.parametrize(
    ("text", "reason"),
    [("list=70,dance=30", "dance=30"), ("list=0", "at least 1"), ("list=5,list=5", "twice")],
)
def test_a_wrong_mix_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_mix(text)


def test_limits_cap_a_kind_per_batch_and_zero_lifts_them() -> None:
    plan = Plan(
        benefits=100,
        holders=10,
        sequential=300,
        concurrent=1000,
        concurrency=32,
        warmup=20,
        rounds=4,
        kinds=("request", "approve"),
        limits=parse_limits("request=100,approve=50"),
    )
    assert plan.count_of("request", 1000) == 100
    assert plan.count_of("list", 1000) == 1000
    assert plan.approvals == 20 + 50 + 50
    assert parse_limits("request=0") == (("request", 0),)
    with pytest.raises(ValueError, match="whole number"):
        parse_limits("request=many")


def test_the_fake_slack_tells_whose_follow_up_arrived() -> None:
    dm = RecordedCall(
        "chat.postMessage",
        {"channel": "U1", "text": "hi", "metadata": {"event_payload": {"key": "decision:42"}}},
        BOT_TOKEN,
    )
    update = RecordedCall("chat.update", {"channel": "D1", "ts": "1.5", "text": "x"}, FLOOR_TOKEN)
    posted = RecordedCall(
        "chat.postMessage", {"channel": "UA", "text": "<@UN00000007> asks for X"}, BOT_TOKEN
    )
    page = RecordedCall("response_url", {"_name": "page-3-bot", "text": "p"}, None)
    refused = RecordedCall("chat.update", {"ts": "1.5"}, BOT_TOKEN, failed=True)
    assert arrival_of(dm) == ("bot", "dm:42")
    assert arrival_of(update) == ("floor", "update:1.5")
    assert arrival_of(posted) == ("bot", "posted:UN00000007")
    assert arrival_of(page) == ("bot", "response:page-3-bot")
    assert arrival_of(refused) is None
