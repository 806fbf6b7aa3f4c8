"""The storage contract of what concurrent writes use: narrow locks, batched audit
entries, a directory entry added only when missing. Every kind of store keeps it
(SQLite's narrow locks do nothing: it has one writer)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.model import AuditEntry, Benefit, Category, DirectoryUser, RequestStatus
from storage.unit_of_work import Store

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


async def test_a_concurrent_write_locks_a_request_and_holds_a_person_and_commits(
    store: Store,
) -> None:
    async with store.write() as uow:
        await uow.benefits.put(Benefit("vs", "VS", Category.VISUAL_STUDIO, seats=3))
        filed = await uow.requests.add(
            benefit_id="vs", requester_id="U1", reason="x", created_at=T0
        )

    async with store.write(concurrent=True) as uow:
        locked = await uow.requests.get(filed.id, lock=True)
        await uow.assignments.hold(user_id="U1", benefit_id="vs")
        assert await uow.requests.decide(
            filed.id, status=RequestStatus.APPROVED, decided_by="UADMIN", decided_at=T0
        )
        await uow.assignments.add(benefit_id="vs", user_id="U1", assigned_at=T0, assigned_by="A")
    async with store.write(concurrent=True) as uow:
        await uow.assignments.hold(user_id="U2")  # a person alone, as filing does

    assert locked == filed
    async with store.read() as uow:
        decided = await uow.requests.get(filed.id)
        assert await uow.assignments.count_active("vs") == 1
    assert decided is not None
    assert decided.status is RequestStatus.APPROVED


async def test_audit_entries_added_together_keep_their_order(store: Store) -> None:
    entries = [AuditEntry(T0, "UADMIN", f"action.{n}", f"subject:{n}") for n in range(3)]
    async with store.write() as uow:
        await uow.audit.add(AuditEntry(T0, "UADMIN", "action.before", "subject"))
        await uow.audit.add_many(entries)
        await uow.audit.add_many([])

    async with store.read() as uow:
        recent = await uow.audit.recent(10)
    assert [e.action for e in recent] == ["action.2", "action.1", "action.0", "action.before"]


async def test_adding_a_user_adds_them_once_and_leaves_a_known_user_as_they_are(
    store: Store,
) -> None:
    async with store.write() as uow:
        await uow.people.put_user(DirectoryUser("U1", "Ada", "ada@example.com"))
        await uow.people.add_user("U1")
        await uow.people.add_user("U2")
        await uow.people.add_user("U2")

    async with store.read() as uow:
        known = await uow.people.get_user("U1")
        added = await uow.people.get_user("U2")
    assert known == DirectoryUser("U1", "Ada", "ada@example.com")
    assert added == DirectoryUser("U2")  # as put_user(DirectoryUser("U2")) writes it
