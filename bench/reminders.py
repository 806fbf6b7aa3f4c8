"""The reminders benchmark: the sweep's cost against the size of the database, and
delivery through Slack's rate limit.

``python -m bench.reminders`` measures two things and prints their ratios:

1. **The due-reminder sweep** over 10,000 and over 1,000,000 assignments and
   offers, each database holding the same 1,000 due pings (400 offers 7 days
   before their end, 16 software benefits 30 days before theirs with 24
   holders each plus the admin, 200 Visual Studio subscriptions reaching day
   90). The big database is written with ``executemany`` in one transaction
   straight into SQLite, not through the service. The sweep's cost should
   follow what is due, not what exists: target ratio 1M/10k ≤ 1.5.
2. **Delivery** of 1,000 pings to 100 people (10 each) through the fake Slack
   allowing one ``chat.postMessage`` per second per channel after a burst of 3
   and answering 429 with ``Retry-After`` past that. The best that limit
   allows is (10 - 3) / 1 s = 7 s; target ratio ≤ 1.2, none lost, none
   duplicated; the number of 429 answers is printed.

``--quick`` runs small versions of both (5,000 and 50,000 rows; 100 pings to
20 people) for a smoke test. The exit code is 1 when a sweep queued the wrong
number of pings or a ping was lost or duplicated; missing a target is
reported, not an error.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.clock import FakeClock
from bot.domain.outbox import NewPing
from bot.runtime.bootstrap import build_services
from bot.runtime.delivery import Delivery
from bot.services.reminders import SWEEP, Kind, ReminderRules
from storage.sqlite import open_sqlite
from tests.fakes.web_api import FakeSlackWebApi

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
WATERMARK = NOW - timedelta(hours=1)
ADMIN = "UADMIN001"
TOKEN = "xoxb-bench-0123456789"
RUNS = 5


@dataclass(frozen=True)
class Due:
    """What a sweep database holds due: offers 7 days before their end, software
    benefits 30 days before theirs (each with its holders, plus the admin), Visual
    Studio subscriptions reaching day 90; beside ``software`` benefits of filler."""

    offers: int = 400
    benefits: int = 16
    holders: int = 24
    vs: int = 200
    software: int = 1000

    @property
    def pings(self) -> int:
        return self.offers + self.benefits * (self.holders + 1) + self.vs


DUE = Due().pings  # 1,000 pings


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


# -- 1. the sweep ----------------------------------------------------------------


def build_sweep_db(path: Path, total: int, *, seed: int = 7, due: Due = Due()) -> None:
    """``total`` assignments and offers (half each), of which exactly ``due.pings`` are due."""
    rng = random.Random(seed)
    offers = total // 2
    assignments = total - offers
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    with conn:
        conn.execute(
            "INSERT INTO roles (user_id, role, granted_at) VALUES (?, 'global_admin', ?)",
            (ADMIN, _ts(NOW - timedelta(days=400))),
        )
        conn.execute(
            "INSERT INTO marketing_contact (id, user_id, email, phone, language, set_by, set_at) "
            "VALUES (1, ?, 'mkt@example.com', '+31201234567', 'en', ?, ?)",
            (ADMIN, ADMIN, _ts(NOW)),
        )
        # Offers: due.offers end 7 days from now; the rest end far from any threshold.
        soon = (NOW.date() + timedelta(days=7)).isoformat()
        far = date(2026, 6, 1)
        conn.executemany(
            "INSERT INTO benefits (id, name, category, expires_on) VALUES (?, ?, 'gtm', NULL)",
            ((f"gtm-{i}", f"Offer {i}") for i in range(offers)),
        )
        conn.executemany(
            "INSERT INTO activations (benefit_id, status, requested_by, requested_at, "
            "completed_by, completed_at, expires_on) VALUES (?, 'active', ?, ?, ?, ?, ?)",
            (
                (
                    f"gtm-{i}",
                    ADMIN,
                    _ts(NOW - timedelta(days=60)),
                    ADMIN,
                    _ts(NOW - timedelta(days=50)),
                    soon
                    if i < due.offers
                    else (far + timedelta(days=rng.randrange(900))).isoformat(),
                )
                for i in range(offers)
            ),
        )
        # Benefits held by people: due.benefits end in 30 days; a VS benefit; the filler.
        ending = (NOW.date() + timedelta(days=30)).isoformat()
        conn.executemany(
            "INSERT INTO benefits (id, name, category, seats, expires_on) "
            "VALUES (?, ?, 'software', 100000, ?)",
            [(f"sw-due-{b}", f"Expiring {b}", ending) for b in range(due.benefits)]
            + [(f"sw-{b}", f"Software {b}", None) for b in range(due.software)],
        )
        conn.execute(
            "INSERT INTO benefits (id, name, category, seats) "
            "VALUES ('vs-ent', 'Visual Studio Enterprise', 'visual_studio', 10000000)"
        )
        day90 = NOW - timedelta(days=90)
        quiet_from = day90 - timedelta(days=2)  # no filler assignment near day 90
        quiet_to = day90 + timedelta(days=2)

        def filler_time() -> datetime:
            while True:
                moment = NOW - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
                if not quiet_from <= moment <= quiet_to:
                    return moment

        rows: list[tuple[str, str, str]] = []
        for b in range(due.benefits):
            rows += [
                (f"sw-due-{b}", f"UH{b:03d}{h:03d}", _ts(NOW - timedelta(days=100)))
                for h in range(due.holders)
            ]
        rows += [
            ("vs-ent", f"UV{v:06d}", _ts(day90 - timedelta(minutes=30) + timedelta(seconds=v)))
            for v in range(due.vs)
        ]
        fill = assignments - len(rows)
        rows += [
            (
                "vs-ent" if j % 10 == 0 else f"sw-{j % due.software}",
                f"UF{j:08d}",
                _ts(filler_time()),
            )
            for j in range(fill)
        ]
        conn.executemany(
            "INSERT INTO assignments (benefit_id, user_id, assigned_at, assigned_by) "
            f"VALUES (?, ?, ?, '{ADMIN}')",
            rows,
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


async def time_sweep(path: Path) -> tuple[float, int]:
    """The median time of ``RUNS`` sweeps over the same window, and the pings queued."""
    store = await open_sqlite(path)
    rules = ReminderRules(remind_vs_reassignable=True)
    service = build_services(store, clock=FakeClock(NOW), rules=rules).reminders
    times: list[float] = []
    queued = 0
    try:
        for run in range(RUNS + 1):
            async with store.write() as uow:
                await uow.outbox.set_watermark(SWEEP, WATERMARK)
            await _clear_outbox(path)
            started = time.perf_counter()
            queued = await service.sweep()
            if run:  # the first run warms the cache
                times.append(time.perf_counter() - started)
    finally:
        await store.close()
    return statistics.median(times), queued


async def _clear_outbox(path: Path) -> None:
    def clear() -> None:
        conn = sqlite3.connect(path, timeout=10)
        with conn:
            conn.execute("DELETE FROM outbox")
        conn.close()

    await asyncio.to_thread(clear)


async def bench_sweep(small: int, big: int, workdir: Path) -> bool:
    results: dict[int, float] = {}
    ok = True
    for total in (small, big):
        path = workdir / f"sweep-{total}.db"
        store = await open_sqlite(path)  # the schema
        await store.close()
        started = time.perf_counter()
        build_sweep_db(path, total)
        built = time.perf_counter() - started
        seconds, queued = await time_sweep(path)
        results[total] = seconds
        print(
            f"sweep {total:,} assignments and offers: {queued} due, "
            f"{seconds * 1000:.1f} ms (median of {RUNS}; database built in {built:.1f} s)"
        )
        if queued != DUE:
            print(f"error: the sweep queued {queued} pings, expected {DUE}")
            ok = False
    ratio = results[big] / results[small]
    print(f"ratio sweep {_short(big)}/{_short(small)}: {ratio:.2f} (target <= 1.5)")
    return ok


def _short(total: int) -> str:
    if total >= 1_000_000 and total % 1_000_000 == 0:
        return f"{total // 1_000_000}M"
    return f"{total // 1000}k"


# -- 2. delivery -----------------------------------------------------------------


@dataclass
class DeliveryResult:
    seconds: float
    best: float
    lost: int
    duplicated: int
    ratelimited: int


async def bench_delivery(people: int, each: int, workdir: Path) -> DeliveryResult:
    rate, burst = 1.0, 3
    store = await open_sqlite(workdir / "delivery.db")
    clock = FakeClock(NOW)
    pings = [
        NewPing(
            key=f"bench:{person}:{n}",
            recipient=f"U{person:06d}",
            kind=Kind.MEMBERSHIP_ENDING.value,
            params={"level": "gold", "ends_on": "2026-04-09", "days_left": 30, "as": "admin"},
        )
        for person in range(people)
        for n in range(each)
    ]
    async with store.write() as uow:
        await uow.outbox.enqueue(pings, at=clock.now())
    try:
        async with FakeSlackWebApi() as slack, aiohttp.ClientSession() as session:
            slack.rate_limit("chat.postMessage", per_channel_per_second=rate, burst=burst)
            client = AsyncWebClient(
                token=TOKEN, base_url=slack.api_url, session=session, retry_handlers=[]
            )
            delivery = Delivery(
                build_services(store, clock=clock).outbox,
                client,
                lease=120,
                batch=len(pings),
                poll=0.2,
                rate=rate,
                burst=burst,
            )
            started = time.perf_counter()
            await delivery.drain(timeout=600)
            seconds = time.perf_counter() - started
            delivered = Counter(
                str(c.args["metadata"]["event_payload"]["key"])
                for c in slack.calls_to("chat.postMessage", include_failed=False)
            )
            ratelimited = slack.ratelimited_count
    finally:
        await store.close()
    return DeliveryResult(
        seconds=seconds,
        best=(each - burst) / rate,
        lost=len({p.key for p in pings} - set(delivered)),
        duplicated=sum(n - 1 for n in delivered.values()),
        ratelimited=ratelimited,
    )


# -- main --------------------------------------------------------------------------


async def main(quick: bool) -> int:
    small, big = (5_000, 50_000) if quick else (10_000, 1_000_000)
    people, each = (20, 5) if quick else (100, 10)
    with tempfile.TemporaryDirectory(prefix="bench-reminders-") as tmp:
        workdir = Path(tmp)
        ok = await bench_sweep(small, big, workdir)
        result = await bench_delivery(people, each, workdir)
    print(
        f"delivery: {people * each:,} pings to {people} people ({each} each), "
        f"{result.seconds:.2f} s; the best the limit allows: {result.best:.2f} s "
        "(1 message a second per channel after a burst of 3)"
    )
    print(f"ratio delivery/best: {result.seconds / result.best:.2f} (target <= 1.2)")
    print(f"lost: {result.lost}")
    print(f"duplicated: {result.duplicated}")
    print(f"429s received: {result.ratelimited}")
    return 0 if ok and result.lost == 0 and result.duplicated == 0 else 1


def run() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reminders", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    args = parser.parse_args()
    return asyncio.run(main(args.quick))


if __name__ == "__main__":
    sys.exit(run())
