"""One benchmark run: build the database, start the servers, send every batch, report."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TextIO

import aiohttp

from bench.ack.database import Counts, Database, run_database
from bench.ack.load import (
    EVENTS_PATH,
    REQUEST_TIMEOUT,
    Arrivals,
    Child,
    Run,
    Sent,
    check_answer,
    drive,
    percentile,
    wait_healthy,
)
from bench.ack.plan import (
    MIX,
    Bodies,
    Item,
    PendingRequest,
    Plan,
    mix_text,
    prepare_database,
)

SERVERS: Final = ("floor", "bot")
SEQUENTIAL: Final = "sequential"
WARM_UP: Final = "warm-up"


@dataclass(frozen=True)
class Targets:
    """The bot/floor ratios a run is held to."""

    p50: float
    """Acknowledgement p50, bot/floor, at most (each kind, both modes)."""
    throughput: float
    """Requests/s with ``--concurrency`` in flight, bot/floor, at least."""
    follow_up: float
    """Follow-up p50, bot/floor, at most."""


TARGETS: Final = {
    "sqlite": Targets(p50=2.0, throughput=0.5, follow_up=2.0),
    # Set for one replica: each statement is a round trip to the server rather
    # than a call into the bot's own process, so the acknowledgement may take 2.5x.
    "postgresql": Targets(p50=2.5, throughput=0.5, follow_up=2.0),
}
MAX_ERRORS_SHOWN: Final = 10
ANSWERED_WITH_BLOCKS: Final = frozenset({"list", "list-cat", "mine", "request"})
"""Kinds whose acknowledgement is the answer, so the bot's must carry blocks."""


@dataclass
class Report:
    plan: Plan
    engine: str = "sqlite"
    replicas: int = 1
    runs: list[Run] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    approvals_sent: int = 0
    requests_sent: int = 0
    verdicts: dict[str, int] = field(default_factory=lambda: {"PASS": 0, "MISS": 0})

    def find(self, server: str, kind: str, mode: str) -> Run | None:
        for run in self.runs:
            if (run.server, run.kind, run.mode) == (server, kind, mode):
                return run
        return None

    def pair(self, kind: str, mode: str) -> tuple[Run, Run]:
        """The bot's run and the floor's, which the report has already found."""
        bot, floor = self.find("bot", kind, mode), self.find("floor", kind, mode)
        if bot is None or floor is None:
            raise LookupError(f"no runs of {kind} {mode}")
        return bot, floor

    @property
    def targets(self) -> Targets:
        return TARGETS[self.engine]

    def check(self, ok: bool, line: str, error: str) -> None:
        self.checks.append(f"{line}  {'PASS' if ok else 'FAIL'}")
        if not ok:
            self.errors.append(error)


def out(text: str = "", stream: TextIO | None = None) -> None:
    print(text, file=stream or sys.stdout, flush=True)


async def benchmark(
    plan: Plan,
    *,
    database: str | None = None,
    replicas: int = 1,
    profile: Path | None,
    use_cprofile: bool,
) -> int:
    """One run; ``database`` a PostgreSQL server's URL (None: a SQLite file), on which
    ``replicas`` bot processes share one schema."""
    report = Report(plan, engine="sqlite" if database is None else "postgresql", replicas=replicas)
    out(
        f"benefits: {plan.benefits}, users with assignments: {plan.users} "
        f"({plan.holders} holders each, {plan.seats} seats), pending requests: {plan.approvals}"
    )
    out(
        f"requests per kind: {plan.warmup} warm-up, {plan.sequential} sequential, "
        f"{plan.concurrent} at {plan.concurrency} in flight, in {plan.rounds} rounds taking "
        f"turns; kinds: {', '.join(plan.kinds)}"
        + (f"; mix: {mix_text(plan.mix)}" if MIX in plan.kinds else "")
        + (f"; at most: {mix_text(plan.limits)}" if any(n for _, n in plan.limits) else "")
    )
    out(
        f"python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f} at the start"
    )
    with tempfile.TemporaryDirectory(prefix="bench-ack-") as tmp:
        workdir = Path(tmp)
        async with run_database(database, workdir) as db:
            out(
                f"database: {db.engine} ({db.where}); bot: {replicas} "
                f"{'replica' if replicas == 1 else 'replicas'}"
                + (", each batch spread round-robin over them" if replicas > 1 else "")
                + "; floor: 1 process"
            )
            started = time.perf_counter()
            pool = await prepare_database(db.url, plan)
            out(f"database built in {time.perf_counter() - started:.1f} s")
            try:
                await _measure(plan, report, workdir, db, pool, profile, use_cprofile)
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
    database: Database,
    pool: Sequence[PendingRequest],
    profile: Path | None,
    use_cprofile: bool,
) -> None:
    connector = aiohttp.TCPConnector(limit=max(plan.concurrency, 1))
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    base = await database.counts()
    async with (
        aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
        AsyncExitStack() as stack,
    ):
        slack = await Child.start("slack", [], workdir)
        stack.push_async_callback(_stop, slack, report)
        api_url = slack.ready
        slack_root = api_url.removesuffix("/").removesuffix("/api")
        servers: dict[str, list[Child]] = {}
        for role in SERVERS:
            count = report.replicas if role == "bot" else 1
            servers[role] = []
            for number in range(1, count + 1):
                name = role if count == 1 else f"{role}-{number}"
                options = ["--api-url", api_url]
                if role == "bot":
                    options += ["--db-url", database.url]
                if profile is not None:
                    options += ["--profile", str(profile / f"{name}.txt")]
                    if use_cprofile:
                        options.append("--cprofile")
                child = await Child.start(role, options, workdir, name=name)
                servers[role].append(child)
                stack.push_async_callback(_stop, child, report)
                await wait_healthy(session, f"http://127.0.0.1:{child.ready}")
        batches = Batches(
            plan,
            report,
            session,
            {
                role: [f"http://127.0.0.1:{c.ready}{EVENTS_PATH}" for c in children]
                for role, children in servers.items()
            },
            Bodies(plan, pool, slack_root),
            Arrivals(session, api_url),
            database,
            profiled=profile is not None,
        )
        for kind in plan.kinds:
            await batches.run(kind, WARM_UP, plan.warmup, 1, 1, salt=0)
        for mode, count, concurrency in (
            (SEQUENTIAL, plan.sequential, 1),
            (plan.concurrent_label, plan.concurrent, plan.concurrency),
        ):
            for kind in plan.kinds:
                if kind == MIX and mode == SEQUENTIAL:
                    continue  # the mix is a load: it runs concurrently only
                n = plan.count_of(kind, count)
                rounds = min(plan.rounds, n)
                out(f"running {kind} {mode}: {n} requests to each server in {rounds} rounds")
                await batches.run(kind, mode, n, concurrency, rounds, salt=1)

        counts = await database.counts()
        seats = counts.seats_by_admin - base.seats_by_admin
        if report.approvals_sent:
            report.check(
                seats == report.approvals_sent == counts.approved - base.approved,
                f"approve total: {report.approvals_sent} clicks sent to the bot, {seats} seats "
                f"assigned, {counts.approved - base.approved} requests approved",
                "the seats assigned do not match the approve clicks",
            )
        if report.requests_sent:
            filed = counts.new_pending - base.new_pending
            report.check(
                filed == report.requests_sent,
                f"request total: {report.requests_sent} requests sent to the bot, "
                f"{filed} new pending requests",
                "the new pending requests do not match the requests sent",
            )
        # Stop the bot first: it finishes its Slack follow-ups before it exits.
        for child in servers["bot"]:
            await _stop(child, report)
        if report.approvals_sent:
            await batches.arrivals.fetch()
            updates = batches.arrivals.counts.get(("bot", "update"), 0)
            dms = batches.arrivals.counts.get(("bot", "dm"), 0)
            report.check(
                updates == dms == report.approvals_sent,
                f"follow-ups: {updates} chat.update, {dms} DMs for "
                f"{report.approvals_sent} approvals",
                "the bot's Slack follow-ups do not match the approvals",
            )


class Batches:
    """Sends batches to both servers in turn and keeps what they answered."""

    def __init__(
        self,
        plan: Plan,
        report: Report,
        session: aiohttp.ClientSession,
        urls: dict[str, list[str]],
        bodies: Bodies,
        arrivals: Arrivals,
        database: Database,
        *,
        profiled: bool,
    ) -> None:
        self.plan = plan
        self.report = report
        self.session = session
        self.urls = urls
        self.bodies = bodies
        self.arrivals = arrivals
        self.database = database
        self.profiled = profiled

    async def run(
        self, kind: str, mode: str, count: int, concurrency: int, rounds: int, *, salt: int
    ) -> None:
        """``count`` requests of one kind to each server, in rounds taking turns.

        Each round sends the same requests to both servers, the floor first in
        odd rounds and the bot first in even ones, so that the machine's noise
        falls on both alike. After each round the bench waits until the
        server's follow-ups reached the fake Slack, so they don't spill into
        the next round. A server with several replicas gets each round's
        requests round-robin over them.
        """
        before = await self.database.counts()
        items = self.bodies.make(kind, count, salt=salt)
        collected = {server: Run(server, kind, mode) for server in SERVERS}
        sizes = [count // rounds + (1 if r < count % rounds else 0) for r in range(rounds)]
        offset = 0
        for number, size in enumerate(s for s in sizes if s):
            chunk = items[offset : offset + size]
            offset += size
            order = SERVERS if number % 2 == 0 else tuple(reversed(SERVERS))
            for server in order:
                await self._round(collected[server], chunk, concurrency, mode)
        for run in collected.values():
            self.report.errors += run.errors
            if mode != WARM_UP:
                self.report.runs.append(run)
        self._check(kind, mode, items, before, await self.database.counts())

    async def _send(
        self, run: Run, chunk: Sequence[Item], concurrency: int, mode: str, *, follow_ups: bool
    ) -> Sent:
        server = run.server
        sent = await drive(
            self.session,
            self.urls[server],
            server,
            chunk,
            concurrency=concurrency,
            phase=(mode if not follow_ups else f"{mode} follow-ups") if self.profiled else None,
            before_cold=self.database.touch,
            follow_ups=follow_ups,
        )
        for i, (item, outcome) in enumerate(zip(chunk, sent.outcomes, strict=True)):
            expect_blocks = (
                server == "bot"
                and item.kind in ANSWERED_WITH_BLOCKS
                and not (item.kind == "request" and self.plan.answers_later)
            )
            if problem := check_answer(outcome, expect_blocks=expect_blocks):
                run.errors.append(f"{server} {run.kind} {run.mode} #{run.count + i}: {problem}")
        return sent

    async def _round(self, run: Run, chunk: Sequence[Item], concurrency: int, mode: str) -> None:
        """One server's turn: its acknowledgements, then its follow-ups.

        The bot makes its follow-ups whatever happens; the floor makes them
        only when asked, in a second pass whose acknowledgements aren't kept,
        so that its acknowledgements stay those of an app that only acks.
        """
        server = run.server
        has_follow_ups = any(item.follow_ups for item in chunk)
        sent = await self._send(run, chunk, concurrency, mode, follow_ups=False)
        first = run.count
        run.latencies += sent.latencies
        run.parts += [item.kind for item in chunk]
        run.wall += sent.wall
        if not has_follow_ups:
            return
        if server == "floor":
            sent = await self._send(run, chunk, concurrency, mode, follow_ups=True)
        expected = [key for item in chunk for key in item.follow_ups_for(server)]
        missing = set(await self.arrivals.wait_for(server, expected))
        for i, item in enumerate(chunk):
            keys = item.follow_ups_for(server)
            if not keys:
                continue
            if missing.intersection(keys):
                run.errors.append(
                    f"{server} {run.kind} {run.mode} #{first + i}: no "
                    f"{', '.join(sorted(missing.intersection(keys)))} within the timeout"
                )
                continue
            arrived = max(self.arrivals.seen[(server, key)] for key in keys)
            run.follow_ups.append(arrived - sent.started[i])
            run.follow_up_parts.append(item.kind)

    def _check(
        self, kind: str, mode: str, items: Sequence[Item], before: Counts, after: Counts
    ) -> None:
        approvals = sum(item.kind == "approve" for item in items)
        requests = sum(item.kind == "request" for item in items)
        report = self.report
        if approvals:
            report.approvals_sent += approvals
            assigned = after.seats_by_admin - before.seats_by_admin
            report.check(
                assigned == approvals,
                f"{kind} {mode}: {approvals} approve clicks sent to the bot, "
                f"{assigned} seats assigned",
                f"{kind} {mode}: {approvals} approve clicks but {assigned} seats assigned",
            )
        if requests:
            report.requests_sent += requests
            filed = after.new_pending - before.new_pending
            report.check(
                filed == requests,
                f"{kind} {mode}: {requests} requests sent to the bot, {filed} new pending",
                f"{kind} {mode}: {requests} requests but {filed} new pending requests",
            )


async def _stop(child: Child, report: Report) -> None:
    if child.process.returncode is not None and child.ready == "stopped":
        return
    code = await child.stop()
    child.ready = "stopped"
    if code != 0:
        report.errors.append(f"the {child.name} server exited with {code}\n{child.log_tail()}")


# -- the report --------------------------------------------------------------


def _parts(report: Report, kind: str) -> list[str | None]:
    """The whole kind, then (for the mix) each of its parts."""
    if kind != MIX:
        return [None]
    return [None, *(name for name, _ in report.plan.mix)]


def _label(kind: str, part: str | None) -> str:
    return kind if part is None else f"{kind}:{part}"


def _verdict(report: Report, ok: bool) -> str:
    verdict = "PASS" if ok else "MISS"
    report.verdicts[verdict] += 1
    return verdict


def print_report(report: Report) -> None:
    plan = report.plan
    targets = report.targets
    out()
    replicas = f"{report.replicas} {'replica' if report.replicas == 1 else 'replicas'}"
    out(f"engine: {report.engine}, bot: {replicas}, floor: 1 process")
    out("acknowledgements (client-side latency of the HTTP answer)")
    header = (
        f"{'kind':<15} {'mode':<14} {'server':<6} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'req/s':>8} {'errors':>6}"
    )
    out(header)
    out("-" * len(header))
    pairs: list[tuple[str, str | None, str]] = []  # kind, part, mode with both servers
    for mode in plan.modes:
        for kind in plan.kinds:
            for part in _parts(report, kind):
                rows = [(s, report.find(s, kind, mode)) for s in SERVERS]
                if any(run is None or not run.latencies_of(part) for _, run in rows):
                    continue
                pairs.append((kind, part, mode))
                for server, run in rows:
                    assert run is not None
                    values = run.latencies_of(part)
                    rps = f"{run.rps:>8.1f}" if part is None else f"{'':>8}"
                    errors = f"{len(run.errors):>6}" if part is None else f"{'':>6}"
                    out(
                        f"{_label(kind, part):<15} {mode:<14} {server:<6} {len(values):>6} "
                        f"{percentile(values, 0.5) * 1000:>8.2f} "
                        f"{percentile(values, 0.99) * 1000:>8.2f} {rps} {errors}"
                    )
    follow = [
        (kind, part, mode)
        for kind, part, mode in pairs
        if all((run := report.find(s, kind, mode)) and run.follow_ups_of(part) for s in SERVERS)
    ]
    if follow:
        out()
        out("follow-ups (from sending the request to the arrival at Slack of its last follow-up)")
        out(header.replace("req/s", "     ").replace("errors", "      "))
        out("-" * len(header))
        for kind, part, mode in follow:
            for server in SERVERS:
                run = report.find(server, kind, mode)
                assert run is not None
                values = run.follow_ups_of(part)
                out(
                    f"{_label(kind, part):<15} {mode:<14} {server:<6} {len(values):>6} "
                    f"{percentile(values, 0.5) * 1000:>8.2f} "
                    f"{percentile(values, 0.99) * 1000:>8.2f}"
                )
    out()
    for kind, part, mode in pairs:
        bot, floor = report.pair(kind, mode)
        ratio = percentile(bot.latencies_of(part), 0.5) / percentile(floor.latencies_of(part), 0.5)
        out(
            f"ratio p50 bot/floor            {_label(kind, part):<15} {mode:<14} {ratio:7.2f}  "
            f"target <= {targets.p50}  {_verdict(report, ratio <= targets.p50)}"
        )
    for kind, part, mode in pairs:
        if mode == SEQUENTIAL or part is not None:
            continue
        bot, floor = report.pair(kind, mode)
        ratio = bot.rps / floor.rps if floor.rps else 0.0
        out(
            f"ratio throughput bot/floor     {kind:<15} {mode:<14} {ratio:7.2f}  "
            f"target >= {targets.throughput}  {_verdict(report, ratio >= targets.throughput)}"
        )
    for kind, part, mode in follow:
        bot, floor = report.pair(kind, mode)
        ratio = percentile(bot.follow_ups_of(part), 0.5) / percentile(
            floor.follow_ups_of(part), 0.5
        )
        out(
            f"ratio follow-up p50 bot/floor  {_label(kind, part):<15} {mode:<14} {ratio:7.2f}  "
            f"target <= {targets.follow_up}  {_verdict(report, ratio <= targets.follow_up)}"
        )
    out(f"targets: {report.verdicts['PASS']} PASS, {report.verdicts['MISS']} MISS")
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
