"""What only the SQLite store promises: WAL, locking, isolation, the file and its schema."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.domain.model import AuditEntry, Benefit, Category, RequestStatus, Role
from bot.domain.outbox import PingState
from storage import open_store
from storage.sqlite import MIGRATIONS, SCHEMA_VERSION, SqliteStore, open_sqlite, throwaway_store
from storage.sqlite.migrations import split_statements
from tests.fakes.waiting import loop_turns

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
COUNTER = Benefit("counter", "Counter", Category.TECHNICAL, seats=0)
VS = Benefit("vs-ent", "Visual Studio Enterprise", Category.VISUAL_STUDIO, seats=2)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bot.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await open_sqlite(db_path)
    try:
        yield opened
    finally:
        await opened.close()


def raw_query(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Look at the file with the standard library, as an operator would."""
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


async def increment(store: SqliteStore) -> None:
    """A read-modify-write that would lose updates if two of them interleaved."""
    async with store.write() as uow:
        benefit = await uow.benefits.get(COUNTER.id)
        assert benefit is not None
        assert benefit.seats is not None
        await asyncio.sleep(0)  # give every other writer a chance to barge in
        await uow.benefits.put(replace(benefit, seats=benefit.seats + 1))


async def counter_value(store: SqliteStore) -> int | None:
    async with store.read() as uow:
        benefit = await uow.benefits.get(COUNTER.id)
    assert benefit is not None
    return benefit.seats


async def test_the_database_is_in_wal_mode(store: SqliteStore, db_path: Path) -> None:
    assert raw_query(db_path, "PRAGMA journal_mode") == [("wal",)]


async def test_the_writer_uses_normal_sync_and_foreign_keys_and_never_waits_inside_sqlite(
    store: SqliteStore,
) -> None:
    writer = store._writer
    answers = [
        writer.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("synchronous", "foreign_keys", "busy_timeout", "wal_autocheckpoint")
    ]
    # synchronous=1 is NORMAL; lock waits poll on the loop and checkpoints run apart.
    assert answers == [1, 1, 0, 0]


async def test_the_wal_is_checkpointed_apart_from_commits(
    store: SqliteStore, db_path: Path
) -> None:
    from storage.sqlite import CHECKPOINT_EVERY

    for i in range(CHECKPOINT_EVERY):
        async with store.write() as uow:
            await uow.benefits.put(Benefit(f"c{i}", f"C {i}", Category.CLOUD, seats=1))
    assert store._checkpoint is not None
    await store._checkpoint
    busy, log_frames, checkpointed = raw_query(db_path, "PRAGMA wal_checkpoint(PASSIVE)")[0]
    assert busy == 0
    assert checkpointed == log_frames


async def test_twenty_concurrent_writers_queue_and_lose_no_update(store: SqliteStore) -> None:
    async with store.write() as uow:
        await uow.benefits.put(COUNTER)
    await asyncio.gather(*(increment(store) for _ in range(20)))
    assert await counter_value(store) == 20


async def test_two_stores_on_one_file_write_concurrently_without_errors_or_lost_updates(
    db_path: Path,
) -> None:
    first = await open_sqlite(db_path)
    second = await open_sqlite(db_path)
    try:
        async with first.write() as uow:
            await uow.benefits.put(COUNTER)
        writes = [increment(store) for _ in range(50) for store in (first, second)]
        results = await asyncio.gather(*writes, return_exceptions=True)
        assert [r for r in results if r is not None] == []
        assert await counter_value(first) == 100
        assert await counter_value(second) == 100
    finally:
        await first.close()
        await second.close()


async def test_a_reader_does_not_see_a_writers_uncommitted_rows(store: SqliteStore) -> None:
    async with store.write() as uow:
        await uow.benefits.put(VS)
        await uow.people.grant_role("U1", Role.GLOBAL_ADMIN, at=T0)
        async with asyncio.timeout(5):  # reading must not wait for the writer
            async with store.read() as reader:
                assert await reader.benefits.get(VS.id) is None
                assert await reader.people.role_holders(Role.GLOBAL_ADMIN) == []
    async with store.read() as reader:
        assert await reader.benefits.get(VS.id) == VS
        assert await reader.people.role_holders(Role.GLOBAL_ADMIN) == ["U1"]


async def test_a_read_block_sees_one_snapshot_even_when_a_write_commits_meanwhile(
    store: SqliteStore,
) -> None:
    async with store.read() as reader:
        assert await reader.benefits.count(category=None) == 0
        async with store.write() as uow:
            await uow.benefits.put(VS)
        assert await reader.benefits.count(category=None) == 0
        assert await reader.benefits.get(VS.id) is None
    async with store.read() as reader:
        assert await reader.benefits.count(category=None) == 1


async def test_a_read_block_cannot_write(store: SqliteStore) -> None:
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        async with store.read() as reader:
            await reader.benefits.put(VS)
    async with store.read() as reader:
        assert await reader.benefits.get(VS.id) is None


async def test_a_cancelled_write_rolls_back_and_the_next_write_works(store: SqliteStore) -> None:
    inside = asyncio.Event()

    async def stuck_writer() -> None:
        async with store.write() as uow:
            await uow.benefits.put(VS)
            inside.set()
            await asyncio.Event().wait()  # until cancelled

    task = asyncio.create_task(stuck_writer())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with store.write() as uow:
        assert await uow.benefits.get(VS.id) is None
        await uow.benefits.put(COUNTER)
    async with store.read() as reader:
        assert [b.id for b in await reader.benefits.all()] == [COUNTER.id]


async def test_reopening_the_file_keeps_the_data_and_the_schema_version(db_path: Path) -> None:
    store = await open_sqlite(db_path)
    async with store.write() as uow:
        await uow.benefits.put(VS)
        await uow.assignments.add(
            benefit_id=VS.id, user_id="U1", assigned_at=T0, assigned_by="UADMIN"
        )
    await store.close()
    assert raw_query(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]

    reopened = await open_sqlite(db_path)
    try:
        async with reopened.read() as uow:
            assert await uow.benefits.get(VS.id) == VS
            held = await uow.assignments.find_active(VS.id, "U1")
        assert held is not None
        assert held.assigned_at == T0
    finally:
        await reopened.close()
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 1
    assert raw_query(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert raw_query(db_path, "PRAGMA journal_mode") == [("wal",)]


async def test_a_file_from_a_newer_version_of_the_bot_is_refused(db_path: Path) -> None:
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError, match="newer"):
        await open_sqlite(db_path)


async def test_ping_is_true_while_open_and_false_after_close(store: SqliteStore) -> None:
    assert await store.ping() is True
    await store.close()
    await store.close()  # closing twice is harmless
    assert await store.ping() is False
    with pytest.raises(RuntimeError, match="closed"):
        async with store.read():
            pass


async def test_times_are_stored_as_utc_iso_text_and_enums_as_their_values(
    store: SqliteStore, db_path: Path
) -> None:
    local = datetime(2026, 2, 1, 10, 30, 15, 123456, tzinfo=timezone(timedelta(hours=1)))
    async with store.write() as uow:
        await uow.benefits.put(VS)
        request = await uow.requests.add(
            benefit_id=VS.id, requester_id="U1", reason="", created_at=local
        )
        await uow.requests.decide(
            request.id, status=RequestStatus.DENIED, decided_by="U2", decided_at=local
        )
    assert raw_query(db_path, "SELECT status, created_at, decided_at FROM requests") == [
        ("denied", "2026-02-01T09:30:15.123456+00:00", "2026-02-01T09:30:15.123456+00:00")
    ]
    assert raw_query(db_path, "SELECT category FROM benefits") == [("visual_studio",)]


async def test_a_naive_datetime_is_refused_and_nothing_is_written(store: SqliteStore) -> None:
    async def write_with_a_naive_time() -> None:
        async with store.write() as uow:
            await uow.people.grant_role("U1", Role.GLOBAL_ADMIN, at=T0)
            await uow.audit.add(AuditEntry(datetime(2026, 1, 1), "U1", "a", "s"))

    with pytest.raises(ValueError, match="naive"):
        await write_with_a_naive_time()
    async with store.read() as uow:
        assert await uow.people.roles_of("U1") == frozenset()


async def test_a_second_active_seat_for_the_same_person_is_an_integrity_error(
    store: SqliteStore,
) -> None:
    async with store.write() as uow:
        await uow.benefits.put(VS)
        await uow.assignments.add(benefit_id=VS.id, user_id="U1", assigned_at=T0, assigned_by="A")
    with pytest.raises(sqlite3.IntegrityError):
        async with store.write() as uow:
            await uow.assignments.add(
                benefit_id=VS.id, user_id="U1", assigned_at=T0, assigned_by="A"
            )
    async with store.read() as uow:
        assert await uow.assignments.count_active(VS.id) == 1


async def test_many_email_only_holders_may_share_a_benefit_until_resolved_to_one_person(
    store: SqliteStore,
) -> None:
    async with store.write() as uow:
        await uow.benefits.put(VS)
        first = await uow.assignments.add(
            benefit_id=VS.id, user_id=None, assigned_at=T0, assigned_by="A", holder_email="a@x"
        )
        second = await uow.assignments.add(
            benefit_id=VS.id, user_id=None, assigned_at=T0, assigned_by="A", holder_email="b@x"
        )
        await uow.assignments.resolve_holder(first.id, "U1")
    with pytest.raises(sqlite3.IntegrityError):
        async with store.write() as uow:
            await uow.assignments.resolve_holder(second.id, "U1")
    async with store.read() as uow:
        assert [a.id for a in await uow.assignments.unresolved_holders()] == [second.id]


async def test_a_second_pending_request_for_the_same_benefit_is_an_integrity_error(
    store: SqliteStore,
) -> None:
    async with store.write() as uow:
        await uow.benefits.put(VS)
        await uow.requests.add(benefit_id=VS.id, requester_id="U1", reason="", created_at=T0)
    with pytest.raises(sqlite3.IntegrityError):
        async with store.write() as uow:
            await uow.requests.add(benefit_id=VS.id, requester_id="U1", reason="", created_at=T0)
    async with store.read() as uow:
        assert len(await uow.requests.of_user("U1", status=RequestStatus.PENDING)) == 1


async def test_an_assignment_of_an_unknown_benefit_is_refused_by_the_foreign_key(
    store: SqliteStore,
) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        async with store.write() as uow:
            await uow.assignments.add(
                benefit_id="ghost", user_id="U1", assigned_at=T0, assigned_by="A"
            )


async def test_benefit_rows_take_a_single_statement_whatever_the_page_size(
    store: SqliteStore,
) -> None:
    statements: list[str] = []
    async with store.write() as uow:
        for i in range(6):
            await uow.benefits.put(Benefit(f"b{i}", f"Benefit {i}", Category.CLOUD, seats=3))
            await uow.assignments.add(
                benefit_id=f"b{i}", user_id="U1", assigned_at=T0, assigned_by="A"
            )
        store._writer.set_trace_callback(statements.append)
        rows = await uow.benefits.rows(category=None, offset=0, limit=10)
        traced = len(statements)  # the COMMIT comes later
    assert [r.seats_used for r in rows] == [1] * 6
    assert traced == 1


async def test_a_writer_waits_for_another_process_without_blocking_the_event_loop(
    store: SqliteStore, db_path: Path
) -> None:
    with closing(sqlite3.connect(db_path, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock

        async def writer() -> None:
            async with store.write() as uow:
                await uow.benefits.put(VS)

        task = asyncio.create_task(writer())
        # This test gets the loop back again and again while the writer waits: a
        # writer blocking the loop on the lock would keep it until it gave up
        # (the task done, with an error) or forever, since only this test releases it.
        for _ in range(10):
            await loop_turns(1)
            assert not task.done()
        other.execute("COMMIT")  # ... and lets go
        async with asyncio.timeout(10):
            await task
    async with store.read() as uow:
        assert await uow.benefits.get(VS.id) == VS


async def test_a_write_cancelled_while_waiting_for_another_process_leaves_no_transaction_open(
    store: SqliteStore, db_path: Path
) -> None:
    with closing(sqlite3.connect(db_path, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock

        async def waiting_writer() -> None:
            async with store.write() as uow:
                await uow.benefits.put(COUNTER)

        task = asyncio.create_task(waiting_writer())
        await loop_turns(3)
        assert not task.done()  # its BEGIN IMMEDIATE now polls for the lock
        task.cancel()
        # The lock is still held: only honouring the cancellation ends the task.
        with pytest.raises(asyncio.CancelledError):
            async with asyncio.timeout(10):
                await task
        other.execute("COMMIT")
    async with store.write() as uow:
        await uow.benefits.put(VS)
    async with store.read() as uow:
        assert [b.id for b in await uow.benefits.all()] == [VS.id]


async def test_the_version_changes_with_every_commit_of_this_store_or_another_process(
    store: SqliteStore, db_path: Path
) -> None:
    first = await store.version()
    assert await store.version() == first  # nothing committed: same token
    async with store.write() as uow:
        await uow.benefits.put(VS)
    second = await store.version()
    assert second != first
    other = await open_sqlite(db_path)  # as another process would
    try:
        async with other.write() as uow:
            await uow.benefits.put(COUNTER)
    finally:
        await other.close()
    assert await store.version() != second


async def test_a_write_that_rolls_back_leaves_the_version_alone(store: SqliteStore) -> None:
    before = await store.version()

    async def change_of_mind() -> None:
        async with store.write() as uow:
            await uow.benefits.put(VS)
            raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError):
        await change_of_mind()
    assert await store.version() == before


async def test_every_write_block_reuses_the_writers_unit_of_work_instead_of_building_one(
    store: SqliteStore,
) -> None:
    async with store.write() as first:
        pass
    async with store.write() as second:
        pass
    assert first is second


async def test_memory_url_opens_a_throwaway_sqlite_database_that_is_deleted_when_closed() -> None:
    opened = await open_store("memory://")
    assert isinstance(opened, SqliteStore)
    path = Path(opened.path)
    async with opened.write() as uow:
        await uow.benefits.put(VS)
    async with opened.read() as uow:
        assert await uow.benefits.get(VS.id) == VS
    assert raw_query(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert raw_query(path, "PRAGMA journal_mode") == [("wal",)]
    assert await opened.ping()
    await opened.close()
    assert not path.parent.exists()


async def test_two_throwaway_databases_share_nothing() -> None:
    first, second = throwaway_store(), throwaway_store()
    try:
        async with first.write() as uow:
            await uow.benefits.put(VS)
        async with second.read() as uow:
            assert await uow.benefits.all() == []
    finally:
        await first.close()
        await second.close()


async def test_a_database_of_schema_4_upgrades_keeping_its_pending_pings_and_requests(
    db_path: Path,
) -> None:
    with closing(sqlite3.connect(db_path)) as conn, conn:
        conn.create_function("py_casefold", 1, str.casefold)
        for script in MIGRATIONS[:4]:
            for statement in split_statements(script):
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 4")
        conn.execute(
            "INSERT INTO benefits (id, name, category, seats) VALUES ('vs', 'VS', 'visual_studio', 2)"
        )
        conn.execute(
            "INSERT INTO requests (benefit_id, requester_id, reason, status, created_at) "
            "VALUES ('vs', 'U1', 'lab', 'pending', '2026-01-15T09:00:00.000000+00:00')"
        )
        conn.execute(
            "INSERT INTO outbox (key, recipient, kind, params, created_at, due_at) VALUES "
            "('decision:7', 'U1', 'request_decided', '{}', "
            "'2026-01-15T09:00:00.000000+00:00', '2026-01-15T09:00:00.000000+00:00')"
        )

    store = await open_sqlite(db_path)
    try:
        async with store.read() as uow:
            [kept] = await uow.outbox.pings(state=None, offset=0, limit=10)
            request = await uow.requests.get(1)
            never_posted = await uow.requests.unannounced(
                created_before=T0 + timedelta(days=1), limit=10
            )
    finally:
        await store.close()
    assert (kept.key, kept.state, kept.after_id) == ("decision:7", PingState.QUEUED, None)
    assert request is not None
    assert [r.id for r in never_posted] == [1]  # the start-up safety net will queue its post
    assert raw_query(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


async def test_queued_rows_of_a_prefix_are_found_by_state_and_key_not_by_reading_sent_ones(
    store: SqliteStore, db_path: Path
) -> None:
    from storage.sql.outbox import QUEUED_WITH_PREFIX, after_prefix

    with closing(sqlite3.connect(db_path)) as conn:
        plan = conn.execute(
            f"EXPLAIN QUERY PLAN {QUEUED_WITH_PREFIX}", ("home:U1:", after_prefix("home:U1:"))
        ).fetchall()
    assert any("outbox_by_state_key (state=? AND key>? AND key<?)" in row[3] for row in plan)
