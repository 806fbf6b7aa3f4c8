"""The weekly digest (docs/rules.md#weekly-digest): its numbers equal counts taken
directly from the database, it is queued once a week per reader, and its chart is a
sane PNG.

The digest text and the chart these tests make are written to ``test-artefacts/digest/`` at the
project's root (ignored by git); the test prints where.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.blocks.digest import digest_text
from bot.domain.clock import FakeClock
from bot.domain.entitlements import entitlement
from bot.domain.model import (
    Activation,
    ActivationStatus,
    Benefit,
    Category,
    DirectoryUser,
    Forbidden,
    Level,
    Membership,
    Role,
    SupportKind,
)
from bot.domain.offboarding import ANSWER_WITHIN, Answer
from bot.domain.outbox import NewPing
from bot.runtime.bootstrap import build_services
from bot.runtime.chart import render
from bot.runtime.container import Services
from bot.services.digest import SEAT_CATEGORIES, DigestNotice
from storage.sqlite import SqliteStore, open_sqlite
from tests.unit.conftest import rendered

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "digest"
MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday, before the digest hour
ADMIN, PARTNER, MEMBER = "UADMIN001", "UPARTNER1", "UMEMBER01"
HOLDERS = [f"UHOLDER{i:02d}" for i in range(12)]
BENEFITS = (
    Benefit("m365", "Microsoft 365 E3", Category.SOFTWARE, seats=10),
    Benefit("win11", "Windows 11 Enterprise", Category.SOFTWARE, seats=5),
    Benefit("azure", "Azure monthly credit", Category.CLOUD, seats=4),
    Benefit(
        "azure-dev",
        "Azure dev/test credit",
        Category.CLOUD,
        seats=None,
        expires_on=date(2026, 3, 20),
    ),
    Benefit("vs-ent", "Visual Studio Enterprise", Category.VISUAL_STUDIO, seats=3),
    Benefit(
        "advisory",
        "Advisory hours",
        Category.TECHNICAL,
        support_kind=SupportKind.ADVISORY_HOURS,
    ),
    Benefit("psi", "Product support incidents", Category.TECHNICAL, expires_on=date(2026, 5, 1)),
    Benefit("cosell", "ISV co-sell ready", Category.GTM),
    Benefit("gtm-bundle", "Marketing bundle", Category.GTM),
)
MEMBERSHIP = Membership(Level.GOLD, date(2026, 2, 10), date(2027, 2, 9), "it@contoso.com")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await open_sqlite(tmp_path / "digest.db")
    yield opened
    await opened.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY - timedelta(days=70))


@pytest.fixture
async def services(store: SqliteStore, clock: FakeClock, tmp_path: Path) -> Services:
    """A Gold membership with seats in use, idle seats, an offer ending, an activation
    pending, advisory hours used and a parked message; now is ``MONDAY``."""
    built = build_services(store, clock=clock)
    async with store.write() as uow:
        await uow.membership.put(MEMBERSHIP)
        for benefit in BENEFITS:
            await uow.benefits.put(benefit)
        await uow.keys.put("m365", ["cipher"])
        for holder in HOLDERS:
            await uow.people.put_user(DirectoryUser(holder, holder.lower()))
    await built.roles.bootstrap_grant(ADMIN, Role.GLOBAL_ADMIN)
    await built.roles.bootstrap_grant(PARTNER, Role.MPN_PARTNER_ADMIN)
    for i, holder in enumerate(HOLDERS[:7]):
        await built.seats.assign(ADMIN, "m365", holder)
        if i < 3:
            await built.seats.assign(ADMIN, "azure", holder)
    clock.set(MONDAY - timedelta(days=20))
    for holder in HOLDERS[7:9]:
        await built.seats.assign(ADMIN, "vs-ent", holder)
        await built.seats.assign(ADMIN, "azure-dev", holder)
    await built.seats.unassign(ADMIN, "m365", HOLDERS[6])
    async with store.write() as uow:
        await uow.advisory.add_request(
            benefit_id="advisory",
            user_id=HOLDERS[0],
            hours=6,
            topic="design",
            created_at=clock.now(),
        )
        await uow.activations.put(
            Activation(
                "cosell",
                ActivationStatus.ACTIVE,
                ADMIN,
                clock.now(),
                completed_by=ADMIN,
                completed_at=clock.now(),
                expires_on=date(2026, 4, 15),
            )
        )
        await uow.activations.put(
            Activation("gtm-bundle", ActivationStatus.PENDING, ADMIN, MONDAY - timedelta(days=9))
        )
        await uow.outbox.enqueue([NewPing("lost", "UGONE0001", "test")], at=clock.now())
        lost = await uow.outbox.claim(owner="o", now=clock.now(), until=MONDAY, limit=1)
        await uow.outbox.park(lost[0].id, owner="o", error="user_not_found")
    clock.set(MONDAY - ANSWER_WITHIN)
    await built.idle.sweep()  # asks the m365 and azure holders of 70 days
    async with store.read() as uow:
        kept = await uow.assignments.find_active("m365", HOLDERS[0])
        freed = await uow.assignments.find_active("azure", HOLDERS[1])
    assert kept is not None
    assert freed is not None
    await built.idle.answer(HOLDERS[0], kept.id, Answer.KEEP)
    await built.idle.answer(HOLDERS[1], freed.id, Answer.FREE)
    clock.set(MONDAY)
    return built


def _direct(path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return list(conn.execute(sql, params).fetchall())


def _pairs(path: Path, sql: str) -> dict[str, Any]:
    return {str(key): value for key, value in _direct(path, sql)}


async def test_the_digest_numbers_equal_counts_taken_directly_from_the_database(
    services: Services, tmp_path: Path
) -> None:
    digest = await services.digest.compute()
    db = tmp_path / "digest.db"
    today = MONDAY.date()

    used = _pairs(
        db,
        "SELECT b.category, COUNT(a.id) FROM benefits b LEFT JOIN assignments a "
        "ON a.benefit_id = b.id AND a.released_at IS NULL GROUP BY b.category",
    )
    totals = _pairs(
        db,
        "SELECT category, CASE WHEN COUNT(seats) = COUNT(*) THEN SUM(seats) END "
        "FROM benefits GROUP BY category",
    )
    assert [(c.category.value, c.used, c.total) for c in digest.categories] == [
        (c.value, used[c.value], totals[c.value]) for c in SEAT_CATEGORIES
    ]
    per_benefit = _pairs(
        db,
        "SELECT benefit_id, COUNT(*) FROM assignments WHERE released_at IS NULL "
        "GROUP BY benefit_id",
    )
    assert {u.benefit_id: u.used for u in digest.benefits if u.used} == per_benefit

    offered = _direct(
        db,
        "SELECT COUNT(*) FROM seat_checks c JOIN assignments a ON a.id = c.assignment_id "
        "WHERE a.released_at IS NULL AND (c.answer = 'free' OR (c.answer IS NULL AND c.asked_at <= ?))",
        (MONDAY - ANSWER_WITHIN).isoformat(timespec="microseconds"),
    )[0][0]
    # Microsoft 365: 6 holders of 70 days never revealed its keys, one said "keep";
    # Azure: 3 holders asked, one said "no", two never answered.
    assert len(digest.idle) == offered == 8
    assert {u.benefit_id: u.idle for u in digest.benefits if u.idle} == {"m365": 5, "azure": 3}
    ending = _direct(
        db,
        "SELECT name, expires_on FROM benefits WHERE expires_on BETWEEN ? AND ? UNION "
        "SELECT b.name, a.expires_on FROM activations a JOIN benefits b ON b.id = a.benefit_id "
        "WHERE a.status = 'active' AND a.expires_on BETWEEN ? AND ?",
        today.isoformat(),
        (today + timedelta(days=90)).isoformat(),
        today.isoformat(),
        (today + timedelta(days=90)).isoformat(),
    )
    shown = [(e.name, e.on.isoformat()) for e in digest.ending_soon + digest.ending_later]
    assert sorted(shown) == sorted((str(n), str(d)) for n, d in ending)
    assert [e.name for e in digest.ending_soon] == ["Azure dev/test credit"]
    hours_used = _direct(db, "SELECT SUM(hours) FROM advisory_requests")[0][0]
    total_hours = entitlement(SupportKind.ADVISORY_HOURS, MEMBERSHIP).amount
    assert (digest.advisory_hours_left, digest.advisory_hours_total) == (
        total_hours - int(str(hours_used)),  # type: ignore[operator]
        total_hours,
    )
    assert digest.incidents == entitlement(SupportKind.PRODUCT_INCIDENTS, MEMBERSHIP).amount
    pending = _direct(db, "SELECT COUNT(*) FROM activations WHERE status = 'pending'")[0][0]
    assert len(digest.pending) == pending == 1
    assert digest.pending[0].days == 9
    parked = _direct(db, "SELECT COUNT(*) FROM outbox WHERE state = 'parked'")[0][0]
    assert digest.parked == parked == 1
    end = _direct(db, "SELECT end_date, purchase_date FROM membership")[0]
    assert digest.membership_days_left == (date.fromisoformat(str(end[0])) - today).days
    assert digest.refund_open_until == date.fromisoformat(str(end[1])) + timedelta(days=30)

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "digest.txt").write_text(digest_text(digest) + "\n")
    print(f"digest text written to {ARTEFACTS / 'digest.txt'}")


async def test_the_chart_is_a_png_of_sane_size_and_dimensions(services: Services) -> None:
    png = render(await services.digest.compute())

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert width == 800
    assert 300 <= height <= 2000
    assert 5_000 <= len(png) <= 500_000
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "digest-chart.png").write_bytes(png)
    print(f"chart written to {ARTEFACTS / 'digest-chart.png'} ({width}x{height}, {len(png)} bytes)")


async def test_the_weekly_digest_is_queued_once_per_reader_and_week(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    assert await services.digest.sweep() == 0  # Monday 08:00: not yet
    clock.advance(timedelta(hours=1))
    assert await services.digest.sweep() == 4  # a DM and its chart, to each reader
    clock.advance(timedelta(minutes=1))
    assert await services.digest.sweep() == 0
    clock.advance(timedelta(days=7))
    assert await services.digest.sweep() == 4
    async with store.read() as uow:
        every = await uow.outbox.pings(state=None, offset=0, limit=1000)
    posts = [p for p in every if p.kind == DigestNotice.POST]
    charts = [p for p in every if p.kind == DigestNotice.CHART]
    assert sorted((p.key, p.recipient) for p in posts) == [
        ("digest:2026-03-02:post", ADMIN),
        ("digest:2026-03-02:post", PARTNER),
        ("digest:2026-03-09:post", ADMIN),
        ("digest:2026-03-09:post", PARTNER),
    ]
    assert sorted(c.after_id or 0 for c in charts) == sorted(p.id for p in posts)


async def test_the_digest_on_demand_is_refused_to_a_member(services: Services) -> None:
    with pytest.raises(Forbidden) as refused:
        await services.digest.on_demand(MEMBER)
    assert "global_admin or mpn_partner_admin" in rendered(refused.value)


async def test_a_digest_missed_by_more_than_a_day_while_down_is_skipped(
    services: Services, clock: FakeClock
) -> None:
    assert await services.digest.sweep() == 0
    clock.advance(timedelta(days=2))  # Wednesday: Monday's moment passed two days ago
    assert await services.digest.sweep() == 0
    clock.set(MONDAY + timedelta(days=7, hours=1, minutes=30))
    assert await services.digest.sweep() == 4
