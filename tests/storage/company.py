"""A small company with a row in every table, written through the ports.

Tables and columns added since are filled too (the generations that every
change bumps; an outbox update that waits for its post).

``python -m tests.storage.company PATH`` writes it to a new SQLite file: that is
how ``tests/data/sqlite-schema-4.db`` was made, by the code of schema version 4,
so the migration tests can open a file written before any later migration.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, date, datetime, timedelta

from bot.domain.model import (
    Activation,
    ActivationStatus,
    AuditEntry,
    Benefit,
    Category,
    DirectoryUser,
    KeyReveal,
    Level,
    MarketingContact,
    Membership,
    MessageRef,
    RequestStatus,
    Role,
)
from bot.domain.offboarding import Source
from bot.domain.outbox import NewPing
from storage.unit_of_work import Store

T0 = datetime(2026, 1, 15, 9, 0, 0, 123456, tzinfo=UTC)
NAMES = ("Zeta", "alpha", "Äpfel", "Straße", "apple", "Ωmega", "Éclair", "ﬁnance", "Alpha")


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def populate(store: Store) -> None:
    """Fill every table, with a released seat, a decided request and a sent ping."""
    async with store.write() as uow:
        await uow.membership.put(
            Membership(Level.GOLD, date(2025, 3, 1), date(2026, 2, 28), "it@example.com", True)
        )
        for i, name in enumerate(NAMES):
            await uow.benefits.put(
                Benefit(f"b{i}", name, Category.SOFTWARE, seats=3, description=f"#{i}")
            )
        await uow.benefits.put(
            Benefit(
                "AZ-Credits",
                "Azure credits",
                Category.CLOUD,
                seats=None,
                expires_on=date(2026, 6, 30),
                monthly=True,
            )
        )
        first = await uow.assignments.add(
            benefit_id="b0", user_id="U1", assigned_at=at(1), assigned_by="UADMIN"
        )
        await uow.assignments.release(first.id, at=at(2))
        await uow.assignments.add(
            benefit_id="b0", user_id="U2", assigned_at=at(3), assigned_by="UADMIN"
        )
        await uow.assignments.add(
            benefit_id="b1",
            user_id=None,
            assigned_at=at(4),
            assigned_by="UADMIN",
            holder_email="x@example.com",
        )
        request = await uow.requests.add(
            benefit_id="b1", requester_id="U3", reason="please", created_at=at(5)
        )
        await uow.requests.add_messages(
            request.id, [MessageRef("D2", "2.0"), MessageRef("C1", "1.0")]
        )
        await uow.requests.decide(
            request.id, status=RequestStatus.APPROVED, decided_by="UADMIN", decided_at=at(6)
        )
        await uow.requests.add(benefit_id="b2", requester_id="U3", reason="", created_at=at(7))
        await uow.people.grant_role("UADMIN", Role.GLOBAL_ADMIN, at=at(0))
        await uow.people.put_user(DirectoryUser("U2", "Ann", "ann@example.com"))
        for minute in range(3):
            await uow.audit.add(AuditEntry(at(minute), "UADMIN", "test", f"s{minute}", "d"))
        await uow.keys.put("b3", ["cipher-0", "cipher-1"])
        await uow.keys.add_reveal(KeyReveal("b3", "U2", at(8)))
        await uow.activations.put(
            Activation(
                "AZ-Credits",
                ActivationStatus.ACTIVE,
                "UADMIN",
                at(9),
                completed_by="UADMIN",
                completed_at=at(10),
                access_id="acc",
                expires_on=date(2026, 7, 1),
            )
        )
        await uow.marketing_contact.put(
            MarketingContact("U2", "ann@example.com", "+31201234567", "nl", "UADMIN", at(11))
        )
        await uow.advisory.add_request(
            benefit_id="b4", user_id="U2", hours=2, topic="design", created_at=at(12)
        )
        await uow.service_requests.add(kind="support", created_by="U2", created_at=at(13))
        await uow.outbox.enqueue(
            [
                NewPing("k1", "U2", "test", {"n": 1, "s": "é"}),
                NewPing("k2", "U3", "test", {}, due_at=at(60)),
            ],
            at=at(14),
        )
        await uow.outbox.set_watermark("expiry", at(15))
    async with store.write() as uow:
        claimed = await uow.outbox.claim(owner="o", now=at(20), until=at(22), limit=1)
        await uow.outbox.mark_sent(claimed[0].id, at=at(21), channel="D2", ts="3.0")
        # An update of the sent post (outbox.after_id, schema 5 on SQLite, 2 on PostgreSQL).
        await uow.outbox.enqueue(
            [NewPing("k1:update", "U2", "test", {"n": 2}, after_id=claimed[0].id)], at=at(23)
        )
    # A departure and a seat check (schema 8 on SQLite, 4 on PostgreSQL).
    async with store.write() as uow:
        await uow.offboardings.start("U3", at=at(24), source=Source.EVENT)
        held = await uow.assignments.of_user("U2")
        await uow.seat_checks.ask(held[0].id, at=at(25))


async def _write(path: str) -> None:
    from storage.sqlite import open_sqlite

    store = await open_sqlite(path)
    try:
        await populate(store)
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(_write(sys.argv[1]))
