"""The tenants benchmark: many workspaces in one PostgreSQL database, each beside one.

``python -m bench.tenants --database postgresql://user@host:port/database``
(``--tenants 1000`` by default; ``--quick`` for a smoke run with 50) works in
schemas of its own on that server (``bench_<hex>``, ``bench_<hex>_single`` and
the tenants' ``bench_<hex>__t…``), all dropped at the end. Each tenant holds the
same data: 100 assignments and 100 offers, of which 42 reminders are due
(:func:`bench.reminders.build_sweep_db`, scaled down, copied in with the
bot's ``copy-db`` code, then schema to schema with ``INSERT … SELECT``).
Three things are measured, each beside a baseline of the same run:

1. **The sweep's cost per due reminder**: ``ReminderService.sweep`` over each
   of the tenants' stores in turn (the schemas on the base's pool, as the
   running bot sweeps each tenant), against the sweep of one tenant alone.
   Target ratio ≤ 1.5. How long making (migrating) and filling the tenants'
   schemas took is printed.
2. **The warm tenant's token look-up**: the bot in OAuth mode (``start_bot``
   with Add to Slack settings, every tenant installed and running), its store
   counting statements, and apart those that read the installations: signed
   ``help``, ``list`` and ``mine`` commands from warm tenants (each has had a
   request before) must read no installation (target 0; the bot finds the
   tenant and its token in memory). The statements per command are printed
   beside those of a bot installed in one workspace with a bot token.
3. **Acknowledgement**: p50 of ``list`` and ``mine`` from the warm tenants in
   turn, and from one of them over and over, against the same commands to the
   one-workspace bot, over HTTP, one at a time, taking turns round by round.
   Target ratio ≤ 1.2.

Both bots, the fake Slack and the client share this process and event loop,
as in ``bench.home``. The exit code is 1 when something failed (a request not
answered with HTTP 200 or a list without blocks, a sweep that queued the
wrong number of reminders, a warm tenant's request that read the
installations, a tenant not running); a missed target is reported as MISS.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import aiohttp
import asyncpg
from cryptography.fernet import Fernet
from slack_sdk.web.async_client import AsyncWebClient

from bench.ack.database import with_search_path
from bench.ack.run import out
from bench.figures import finish, ms, percentile, verdict
from bench.reminders import NOW, WATERMARK, Due, build_sweep_db
from bot.domain.clock import FakeClock, SystemClock
from bot.domain.installations import BotInstallation
from bot.runtime.bootstrap import build_services, key_vault
from bot.runtime.oauth import BOT_SCOPES
from bot.runtime.server import RunningBot, start_bot
from bot.services.installations import InstallationService
from bot.services.reminders import SWEEP, ReminderRules, ReminderService
from bot.settings import Settings
from storage import open_tenants
from storage.copying import BOOKKEEPING, SEEDED, copy_database, open_tables
from storage.postgres import DEFAULT_POOL_SIZE, PostgresStore, migrate_postgres, open_postgres
from storage.postgres.connections import create_pool
from storage.postgres.store import quoted
from storage.postgres.tenant_schemas import PostgresTenants
from storage.sqlite import open_sqlite
from storage.unit_of_work import Store
from tests.fakes.signing import sign, slash_command_body
from tests.fakes.web_api import FakeSlackWebApi

SIGNING_SECRET: Final = "bench-signing-secret-0123456789"
BOT_TOKEN: Final = "xoxb-bench-single-0123456789"
CLIENT_ID: Final = "1234567890.9876543210"
CLIENT_SECRET: Final = "0123456789abcdef0123456789abcdef"
INSTALLER: Final = "UINSTALL1"
HOLDER: Final = "UH000001"  # holds a seat of sw-due-0 in every tenant
PER_TENANT: Final = Due(offers=10, benefits=2, holders=10, vs=10, software=20)  # 42 due
ROWS: Final = 200  # 100 assignments and 100 offers
SWEEP_RUNS: Final = 3
SINGLE_RUNS: Final = 15
MAKING_AT_ONCE: Final = 2  # tenants' schemas made and migrated at the same time
KINDS: Final = ("list", "mine")


@dataclass
class Run:
    server: str
    tenants: int
    requests: int  # per kind and bot, timed
    rounds: int
    base: str = field(default_factory=lambda: f"bench_{uuid.uuid4().hex[:10]}")
    errors: list[str] = field(default_factory=list)

    @property
    def single(self) -> str:
        return f"{self.base}_single"

    def url(self, schema: str) -> str:
        return with_search_path(self.server, schema)

    def teams(self) -> list[str]:
        return [f"TB{n:07d}" for n in range(self.tenants)]


# -- the data ----------------------------------------------------------------------


async def fill_single(run: Run, workdir: Path) -> float:
    """One tenant's data in ``run.single``, built on SQLite and copied with ``copy-db``'s code."""
    started = time.perf_counter()
    path = workdir / "tenant.db"
    store = await open_sqlite(path)  # the schema
    await store.close()
    build_sweep_db(path, ROWS, due=PER_TENANT)
    source = await open_tables(f"sqlite:///{path}", migrate=False)
    target = await open_tables(run.url(run.single), migrate=True)
    try:
        await copy_database(source, target)
    finally:
        await source.close()
        await target.close()
    return time.perf_counter() - started


async def data_tables(conn: asyncpg.Connection[Any], schema: str) -> list[tuple[str, list[str]]]:
    """The tables of ``schema`` that hold rows to copy, parents first, with their columns."""
    from storage.copying import ordered

    names = [
        str(r[0])
        for r in await conn.fetch(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
            schema,
        )
    ]
    tables: list[tuple[str, list[str]]] = []
    for table in ordered([n for n in names if n not in BOOKKEEPING | SEEDED]):
        if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {quoted(schema)}.{quoted(table)})"):
            columns = await conn.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = $1 AND table_name = $2 AND is_generated = 'NEVER' "
                "ORDER BY ordinal_position",
                schema,
                table,
            )
            tables.append((table, [quoted(str(c[0])) for c in columns]))
    return tables


async def make_tenants(
    run: Run, tenants: PostgresTenants, keys: Sequence[str]
) -> tuple[float, float]:
    """Every tenant's schema made and migrated (as on first use), then filled from
    ``run.single``; the seconds each took."""
    started = time.perf_counter()
    gate = asyncio.Semaphore(MAKING_AT_ONCE)

    async def make(key: str) -> None:
        async with gate:
            await tenants.store(key)

    await asyncio.gather(*(make(key) for key in keys))
    made = time.perf_counter() - started
    started = time.perf_counter()
    conn = await asyncpg.connect(run.server)
    try:
        tables = await data_tables(conn, run.single)
        for key in keys:
            into = quoted(tenants.schema_of(key))
            async with conn.transaction():
                for table, columns in tables:
                    names = ", ".join(columns)
                    await conn.execute(
                        f"INSERT INTO {into}.{quoted(table)} ({names}) "
                        f"SELECT {names} FROM {quoted(run.single)}.{quoted(table)}"
                    )
    finally:
        await conn.close()
    return made, time.perf_counter() - started


async def reset_sweeps(server: str, schemas: Sequence[str], watermark: datetime) -> None:
    """Every schema's outbox emptied and its sweep's watermark set (one round trip)."""
    moment = watermark.isoformat()
    script = "".join(
        f"DELETE FROM {quoted(s)}.outbox; "
        f"INSERT INTO {quoted(s)}.sweep_watermarks (name, watermark) "
        f"VALUES ('{SWEEP}', '{moment}') "
        "ON CONFLICT (name) DO UPDATE SET watermark = excluded.watermark; "
        for s in schemas
    )
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(script)
    finally:
        await conn.close()


# -- 1. the sweep --------------------------------------------------------------------


def reminder_service(store: Store) -> ReminderService:
    rules = ReminderRules(remind_vs_reassignable=True)
    return build_services(store, clock=FakeClock(NOW), rules=rules).reminders


async def time_sweeps(
    run: Run, schemas: Sequence[str], services: Sequence[ReminderService], runs: int
) -> tuple[float, int]:
    """The median time of ``runs`` sweeps of every service in turn (a first, untimed,
    warms up), and the reminders one sweep of them all queued."""
    times: list[float] = []
    queued = 0
    for n in range(runs + 1):
        await reset_sweeps(run.server, schemas, WATERMARK)
        started = time.perf_counter()
        queued = 0
        for service in services:
            queued += await service.sweep()
        if n:
            times.append(time.perf_counter() - started)
    return statistics.median(times), queued


async def bench_sweep(run: Run, workdir: Path) -> None:
    built = await fill_single(run, workdir)
    out(
        f"one tenant: {ROWS // 2} assignments and {ROWS // 2} offers, "
        f"{PER_TENANT.pings} reminders due (built and copied in {built:.1f} s)"
    )
    single = await open_postgres(run.url(run.single), pool_size=2)
    try:
        one, queued = await time_sweeps(run, [run.single], [reminder_service(single)], SINGLE_RUNS)
    finally:
        await single.close()
    if queued != PER_TENANT.pings:
        run.errors.append(f"one tenant's sweep queued {queued}, expected {PER_TENANT.pings}")
    base = await open_postgres(run.url(run.base), pool_size=4)
    try:
        tenants = await open_tenants(base)
        assert isinstance(tenants, PostgresTenants)
        keys = run.teams()
        made, filled = await make_tenants(run, tenants, keys)
        out(
            f"{run.tenants:,} tenants' schemas made and migrated in {made:.1f} s "
            f"({made / run.tenants * 1000:.0f} ms each, {MAKING_AT_ONCE} at a time), "
            f"filled in {filled:.1f} s"
        )
        services = [reminder_service(await tenants.store(k)) for k in keys]
        schemas = [tenants.schema_of(k) for k in keys]
        many, queued_all = await time_sweeps(run, schemas, services, SWEEP_RUNS)
        await tenants.close()
    finally:
        await base.close()
    wanted = PER_TENANT.pings * run.tenants
    if queued_all != wanted:
        run.errors.append(f"the tenants' sweeps queued {queued_all}, expected {wanted}")
    per_one = one / PER_TENANT.pings
    per_many = many / wanted
    out(
        f"sweep, one tenant: {one * 1000:.2f} ms for {PER_TENANT.pings} reminders, "
        f"{per_one * 1e6:.1f} us each (median of {SINGLE_RUNS})"
    )
    out(
        f"sweep, {run.tenants:,} tenants one after another: {many:.2f} s for {wanted:,} "
        f"reminders, {per_many * 1e6:.1f} us each (median of {SWEEP_RUNS})"
    )
    ratio = per_many / per_one
    out(
        f"ratio sweep per due reminder {run.tenants} tenants/1: {ratio:.2f} "
        f"(target <= 1.5) {verdict(ratio <= 1.5)}"
    )


# -- 2 and 3. the bots ---------------------------------------------------------------


def settings(slack: FakeSlackWebApi, url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack.api_url,
        "database_url": url,
        "port": 0,
        "benefits_host": "127.0.0.1",
        "benefits_delivery_poll_seconds": 600.0,  # nothing is due: the loops stay quiet
        "benefits_sweep_interval_seconds": 3600.0,
        "benefits_log_level": "WARNING",
    }
    return Settings(**(values | overrides))


async def install_all(
    run: Run, slack: FakeSlackWebApi, key: str, http: aiohttp.ClientSession
) -> None:
    """An installation of every tenant in the base, each with a token the fake Slack issued
    for its workspace, and the base's own data recorded as another workspace's (so that
    every tenant's data is in its schema, as for all but the first installed)."""
    slack.oauth_client = (CLIENT_ID, CLIENT_SECRET)
    anonymous = AsyncWebClient(base_url=slack.api_url, session=http)
    base = await open_postgres(run.url(run.base), pool_size=2)
    try:
        vault = key_vault(settings(slack, run.url(run.base), benefits_encryption_key=key))
        assert vault is not None
        installations = InstallationService(base, clock=SystemClock(), vault=vault)
        await build_services(base, clock=SystemClock()).tenancy.started(None, "TBENCHBASE")
        for team in run.teams():
            code = slack.authorize(INSTALLER, scopes=BOT_SCOPES, team_id=team, team=team)
            answer = await anonymous.oauth_v2_access(
                client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code
            )
            await installations.save(
                BotInstallation(
                    enterprise_id=None,
                    team_id=team,
                    team_name=team,
                    bot_user_id=str(answer["bot_user_id"]),
                    bot_scopes=tuple(BOT_SCOPES),
                    installer_user_id=INSTALLER,
                    installed_at=datetime.now(UTC),
                    bot_token=str(answer["access_token"]),
                )
            )
    finally:
        await base.close()


@dataclass
class Counting:
    """A store that counts its statements, and apart those that read the installations
    (how a request's workspace and token are found when they are not in memory)."""

    store: PostgresStore
    lookups: list[int]

    @classmethod
    async def open(cls, url: str) -> Counting:
        await migrate_postgres(url)
        counter, lookups = [0], [0]

        def count(query: asyncpg.connection.LoggedQuery) -> None:
            counter[0] += 1
            if "installations" in query.query:
                lookups[0] += 1

        pool = await create_pool(url, size=DEFAULT_POOL_SIZE, on_statement=count)
        return cls(PostgresStore(url, pool, counter=counter), lookups)


@dataclass
class Sent:
    seconds: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    lookups: list[int] = field(default_factory=list)


async def send(
    run: Run,
    http: aiohttp.ClientSession,
    bot: RunningBot,
    counting: Counting,
    slack: FakeSlackWebApi,
    text: str,
    team: str,
    sent: Sent,
) -> None:
    """One signed ``/benefits text`` from ``team``: its time to the answer and the statements
    the bot's store sent meanwhile."""
    body = slash_command_body(
        text=text, user_id=HOLDER, team_id=team, response_url=slack.response_url("bench")
    )
    headers = sign(body, SIGNING_SECRET)
    store = counting.store
    before, looked_up = store.statements or 0, counting.lookups[0]
    started = time.perf_counter()
    async with http.post(
        f"http://127.0.0.1:{bot.port}/slack/events", data=body.encode(), headers=headers
    ) as resp:
        answer = await resp.read()
        status = resp.status
    sent.seconds.append(time.perf_counter() - started)
    sent.statements.append((store.statements or 0) - before)
    sent.lookups.append(counting.lookups[0] - looked_up)
    if status != 200 or (text != "help" and b"blocks" not in answer):
        run.errors.append(f"{text} from {team}: HTTP {status}, {answer[:80]!r}")


async def bench_bots(run: Run) -> None:
    key = Fernet.generate_key().decode()
    keys = run.teams()
    async with FakeSlackWebApi() as slack, aiohttp.ClientSession() as http:
        await install_all(run, slack, key, http)
        schemas = [f"{run.base}__{k.lower()}" for k in keys]
        await reset_sweeps(run.server, [run.single, *schemas], datetime.now(UTC))
        many_db = await Counting.open(run.url(run.base))
        started = time.perf_counter()
        many = await start_bot(
            settings(
                slack,
                run.url(run.base),
                slack_bot_token=None,
                slack_client_id=CLIENT_ID,
                slack_client_secret=CLIENT_SECRET,
                benefits_encryption_key=key,
            ),
            store=many_db.store,
        )
        out(
            f"the bot in OAuth mode started {run.tenants:,} tenants in "
            f"{time.perf_counter() - started:.1f} s"
        )
        one_db = await Counting.open(run.url(run.single))
        one = await start_bot(settings(slack, run.url(run.single)), store=one_db.store)
        try:
            assert many.tenancy is not None
            running = len(many.tenancy.installed)
            if running != run.tenants:
                run.errors.append(f"{running} tenants running, expected {run.tenants}")
            waited = await quiet([many_db.store, one_db.store])
            out(f"the bots' start-up work (languages, sweeps) done {waited:.1f} s later")
            await measure(run, Bots(http, slack, many, many_db, one, one_db), keys)
        finally:
            await one.stop()
            await many.stop()


@dataclass
class Bots:
    http: aiohttp.ClientSession
    slack: FakeSlackWebApi
    many: RunningBot
    many_db: Counting
    one: RunningBot
    one_db: Counting

    async def to_many(self, run: Run, text: str, team: str, sent: Sent) -> None:
        await send(run, self.http, self.many, self.many_db, self.slack, text, team, sent)

    async def to_one(self, run: Run, text: str, sent: Sent) -> None:
        # T0001: the fake Slack's workspace of any token it did not issue, BOT_TOKEN's
        await send(run, self.http, self.one, self.one_db, self.slack, text, "T0001", sent)


async def quiet(
    stores: Sequence[PostgresStore], *, still: float = 1.0, most: float = 120.0
) -> float:
    """Wait until no store sent a statement for ``still`` seconds (the bots' start-up work
    and deferred work done); the seconds waited."""
    started = time.perf_counter()
    seen = [s.statements for s in stores]
    calm = time.perf_counter()
    while time.perf_counter() - started < most:
        await asyncio.sleep(0.1)
        now = [s.statements for s in stores]
        if now != seen:
            seen, calm = now, time.perf_counter()
        elif time.perf_counter() - calm >= still:
            break
    return time.perf_counter() - started


async def measure(run: Run, bots: Bots, keys: Sequence[str]) -> None:
    warm = Sent()
    for kind in KINDS:  # every tenant warm: its first request authorized and answered
        for team in keys:
            await bots.to_many(run, kind, team, warm)
        for _ in range(3):
            await bots.to_one(run, kind, warm)
    await quiet([bots.many_db.store, bots.one_db.store])
    timed = {(kind, bot): Sent() for kind in ("help", *KINDS) for bot in ("many", "same", "one")}
    turn = 0
    for round_ in range(run.rounds):  # the bots take turns; the tenants too, one by one
        share = run.requests // run.rounds + (round_ < run.requests % run.rounds)
        for kind in ("help", *KINDS):
            for _ in range(share):
                await bots.to_many(run, kind, keys[turn % len(keys)], timed[kind, "many"])
                turn += 1
            for _ in range(share):
                await bots.to_many(run, kind, keys[0], timed[kind, "same"])
            for _ in range(share):
                await bots.to_one(run, kind, timed[kind, "one"])
    # 2. the token look-up of a warm tenant: no statement
    # A tenant's own client re-reads its installation every RELOAD_SECONDS when it next
    # calls Slack (a rotated token), off the request's path: counted too, if it falls
    # while a command is timed, so the median per command is the verdict.
    lookups = [
        n for kind in ("help", *KINDS) for bot in ("many", "same") for n in timed[kind, bot].lookups
    ]
    per_command = statistics.median(lookups)
    out(
        f"installations read for a command from a warm tenant (median of {len(lookups)} help, "
        f"list, mine): {per_command:g} (target 0) {verdict(per_command == 0)}; "
        f"{sum(lookups)} reads in all, during {sum(1 for n in lookups if n)} of them"
    )
    if per_command:
        run.errors.append(f"a warm tenant's command read the installations {per_command:g} times")
    series = (("many", f"{run.tenants:,} tenants in turn"), ("same", f"one of {run.tenants:,}"))
    for kind in ("help", *KINDS):
        per_one = statistics.median(timed[kind, "one"].statements)
        for bot, name in series:
            per_many = statistics.median(timed[kind, bot].statements)
            out(
                f"statements per `{kind}` (median): {per_many:g} from {name}, {per_one:g} "
                f"in one workspace; difference {per_many - per_one:g} (target 0) "
                f"{verdict(per_many == per_one)}"
            )
    ratios = []
    for kind in KINDS:
        b = timed[kind, "one"]
        out(
            f"ack {kind:<4} one workspace: p50 {ms(percentile(b.seconds, 0.5))}  "
            f"p99 {ms(percentile(b.seconds, 0.99))}"
        )
        for bot, name in series:
            a = timed[kind, bot]
            out(
                f"ack {kind:<4} {name}: p50 {ms(percentile(a.seconds, 0.5))}  "
                f"p99 {ms(percentile(a.seconds, 0.99))}"
            )
            ratio = percentile(a.seconds, 0.5) / percentile(b.seconds, 0.5)
            ratios.append(
                f"ratio ack p50 {kind} {name}/one workspace: {ratio:.2f} "
                f"(target <= 1.2) {verdict(ratio <= 1.2)}"
            )
    for line in ratios:
        out(line)


# -- main --------------------------------------------------------------------------


async def drop_schemas(run: Run) -> int:
    conn = await asyncpg.connect(run.server)
    try:
        rows = await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", run.base
        )
        for row in rows:
            await conn.execute(f"DROP SCHEMA IF EXISTS {quoted(str(row[0]))} CASCADE")
    finally:
        await conn.close()
    return len(rows)


async def main(run: Run) -> int:
    out(f"database: schemas {run.base}, {run.single} and {run.base}__t… ({run.tenants:,} tenants)")
    conn = await asyncpg.connect(run.server)
    try:
        await conn.execute(f"CREATE SCHEMA {quoted(run.base)}; CREATE SCHEMA {quoted(run.single)}")
    finally:
        await conn.close()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-tenants-") as tmp:
            await bench_sweep(run, Path(tmp))
        await bench_bots(run)
    finally:
        started = time.perf_counter()
        dropped = await drop_schemas(run)
        out(f"dropped {dropped} schemas in {time.perf_counter() - started:.1f} s")
    return finish(run.errors)


def parse(argv: Sequence[str] | None = None) -> Run:
    parser = argparse.ArgumentParser(prog="python -m bench.tenants", description=__doc__)
    parser.add_argument("--database", required=True, help="postgresql://user@host:port/database")
    parser.add_argument("--tenants", type=int, default=None, help="1000 (--quick: 50)")
    parser.add_argument(
        "--requests", type=int, default=None, help="per kind and bot: 300 (--quick: 40)"
    )
    parser.add_argument("--rounds", type=int, default=4, help="the bots take turns this many times")
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    args = parser.parse_args(argv)
    if not str(args.database).startswith(("postgresql://", "postgres://")):
        parser.error("--database takes a postgresql://user@host:port/database URL")
    tenants = args.tenants or (50 if args.quick else 1000)
    requests = args.requests or (40 if args.quick else 300)
    if tenants < 1 or requests < args.rounds or args.rounds < 1:
        parser.error("--tenants, --rounds at least 1, --requests at least --rounds")
    return Run(server=args.database, tenants=tenants, requests=requests, rounds=args.rounds)


def run_cli(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(main(parse(argv)))


if __name__ == "__main__":
    sys.exit(run_cli())
