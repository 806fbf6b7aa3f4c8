"""What one request costs on PostgreSQL: database round trips and CPU.

``python -m bench.costs`` (``--quick`` for a smoke run) needs a PostgreSQL
server (``--database-url``, default ``BENEFITS_TEST_DATABASE_URL`` or the local
test server) and works in a schema of its own, dropped at the end. Two parts:

1. **Round trips.** The bot runs in this process (``start_bot`` with a store
   opened with ``count_statements=True``), its Web API pointed at a fake Slack.
   Requests are sent one at a time, and after each the bot's deferred work and
   its delivery loop are given time to finish, so every statement the request
   caused (its acknowledgement, then the Slack messages it queued and their
   delivery) is counted against it. Printed per kind of request, with a
   bare ``SELECT 1`` per request as the baseline.
2. **CPU.** One replica runs as ``python -m bot.cli.main run`` in a subprocess;
   ``--requests`` slash commands (``/benefits request``) and as many Approve
   clicks are sent with 8 in flight, and the CPU time the replica's process
   used (user + system, from ``/proc``) is divided by the requests, each
   with its deliveries. The CPU the PostgreSQL server's processes used is
   shown too; it is noisy when the server is shared.

The figures feed docs/scaling.md. The exit code is 1 when a request failed or
a delivery went missing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg

from bot.blocks import ids
from bot.domain.clock import SystemClock
from bot.domain.model import Benefit, Category, Role
from bot.runtime.bootstrap import build_services
from bot.runtime.server import start_bot
from bot.settings import Settings
from storage.postgres import PostgresStore, migrate_postgres, open_postgres
from tests.fakes.signing import block_actions_body, sign, slash_command_body
from tests.fakes.web_api import FakeSlackWebApi

ROOT: Final = Path(__file__).resolve().parents[1]
SIGNING_SECRET: Final = "bench-signing-secret-0123456789"
BOT_TOKEN: Final = "xoxb-bench-token-0123456789"
ADMINS: Final = ("UADMIN001", "UADMIN002")
BENEFIT: Final = Benefit("win11", "Windows 11 Enterprise", Category.SOFTWARE, seats=1_000_000)
CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")
SETTLE: Final = 0.15  # seconds after a request for its deferred work and deliveries


def default_url() -> str:
    return (
        os.environ.get("BENEFITS_TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    )


def with_search_path(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, f"search_path={schema}") if q)
    return urlunsplit(parts._replace(query=query))


@asynccontextmanager
async def own_schema(server: str) -> AsyncIterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            url = with_search_path(server, schema)
            await migrate_postgres(url)
            yield url
        finally:
            await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await admin.close()


async def prepare(url: str) -> None:
    store = await open_postgres(url, pool_size=2)
    try:
        async with store.write() as uow:
            await uow.benefits.put(BENEFIT)
        services = build_services(store, clock=SystemClock())
        for admin in ADMINS:
            await services.roles.bootstrap_grant(admin, Role.GLOBAL_ADMIN)
    finally:
        await store.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def post(session: aiohttp.ClientSession, port: int, body: str) -> int:
    async with session.post(
        f"http://127.0.0.1:{port}/slack/events",
        data=body.encode(),
        headers=sign(body, SIGNING_SECRET),
    ) as resp:
        await resp.read()
        return resp.status


def request_body(slack: FakeSlackWebApi, n: int) -> str:
    return slash_command_body(
        text=f"request {BENEFIT.id} for the lab",
        user_id=f"UMEMBER{n:06d}",
        response_url=slack.response_url(f"request-{n}"),
    )


def approve_body(slack: FakeSlackWebApi, request_id: int) -> str:
    return block_actions_body(
        user_id=ADMINS[0],
        action_id=ids.APPROVE,
        value=str(request_id),
        response_url=slack.response_url(f"approve-{request_id}"),
    )


async def pending_ids(url: str) -> list[int]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT id FROM requests WHERE status = 'pending' ORDER BY id")
    finally:
        await conn.close()
    return [int(r[0]) for r in rows]


# -- part 1: round trips ----------------------------------------------------------------


async def round_trips(url: str, count: int) -> tuple[dict[str, tuple[float, float]], bool]:
    async with FakeSlackWebApi() as slack, aiohttp.ClientSession() as session:
        settings = Settings(
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack.api_url,
            database_url=url,
            port=0,
            benefits_host="127.0.0.1",
            benefits_delivery_poll_seconds=60.0,
            benefits_sweep_interval_seconds=3600.0,
            benefits_slack_messages_per_second=500.0,
            benefits_slack_burst=50,
        )
        store = await open_postgres(url, pool_size=4, count_statements=True)
        bot = await start_bot(settings, store=store)
        ok = True
        try:
            await asyncio.sleep(0.5)  # start-up work (sweep, safety nets) done
            assert isinstance(bot.store, PostgresStore)
            counted = bot.store

            async def per_request(bodies: Sequence[str]) -> tuple[float, float]:
                """Statements per request: until its answer, and with all it caused."""
                nonlocal ok
                before = counted.statements or 0
                in_ack = 0
                for body in bodies:
                    start = counted.statements or 0
                    ok &= await post(session, bot.port, body) == 200
                    in_ack += (counted.statements or 0) - start
                    await asyncio.sleep(SETTLE)
                total = (counted.statements or 0) - before
                return in_ack / len(bodies), total / len(bodies)

            figures = {
                "request (+2 posts)": await per_request(
                    [request_body(slack, n) for n in range(count)]
                ),
            }
            pending = await pending_ids(url)
            figures["approve (+DM, 2 updates)"] = await per_request(
                [approve_body(slack, r) for r in pending[:count]]
            )
            figures["list"] = await per_request(
                [
                    slash_command_body(
                        text="list",
                        user_id=f"UMEMBER{n:06d}",
                        response_url=slack.response_url(f"list-{n}"),
                    )
                    for n in range(count)
                ]
            )
            figures["mine"] = await per_request(
                [
                    slash_command_body(
                        text="mine",
                        user_id=f"UMEMBER{n:06d}",
                        response_url=slack.response_url(f"mine-{n}"),
                    )
                    for n in range(count)
                ]
            )
            before = counted.statements or 0
            for _ in range(count):
                assert await store.ping()
            pinged = ((counted.statements or 0) - before) / count
            figures["baseline: store.ping()"] = (pinged, pinged)
            wanted_posts = count * len(ADMINS)
            posts = [
                c
                for c in slack.calls_to("chat.postMessage", include_failed=False)
                if isinstance(c.args.get("metadata"), dict)
                and c.args["metadata"]["event_payload"].get("kind") == "approval_request"
            ]
            ok &= len(posts) == wanted_posts
        finally:
            await bot.stop()
    return figures, ok


# -- part 2: CPU -------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def postgres_cpu_seconds() -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                total += cpu_seconds(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return total


async def cpu_per_request(url: str, count: int) -> tuple[float, float, int, bool]:
    async with FakeSlackWebApi() as slack, aiohttp.ClientSession() as session:
        port = free_port()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "DATABASE_", "BENEFITS_", "PORT"))
        } | {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": url,
            "PORT": str(port),
            "BENEFITS_HOST": "127.0.0.1",
            "BENEFITS_LOG_LEVEL": "WARNING",
            "BENEFITS_SLACK_MESSAGES_PER_SECOND": "500",
            "BENEFITS_SLACK_BURST": "50",
            "PYTHONPATH": str(ROOT),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli.main", "run", env=env, stderr=asyncio.subprocess.PIPE
        )
        ok = True
        try:
            for _ in range(300):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
            start_cpu, start_db = cpu_seconds(process.pid), postgres_cpu_seconds()
            gate = asyncio.Semaphore(8)

            async def send(body: str) -> bool:
                async with gate:
                    return await post(session, port, body) == 200

            offset = 10_000_000
            bodies = [request_body(slack, offset + n) for n in range(count)]
            ok &= all(await asyncio.gather(*(send(b) for b in bodies)))
            await asyncio.sleep(1.0)
            pending = await pending_ids(url)
            clicks = [approve_body(slack, r) for r in pending[-count:]]
            ok &= all(await asyncio.gather(*(send(b) for b in clicks)))
            deadline = asyncio.get_running_loop().time() + 60
            wanted = len(clicks)
            while asyncio.get_running_loop().time() < deadline:
                dms = [
                    c
                    for c in slack.calls_to("chat.postMessage", include_failed=False)
                    if isinstance(c.args.get("metadata"), dict)
                    and c.args["metadata"]["event_payload"].get("kind") == "request_decided"
                ]
                if len(dms) >= wanted:
                    break
                await asyncio.sleep(0.1)
            else:
                ok = False
            bot_cpu = cpu_seconds(process.pid) - start_cpu
            db_cpu = postgres_cpu_seconds() - start_db
        finally:
            process.send_signal(signal.SIGTERM)
            await process.communicate()
    requests = count + len(clicks)
    return bot_cpu / requests, db_cpu / requests, requests, ok


async def run(args: argparse.Namespace) -> int:
    async with own_schema(args.database_url) as url:
        await prepare(url)
        trips, ok_trips = await round_trips(url, args.round_trips)
        cpu, db_cpu, sent, ok_cpu = await cpu_per_request(url, args.requests)
    print(f"database round trips per request (one at a time, {args.round_trips} of each):")
    print(f"  {'':<28} {'to ack':>6} {'in all':>6}")
    for kind, (in_ack, total) in trips.items():
        print(f"  {kind:<28} {in_ack:6.1f} {total:6.1f}")
    print(f"CPU per request ({sent} requests, 8 in flight, deliveries included):")
    print(f"  bot process                  {cpu * 1000:6.2f} ms")
    print(f"  PostgreSQL processes         {db_cpu * 1000:6.2f} ms  (shared server: noisy)")
    print(f"ratio CPU/request: {1 / cpu:.0f} requests/s per fully used core")
    ok = ok_trips and ok_cpu
    print("ok" if ok else "FAILED: a request failed or a message went missing")
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.costs", description=__doc__)
    parser.add_argument("--database-url", default=default_url())
    parser.add_argument("--round-trips", type=int, default=20, help="requests of each kind")
    parser.add_argument("--requests", type=int, default=300, help="commands (and as many clicks)")
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.round_trips, args.requests = 3, 20
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
