"""The acknowledgement benchmark: the bot next to a bare Bolt app (the floor).

``python -m bench.ack`` builds a SQLite database with 10,000 users' assignments
over 1,000 benefits, one Global admin and a pool of pending requests, then
starts three subprocesses: a fake Slack Web API, the bot (``start_bot`` in HTTP
mode, as ``benefits-bot run`` does) and the floor, a Bolt ``AsyncApp`` whose
listeners only ``ack()``, served through the same aiohttp adapter. This
process is the load generator: it sends signed requests exactly as Slack
would (``/benefits list``, ``/benefits mine`` and Approve clicks), one at a
time and then ``--concurrency`` at a time, to the floor and to the bot in turn,
and prints latency and throughput with the bot/floor ratios.

The ratios are what counts: the machine is shared, so both servers are measured
in the same run under the same conditions. The exit code is 0 even when a
target is missed (the run is a report); it is 1 when a request failed, an
answer was wrong, the seats assigned do not match the approve clicks, or a
server died.

``--profile DIR`` makes each server time its own requests (parse, Bolt
dispatch, the service and its SQLite round trips, the Block Kit builders) and
write a breakdown per request kind to ``DIR/bot.txt`` and ``DIR/floor.txt``;
``--cprofile`` adds a cProfile listing. Both slow the servers down, so the
table of such a run is not comparable with a plain one.

The servers are started by this module too, with ``--serve slack|bot|floor``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import itertools
import json
import math
import os
import platform
import pstats
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO, cast

import aiohttp
from aiohttp import web

from tests.fakes.signing import block_actions_body, sign, slash_command_body
from tests.fakes.web_api import FakeSlackWebApi

ROOT: Final = Path(__file__).resolve().parents[1]
SIGNING_SECRET: Final = "bench-signing-secret-0123456789"
BOT_TOKEN: Final = "xoxb-bench-0123456789"
ADMIN: Final = "UBENCHADMIN"
ADMIN_DM: Final = "DBENCHADMIN"
EVENTS_PATH: Final = "/slack/events"
HEALTH_PATH: Final = "/healthz"
STATS_METHOD: Final = "bench.stats"
PHASE_HEADER: Final = "X-Bench-Phase"
READY: Final = "READY"

KINDS: Final = ("list", "mine", "approve")
SERVERS: Final = ("floor", "bot")
SEQUENTIAL: Final = "sequential"
WARM_UP: Final = "warm-up"
P50_TARGET: Final = 2.0
RPS_TARGET: Final = 0.5
START_TIMEOUT: Final = 60.0
STOP_TIMEOUT: Final = 30.0
FOLLOW_UP_TIMEOUT: Final = 60.0
REQUEST_TIMEOUT: Final = 30.0
MAX_ERRORS_SHOWN: Final = 10


# -- what to run -----------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Sizes of one benchmark run."""

    benefits: int
    holders: int
    sequential: int
    concurrent: int
    concurrency: int
    warmup: int
    rounds: int
    kinds: tuple[str, ...]

    @property
    def users(self) -> int:
        return self.benefits * self.holders

    @property
    def approvals(self) -> int:
        """Pending requests needed: every approve click the bot gets is a distinct one."""
        if "approve" not in self.kinds:
            return 0
        return self.warmup + self.sequential + self.concurrent

    @property
    def seats(self) -> int:
        """Seats per benefit: the holders plus room for every approval, and some."""
        return self.holders + math.ceil(self.approvals / self.benefits) + 5

    @property
    def concurrent_label(self) -> str:
        return f"{self.concurrency} concurrent"

    @property
    def modes(self) -> tuple[str, str]:
        return (SEQUENTIAL, self.concurrent_label)


def user_id(number: int) -> str:
    """``U00000001``, ``U00000002`` … : the imported holders."""
    return f"U{number:08d}"


def benefit_id(index: int) -> str:
    return f"benefit-{index:04d}"


def requester_for(plan: Plan, j: int) -> tuple[str, str]:
    """The requester and benefit of pending request ``j``: someone who doesn't hold it.

    Benefit ``b`` is held by the users of block ``b``; request ``j`` asks for
    benefit ``j % benefits`` on behalf of a user of another block, so that no
    requester asks twice for one benefit.
    """
    rounds, index = divmod(j, plan.benefits)
    block = (index + 1 + rounds) % plan.benefits
    slot = rounds % plan.holders
    return user_id(block * plan.holders + slot + 1), benefit_id(index)


def inventory_data(plan: Plan) -> dict[str, Any]:
    """An inventory as ``docs/inventory.md`` describes it, with ``plan.users`` holders.

    Only seat-based kinds of benefit (software, cloud, Visual Studio), which
    need no keys beyond the common ones.
    """
    categories = ("software", "cloud", "visual_studio")
    return {
        "membership": {
            "level": "gold",
            "purchase_date": "2026-01-01",
            "end_date": "2027-12-31",
            "account_email": "partner-admin@example.com",
        },
        "benefits": [
            {
                "id": benefit_id(i),
                "name": f"Benefit {i:04d} {categories[i % len(categories)].replace('_', ' ')}",
                "category": categories[i % len(categories)],
                "seats": plan.seats,
                "description": f"Benchmark benefit number {i}.",
                "instructions": "Follow the link, sign in, activate.",
                "holders": [
                    {"user": user_id(i * plan.holders + h + 1)} for h in range(plan.holders)
                ],
                # the inventory requires a support kind on every technical benefit
                **(
                    {"support_kind": "product_incidents"}
                    if categories[i % len(categories)] == "technical"
                    else {}
                ),
            }
            for i in range(plan.benefits)
        ],
    }


@dataclass(frozen=True)
class PendingRequest:
    """A request waiting for the admin, and its approval message as Slack echoes it back."""

    request_id: int
    message: dict[str, Any]


async def prepare_database(path: Path, plan: Plan) -> list[PendingRequest]:
    """Import the inventory, make the Global admin and file the pending requests."""
    from bot.blocks import requests as request_blocks
    from bot.domain.clock import SystemClock
    from bot.domain.model import MessageRef, Role
    from bot.runtime.bootstrap import build_services
    from bot.services.inventory.importer import import_inventory
    from bot.services.inventory.schema import Inventory
    from storage import open_store

    inventory = Inventory.model_validate(inventory_data(plan))
    store = await open_store(f"sqlite:///{path}")
    try:
        clock = SystemClock()
        await import_inventory(store, inventory, clock=clock)
        services = build_services(store, clock=clock)
        await services.roles.bootstrap_grant(ADMIN, Role.GLOBAL_ADMIN)
        pool: list[PendingRequest] = []
        for j in range(plan.approvals):
            requester, wanted = requester_for(plan, j)
            created = await services.requests.request_benefit(requester, wanted, "benchmark")
            ts = f"1700000000.{created.request.id:06d}"
            async with store.write() as uow:  # as if the delivery loop had posted it
                for post in await uow.outbox.queued_with_prefix(
                    f"request:{created.request.id}:post"
                ):
                    await uow.outbox.mark_sent(post.id, at=clock.now(), channel=ADMIN_DM, ts=ts)
                await uow.requests.add_messages(created.request.id, [MessageRef(ADMIN_DM, ts)])
            posted = request_blocks.approval_request_message(
                created.request, created.benefit, created.seats_left
            )
            message = {
                "type": "message",
                "user": "UBOT",
                "bot_id": "BBOT",
                "app_id": "A0001",
                "team": "T0001",
                "ts": ts,
                **posted,
            }
            pool.append(PendingRequest(created.request.id, message))
    finally:
        await store.close()
    return pool


def seats_assigned_by_admin(path: Path) -> tuple[int, int]:
    """Active seats the admin gave, and requests in state approved (read directly)."""
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
        seats = conn.execute(
            "SELECT COUNT(*) FROM assignments WHERE assigned_by = ? AND released_at IS NULL",
            (ADMIN,),
        ).fetchone()[0]
        approved = conn.execute(
            "SELECT COUNT(*) FROM requests WHERE status = 'approved' AND decided_by = ?",
            (ADMIN,),
        ).fetchone()[0]
    return int(seats), int(approved)


class Bodies:
    """Request bodies exactly as Slack sends them; the floor gets the bot's."""

    def __init__(self, plan: Plan, pool: Sequence[PendingRequest], slack_root: str) -> None:
        self._slack_root = slack_root
        self._users = itertools.cycle(range(1, plan.users + 1))
        self._pool = iter(pool)
        self._names = itertools.count(1)

    def _response_url(self, kind: str) -> str:
        return f"{self._slack_root}/response/{kind}-{next(self._names)}"

    def make(self, kind: str, count: int) -> list[str]:
        return [self._one(kind) for _ in range(count)]

    def _one(self, kind: str) -> str:
        if kind in ("list", "mine"):
            return slash_command_body(
                text=kind,
                user_id=user_id(next(self._users)),
                response_url=self._response_url(kind),
            )
        pending = next(self._pool, None)
        if pending is None:
            raise RuntimeError("the pool of pending requests is empty")
        from bot.blocks import ids

        return block_actions_body(
            user_id=ADMIN,
            action_id=ids.APPROVE,
            value=str(pending.request_id),
            block_id=ids.REQUEST_ACTIONS_BLOCK,
            message=pending.message,
            channel_id=ADMIN_DM,
            channel_name="directmessage",
            action_text="Approve",
            response_url=self._response_url(kind),
        )


# -- load ------------------------------------------------------------------


@dataclass
class Run:
    """One server's answers to one batch of requests."""

    server: str
    kind: str
    mode: str
    latencies: list[float]
    wall: float
    errors: list[str]

    @property
    def count(self) -> int:
        return len(self.latencies)

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile, in seconds."""
        ordered = sorted(self.latencies)
        rank = max(math.ceil(q * len(ordered)), 1)
        return ordered[rank - 1]

    @property
    def p50(self) -> float:
        return self.percentile(0.50)

    @property
    def p99(self) -> float:
        return self.percentile(0.99)

    @property
    def rps(self) -> float:
        return self.count / self.wall if self.wall > 0 else 0.0


Outcome = tuple[int, bytes] | str


def check_answer(outcome: Outcome, *, expect_blocks: bool) -> str | None:
    """What is wrong with one answer, or None."""
    if isinstance(outcome, str):
        return outcome
    status, body = outcome
    if status != 200:
        return f"HTTP {status}: {body[:200]!r}"
    if not expect_blocks:
        return None
    try:
        payload = json.loads(body)
    except ValueError:
        return f"not JSON: {body[:200]!r}"
    if not isinstance(payload, dict) or not payload.get("blocks"):
        return f"no blocks in the acknowledgement: {body[:200]!r}"
    return None


async def drive(
    session: aiohttp.ClientSession,
    url: str,
    bodies: Sequence[str],
    *,
    concurrency: int,
    phase: str | None = None,
) -> tuple[list[float], float, list[Outcome]]:
    """Send every body (signed before the clock starts), ``concurrency`` in flight.

    Returns each request's latency, the wall time of the batch and the answers,
    which are checked afterwards so that checking costs no time in the batch.
    """
    signed: list[tuple[bytes, dict[str, str]]] = []
    for body in bodies:
        headers = sign(body, SIGNING_SECRET)
        if phase is not None:
            headers[PHASE_HEADER] = phase
        signed.append((body.encode(), headers))
    latencies = [0.0] * len(signed)
    outcomes: list[Outcome] = ["not sent"] * len(signed)
    indexes = iter(range(len(signed)))

    async def worker() -> None:
        for i in indexes:
            data, headers = signed[i]
            started = time.perf_counter()
            try:
                async with session.post(url, data=data, headers=headers) as response:
                    body = await response.read()
                    outcomes[i] = (response.status, body)
            except (aiohttp.ClientError, TimeoutError) as error:
                outcomes[i] = f"{type(error).__name__}: {error}"
            latencies[i] = time.perf_counter() - started

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(max(min(concurrency, len(signed)), 1))))
    return latencies, time.perf_counter() - started, outcomes


# -- subprocesses ----------------------------------------------------------


@dataclass
class Child:
    """A server started as ``python -m bench.ack --serve NAME``."""

    name: str
    process: asyncio.subprocess.Process
    log: Path
    ready: str = ""

    @classmethod
    async def start(cls, name: str, options: Sequence[str], workdir: Path) -> Child:
        log = workdir / f"{name}.log"
        with log.open("wb") as log_file:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.ack",
                "--serve",
                name,
                *options,
                cwd=ROOT,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=log_file,
                env={**os.environ, "PYTHONPATH": _python_path()},
            )
        child = cls(name, process, log)
        assert process.stdout is not None
        try:
            async with asyncio.timeout(START_TIMEOUT):
                while True:
                    line = (await process.stdout.readline()).decode().strip()
                    if not line:
                        raise RuntimeError(f"the {name} server exited before it was ready")
                    if line.startswith(READY + " "):
                        child.ready = line.removeprefix(READY + " ")
                        break
        except (TimeoutError, RuntimeError) as error:
            await child.stop()
            raise RuntimeError(f"{error or 'timed out'}\n{child.log_tail()}") from None
        return child

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return f"({self.name}: no log)"
        return "\n".join(f"  {self.name}| {line}" for line in text[-lines:])

    async def stop(self) -> int:
        """SIGTERM, then wait (SIGKILL after STOP_TIMEOUT); the exit code."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(STOP_TIMEOUT):
                    await self.process.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        return self.process.returncode or 0


def _python_path() -> str:
    current = os.environ.get("PYTHONPATH")
    return str(ROOT) if not current else f"{ROOT}{os.pathsep}{current}"


async def wait_healthy(session: aiohttp.ClientSession, base: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            async with session.get(base + HEALTH_PATH) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{base}{HEALTH_PATH} did not answer 200")
        await asyncio.sleep(0.1)


async def slack_stats(session: aiohttp.ClientSession, api_url: str) -> dict[str, int]:
    """How many calls of each method the fake Slack answered."""
    async with session.post(
        api_url + STATS_METHOD, headers={"Authorization": f"Bearer {BOT_TOKEN}"}
    ) as response:
        payload = await response.json()
    counts = payload.get("calls", {})
    return {str(k): int(v) for k, v in counts.items()}


# -- the run ---------------------------------------------------------------


@dataclass
class Report:
    plan: Plan
    runs: list[Run] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    approvals_sent: int = 0

    def find(self, server: str, kind: str, mode: str) -> Run | None:
        for run in self.runs:
            if (run.server, run.kind, run.mode) == (server, kind, mode):
                return run
        return None


def out(text: str = "", stream: TextIO | None = None) -> None:
    print(text, file=stream or sys.stdout, flush=True)


async def benchmark(plan: Plan, *, profile: Path | None, use_cprofile: bool) -> int:
    report = Report(plan)
    out(
        f"benefits: {plan.benefits}, users with assignments: {plan.users} "
        f"({plan.holders} holders each, {plan.seats} seats), pending requests: {plan.approvals}"
    )
    out(
        f"requests per kind: {plan.warmup} warm-up, {plan.sequential} sequential, "
        f"{plan.concurrent} at {plan.concurrency} in flight, in {plan.rounds} rounds taking "
        f"turns; kinds: {', '.join(plan.kinds)}"
    )
    out(
        f"python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f} at the start"
    )
    with tempfile.TemporaryDirectory(prefix="bench-ack-") as tmp:
        workdir = Path(tmp)
        database = workdir / "benefits.db"
        started = time.perf_counter()
        pool = await prepare_database(database, plan)
        out(f"database built in {time.perf_counter() - started:.1f} s")
        base_seats, _ = seats_assigned_by_admin(database)
        try:
            await _measure(plan, report, workdir, database, pool, base_seats, profile, use_cprofile)
        except RuntimeError as error:
            report.errors.append(f"the run stopped: {error}")
    print_report(report)
    out(f"load average {os.getloadavg()[0]:.2f} at the end (other work on the machine skews runs)")
    if profile is not None:
        out(f"\nprofile reports: {profile / 'bot.txt'}, {profile / 'floor.txt'}")
    return 1 if report.errors else 0


async def _measure(
    plan: Plan,
    report: Report,
    workdir: Path,
    database: Path,
    pool: Sequence[PendingRequest],
    base_seats: int,
    profile: Path | None,
    use_cprofile: bool,
) -> None:
    connector = aiohttp.TCPConnector(limit=max(plan.concurrency, 1))
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    async with (
        aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
        AsyncExitStack() as stack,
    ):
        slack = await Child.start("slack", [], workdir)
        stack.push_async_callback(_stop, slack, report)
        api_url = slack.ready
        slack_root = api_url.removesuffix("/").removesuffix("/api")
        servers: dict[str, Child] = {}
        for name in SERVERS:
            options = ["--api-url", api_url]
            if name == "bot":
                options += ["--db", str(database)]
            if profile is not None:
                options += ["--profile", str(profile / f"{name}.txt")]
                if use_cprofile:
                    options.append("--cprofile")
            servers[name] = await Child.start(name, options, workdir)
            stack.push_async_callback(_stop, servers[name], report)
            await wait_healthy(session, f"http://127.0.0.1:{servers[name].ready}")
        urls = {
            name: f"http://127.0.0.1:{child.ready}{EVENTS_PATH}" for name, child in servers.items()
        }
        bodies = Bodies(plan, pool, slack_root)

        async def batch(kind: str, mode: str, count: int, concurrency: int, rounds: int) -> None:
            """``count`` requests of one kind to each server, in rounds taking turns.

            Each round sends the same bodies to both servers, the floor first in
            odd rounds and the bot first in even ones, so that the machine's noise
            falls on both alike.
            """
            before = seats_assigned_by_admin(database)[0]
            collected: dict[str, Run] = {
                server: Run(server, kind, mode, [], 0.0, []) for server in SERVERS
            }
            sizes = [count // rounds + (1 if r < count % rounds else 0) for r in range(rounds)]
            for number, size in enumerate(s for s in sizes if s):
                shared = bodies.make(kind, size)
                order = SERVERS if number % 2 == 0 else tuple(reversed(SERVERS))
                for server in order:
                    latencies, wall, outcomes = await drive(
                        session,
                        urls[server],
                        shared,
                        concurrency=concurrency,
                        phase=mode if profile is not None else None,
                    )
                    expect_blocks = server == "bot" and kind != "approve"
                    run = collected[server]
                    offset = run.count
                    run.latencies += latencies
                    run.wall += wall
                    run.errors += [
                        f"{server} {kind} {mode} #{offset + i}: {problem}"
                        for i, outcome in enumerate(outcomes)
                        if (problem := check_answer(outcome, expect_blocks=expect_blocks))
                    ]
                    if server == "bot" and kind == "approve":
                        report.approvals_sent += size
                        # Let the follow-ups finish before the next round is timed.
                        await wait_follow_ups(session, api_url, report.approvals_sent)
            for run in collected.values():
                report.errors += run.errors
                if mode != WARM_UP:
                    report.runs.append(run)
            if kind == "approve":
                assigned = seats_assigned_by_admin(database)[0] - before
                verdict = "PASS" if assigned == count else "FAIL"
                report.checks.append(
                    f"approve {mode}: {count} clicks sent to the bot, "
                    f"{assigned} seats assigned  {verdict}"
                )
                if verdict == "FAIL":
                    report.errors.append(
                        f"approve {mode}: {count} clicks but {assigned} seats assigned"
                    )

        for kind in plan.kinds:
            await batch(kind, WARM_UP, plan.warmup, 1, 1)
        for mode, count, concurrency in (
            (SEQUENTIAL, plan.sequential, 1),
            (plan.concurrent_label, plan.concurrent, plan.concurrency),
        ):
            for kind in plan.kinds:
                out(
                    f"running {kind} {mode}: {count} requests to each server "
                    f"in {min(plan.rounds, count)} rounds"
                )
                await batch(kind, mode, count, concurrency, min(plan.rounds, count))

        seats, approved = seats_assigned_by_admin(database)
        total = seats - base_seats
        verdict = "PASS" if total == report.approvals_sent == approved else "FAIL"
        report.checks.append(
            f"approve total: {report.approvals_sent} clicks sent to the bot, {total} seats "
            f"assigned, {approved} requests approved  {verdict}"
        )
        if verdict == "FAIL":
            report.errors.append("the seats assigned do not match the approve clicks")
        # Stop the bot first: it finishes its Slack follow-ups before it exits.
        await _stop(servers["bot"], report)
        if "approve" in plan.kinds:
            counts = await slack_stats(session, api_url)
            updates, dms = counts.get("chat.update", 0), counts.get("chat.postMessage", 0)
            verdict = "PASS" if updates == dms == report.approvals_sent else "FAIL"
            report.checks.append(
                f"follow-ups: {updates} chat.update, {dms} chat.postMessage "
                f"for {report.approvals_sent} approvals  {verdict}"
            )
            if verdict == "FAIL":
                report.errors.append("the bot's Slack follow-ups do not match the approvals")


async def wait_follow_ups(session: aiohttp.ClientSession, api_url: str, expected: int) -> None:
    """Let the bot's post-ack Slack calls finish (sent by its delivery loop from the
    outbox), so they don't spill into the next batch."""
    deadline = time.monotonic() + FOLLOW_UP_TIMEOUT
    while time.monotonic() < deadline:
        counts = await slack_stats(session, api_url)
        if min(counts.get("chat.postMessage", 0), counts.get("chat.update", 0)) >= expected:
            return
        await asyncio.sleep(0.1)


async def _stop(child: Child, report: Report) -> None:
    if child.process.returncode is not None and child.ready == "stopped":
        return
    code = await child.stop()
    child.ready = "stopped"
    if code != 0:
        report.errors.append(f"the {child.name} server exited with {code}\n{child.log_tail()}")


def print_report(report: Report) -> None:
    plan = report.plan
    out()
    header = (
        f"{'kind':<8} {'mode':<14} {'server':<6} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'req/s':>8} {'errors':>6}"
    )
    out(header)
    out("-" * len(header))
    for mode in plan.modes:
        for kind in plan.kinds:
            for server in SERVERS:
                run = report.find(server, kind, mode)
                if run is None or not run.latencies:
                    continue
                out(
                    f"{kind:<8} {mode:<14} {server:<6} {run.count:>6} {run.p50 * 1000:>8.2f} "
                    f"{run.p99 * 1000:>8.2f} {run.rps:>8.1f} {len(run.errors):>6}"
                )
    out()
    for mode in plan.modes:
        for kind in plan.kinds:
            bot, floor = report.find("bot", kind, mode), report.find("floor", kind, mode)
            if bot is None or floor is None or not bot.latencies or not floor.latencies:
                continue
            ratio = bot.p50 / floor.p50
            verdict = "PASS" if ratio <= P50_TARGET else "MISS"
            out(
                f"ratio p50 bot/floor         {kind:<8} {mode:<14} {ratio:6.2f}  "
                f"target <= {P50_TARGET}  {verdict}"
            )
    mode = plan.concurrent_label
    for kind in plan.kinds:
        bot, floor = report.find("bot", kind, mode), report.find("floor", kind, mode)
        if bot is None or floor is None or floor.rps == 0:
            continue
        ratio = bot.rps / floor.rps
        verdict = "PASS" if ratio >= RPS_TARGET else "MISS"
        out(
            f"ratio throughput bot/floor  {kind:<8} {mode:<14} {ratio:6.2f}  "
            f"target >= {RPS_TARGET}  {verdict}"
        )
    if report.checks:
        out()
        for line in report.checks:
            out(line)
    if report.errors:
        out()
        out(f"errors: {len(report.errors)}")
        for line in report.errors[:MAX_ERRORS_SHOWN]:
            out(f"  {line}")
        if len(report.errors) > MAX_ERRORS_SHOWN:
            out(f"  … and {len(report.errors) - MAX_ERRORS_SHOWN} more")
    else:
        out("errors: 0")


# -- the servers -------------------------------------------------------------


class BenchSlack(FakeSlackWebApi):
    """The fake Web API without Block Kit checks (cheaper), answering ``bench.stats``."""

    def _check_blocks(self, method: str, args: Mapping[str, Any]) -> list[str]:
        return []

    def _m_bench_stats(self, args: dict[str, Any]) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for call in self.calls:
            if call.method != STATS_METHOD and not call.failed:
                counts[call.method] = counts.get(call.method, 0) + 1
        return {"ok": True, "calls": counts}


def announce(value: object) -> None:
    print(f"{READY} {value}", flush=True)


async def until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def serve_slack() -> None:
    slack = BenchSlack()
    await slack.start()
    announce(slack.api_url)
    try:
        await until_stopped()
    finally:
        await slack.stop()


async def serve_bot(args: argparse.Namespace, probe: Probe | None) -> None:
    from pydantic import SecretStr

    from bot.domain.clock import SystemClock
    from bot.runtime.server import start_bot
    from bot.settings import Settings

    settings = Settings(
        slack_bot_token=SecretStr(BOT_TOKEN),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_app_token=None,
        slack_api_url=args.api_url,
        database_url=f"sqlite:///{args.db}",
        port=args.port,
        benefits_host="127.0.0.1",
        benefits_admin_channel=None,
        # The fake Slack sets no rate limit: pacing out of the way, so the outbox's
        # follow-ups finish between rounds instead of at Slack's one a second.
        benefits_slack_messages_per_second=10_000,
        benefits_slack_burst=10_000,
    )
    bot = await start_bot(settings, clock=SystemClock())
    if probe is not None:
        probe.install(bot.app)
    announce(bot.port)
    try:
        await until_stopped()
    finally:
        await bot.stop(timeout=settings.shutdown_timeout)


async def serve_floor(args: argparse.Namespace, probe: Probe | None) -> None:
    from slack_bolt.async_app import AsyncAck, AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.blocks import ids
    from bot.runtime.server import web_application
    from storage.sqlite import throwaway_store

    app = AsyncApp(
        signing_secret=SIGNING_SECRET,
        client=AsyncWebClient(token=BOT_TOKEN, base_url=args.api_url),
        process_before_response=True,
    )

    async def just_ack(ack: AsyncAck) -> None:
        await ack()

    app.command(ids.COMMAND)(just_ack)
    app.action(ids.APPROVE)(just_ack)
    if probe is not None:
        probe.install(app)
    runner = web.AppRunner(
        web_application(app=app, store=throwaway_store()), access_log=None, handle_signals=False
    )
    await runner.setup()
    site = web.TCPSite(runner, host="127.0.0.1", port=args.port)
    await site.start()
    announce(runner.addresses[0][1])
    try:
        await until_stopped()
    finally:
        await runner.cleanup()


# -- profiling -------------------------------------------------------------


@dataclass
class Sample:
    """Where one request's time went, inside the server."""

    started: float
    phase: str = ""
    kind: str = "other"
    parse: float = 0.0
    dispatch: float = 0.0
    service: float = 0.0
    blocks: float = 0.0
    db_calls: int = 0
    db_wait: float = 0.0
    db_thread: float = 0.0
    sql: dict[str, list[float]] = field(default_factory=dict)
    done: bool = False

    def add_db(self, statement: str, wait: float, thread: float) -> None:
        self.db_calls += 1
        self.db_wait += wait
        self.db_thread += thread
        entry = self.sql.setdefault(statement, [0.0, 0.0, 0.0])
        entry[0] += 1
        entry[1] += wait
        entry[2] += thread


CURRENT: ContextVar[Sample | None] = ContextVar("bench_sample", default=None)

NUMBERS: Final = ("handler", "parse", "dispatch", "service", "blocks", "db_wait", "db_thread")


@dataclass
class Totals:
    requests: int = 0
    sums: dict[str, float] = field(default_factory=lambda: dict.fromkeys(NUMBERS, 0.0))
    db_calls: int = 0
    sql: dict[str, list[float]] = field(default_factory=dict)


def classify(body: Mapping[str, Any]) -> str:
    if body.get("command"):
        words = str(body.get("text", "")).split()
        return words[0] if words else "help"
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        return "approve" if actions[0].get("action_id") == "request_approve" else "action"
    return str(body.get("type", "other"))


def short_sql(statement: str) -> str:
    text = " ".join(statement.split())
    return text if len(text) <= 90 else text[:87] + "..."


AsyncFn = Callable[..., Awaitable[Any]]


class Probe:
    """Times the server's own work per request: install, serve, then ``write``."""

    def __init__(self, path: Path, *, use_cprofile: bool) -> None:
        self.path = path
        self.totals: dict[tuple[str, str], Totals] = {}
        self.profiler = cProfile.Profile() if use_cprofile else None

    def start(self) -> None:
        if self.profiler is not None:
            self.profiler.enable()

    def record(self, sample: Sample, handler: float) -> None:
        totals = self.totals.setdefault((sample.phase, sample.kind), Totals())
        totals.requests += 1
        values = {
            "handler": handler,
            "parse": sample.parse,
            "dispatch": sample.dispatch,
            "service": sample.service,
            "blocks": sample.blocks,
            "db_wait": sample.db_wait,
            "db_thread": sample.db_thread,
        }
        for name, value in values.items():
            totals.sums[name] += value
        totals.db_calls += sample.db_calls
        for statement, (calls, wait, thread) in sample.sql.items():
            entry = totals.sql.setdefault(statement, [0.0, 0.0, 0.0])
            entry[0] += calls
            entry[1] += wait
            entry[2] += thread

    def install(self, app: Any) -> None:
        """Wrap the adapter, Bolt's dispatch, aiosqlite, the service and the builders."""
        import aiosqlite
        from slack_bolt.adapter import aiohttp as adapter

        import bot.runtime.server as server_module
        from bot.blocks import catalog
        from bot.services.catalog import CatalogService
        from bot.services.requests import RequestService

        probe = self
        parse_request = adapter.to_bolt_request
        make_response = adapter.to_aiohttp_response
        dispatch = cast(AsyncFn, app.async_dispatch)

        async def timed_parse(request: web.Request) -> Any:
            sample = Sample(
                started=time.perf_counter(), phase=request.headers.get(PHASE_HEADER, "")
            )
            CURRENT.set(sample)
            result = await parse_request(request)
            sample.parse = time.perf_counter() - sample.started
            return result

        async def timed_response(response: Any) -> web.Response:
            result = await make_response(response)
            sample = CURRENT.get()
            if sample is not None and not sample.done:
                sample.done = True
                probe.record(sample, time.perf_counter() - sample.started)
            return result

        async def timed_dispatch(request: Any) -> Any:
            sample = CURRENT.get()
            started = time.perf_counter()
            try:
                return await dispatch(request)
            finally:
                if sample is not None:
                    sample.kind = classify(request.body)
                    sample.dispatch = time.perf_counter() - started

        # bot.server looks these names up when each request arrives.
        setattr(server_module, "to_bolt_request", timed_parse)  # noqa: B010
        setattr(server_module, "to_aiohttp_response", timed_response)  # noqa: B010
        app.async_dispatch = timed_dispatch

        execute = cast(AsyncFn, aiosqlite.Connection._execute)

        async def timed_execute(
            conn: Any, fn: Callable[..., Any], *args: Any, **kwargs: Any
        ) -> Any:
            sample = CURRENT.get()
            if sample is None or sample.done:
                return await execute(conn, fn, *args, **kwargs)
            spent = [0.0]

            def in_thread(*a: Any, **k: Any) -> Any:
                started = time.perf_counter()
                try:
                    return fn(*a, **k)
                finally:
                    spent[0] = time.perf_counter() - started

            started = time.perf_counter()
            try:
                return await execute(conn, in_thread, *args, **kwargs)
            finally:
                statement = args[0] if args and isinstance(args[0], str) else fn.__name__
                sample.add_db(short_sql(statement), time.perf_counter() - started, spent[0])

        setattr(aiosqlite.Connection, "_execute", timed_execute)  # noqa: B010

        def time_service(original: AsyncFn) -> AsyncFn:
            async def timed(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return await original(*args, **kwargs)
                finally:
                    sample = CURRENT.get()
                    if sample is not None and not sample.done:
                        sample.service += time.perf_counter() - started

            return timed

        def time_builder(original: Callable[..., Any]) -> Callable[..., Any]:
            def timed(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    sample = CURRENT.get()
                    if sample is not None and not sample.done:
                        sample.blocks += time.perf_counter() - started

            return timed

        timed_methods: tuple[tuple[type, str], ...] = (
            (CatalogService, "list_benefits"),
            (CatalogService, "mine"),
            (RequestService, "approve"),
        )
        for cls, name in timed_methods:
            setattr(cls, name, time_service(getattr(cls, name)))
        for name in ("benefit_list_message", "mine_message"):
            setattr(catalog, name, time_builder(getattr(catalog, name)))

    def write(self) -> None:
        if self.profiler is not None:
            self.profiler.disable()
        lines = [
            "Server-side time per request, by phase and kind (means in ms).",
            "handler: from reading the HTTP body to the aiohttp response; parse: to_bolt_request;",
            "dispatch: Bolt's async_dispatch (middleware + listener + ack); service: the",
            "service call; db wait: awaiting aiosqlite (queue + thread + loop wake-up);",
            "db thread: running the statement in aiosqlite's thread; blocks: Block Kit builder.",
            "bolt = dispatch - service - blocks (Bolt's middleware, listener matching, ack JSON).",
            "",
        ]
        for (phase, kind), totals in sorted(self.totals.items()):
            n = totals.requests
            mean = {name: totals.sums[name] / n * 1000 for name in NUMBERS}
            bolt = mean["dispatch"] - mean["service"] - mean["blocks"]
            lines.append(
                f"[{phase or '-'}] {kind}: {n} requests; handler {mean['handler']:.3f}, "
                f"parse {mean['parse']:.3f}, dispatch {mean['dispatch']:.3f} "
                f"(bolt {bolt:.3f}, service {mean['service']:.3f}, blocks {mean['blocks']:.3f}); "
                f"db: {totals.db_calls / n:.1f} round trips, wait {mean['db_wait']:.3f}, "
                f"thread {mean['db_thread']:.3f}"
            )
            ranked = sorted(totals.sql.items(), key=lambda item: -item[1][1])
            for statement, (calls, wait, thread) in ranked[:12]:
                lines.append(
                    f"    {calls / n:5.2f}/req  wait {wait / calls * 1e6:8.1f} us  "
                    f"thread {thread / calls * 1e6:8.1f} us  {statement}"
                )
        if self.profiler is not None:
            for order in ("tottime", "cumulative"):
                stream = io.StringIO()
                stats = pstats.Stats(self.profiler, stream=stream)
                stats.sort_stats(order).print_stats(40)
                lines += ["", f"-- cProfile, main thread, by {order} --", stream.getvalue()]
            self.profiler.dump_stats(self.path.with_suffix(".prof"))
        self.path.write_text("\n".join(lines) + "\n")


# -- command line ----------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ack",
        description="Acknowledgement latency and throughput of the bot, next to a bare Bolt app.",
    )
    parser.add_argument("--quick", action="store_true", help="small counts, for a smoke run")
    parser.add_argument(
        "--requests", type=int, help="requests per kind in the concurrent run (default 1000)"
    )
    parser.add_argument(
        "--sequential", type=int, help="requests per kind in the sequential run (default 300)"
    )
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--warmup", type=int, help="warm-up requests per kind (default 20)")
    parser.add_argument(
        "--rounds", type=int, help="rounds per batch, the servers taking turns (default 4)"
    )
    parser.add_argument("--benefits", type=int, help="benefits in the inventory (default 1000)")
    parser.add_argument("--holders", type=int, default=10, help="holders per benefit")
    parser.add_argument(
        "--kinds", default=",".join(KINDS), help="which of list,mine,approve to run"
    )
    parser.add_argument(
        "--profile", type=Path, help="write a per-request time breakdown of each server here"
    )
    parser.add_argument(
        "--cprofile", action="store_true", help="with --profile: add a cProfile listing"
    )
    # The servers (started by the benchmark itself).
    parser.add_argument("--serve", choices=("slack", "bot", "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    kinds = tuple(k.strip() for k in str(args.kinds).split(",") if k.strip())
    if not kinds or any(k not in KINDS for k in kinds):
        parser.error(f"--kinds takes a comma-separated subset of {','.join(KINDS)}")
    args.kinds = kinds
    for name in ("requests", "sequential", "warmup", "benefits", "rounds"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name} must be at least 1")
    if args.concurrency < 1 or args.holders < 1:
        parser.error("--concurrency and --holders must be at least 1")
    if args.serve == "bot" and args.db is None:
        parser.error("--serve bot needs --db")
    if args.serve in ("bot", "floor") and not args.api_url:
        parser.error("--serve bot|floor needs --api-url")
    return args


def plan_from(args: argparse.Namespace) -> Plan:
    quick = bool(args.quick)
    plan = Plan(
        benefits=args.benefits or (100 if quick else 1000),
        holders=args.holders,
        sequential=args.sequential or (20 if quick else 300),
        concurrent=args.requests or (64 if quick else 1000),
        concurrency=args.concurrency,
        warmup=args.warmup or (3 if quick else 20),
        rounds=args.rounds or (2 if quick else 4),
        kinds=args.kinds,
    )
    rounds = math.ceil(plan.approvals / plan.benefits)
    if rounds >= plan.benefits:
        raise SystemExit("too many approvals for so few benefits: raise --benefits")
    return plan


def serve(args: argparse.Namespace) -> int:
    from bot.runtime.logs import configure_logging

    configure_logging("INFO", [BOT_TOKEN, SIGNING_SECRET])
    probe = (
        Probe(args.profile, use_cprofile=args.cprofile)
        if args.profile is not None and args.serve != "slack"
        else None
    )
    if probe is not None:
        probe.start()
    try:
        if args.serve == "slack":
            asyncio.run(serve_slack())
        elif args.serve == "bot":
            asyncio.run(serve_bot(args, probe))
        else:
            asyncio.run(serve_floor(args, probe))
    finally:
        if probe is not None:
            probe.write()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        return serve(args)
    plan = plan_from(args)
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    return asyncio.run(benchmark(plan, profile=args.profile, use_cprofile=args.cprofile))


if __name__ == "__main__":
    sys.exit(main())
