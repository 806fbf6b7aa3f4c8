"""The SQLite store: one file, WAL mode, one writer and a small pool of readers.

Every call goes through aiosqlite's worker thread, one thread per connection.

* ``write()`` is one ``BEGIN IMMEDIATE`` transaction on the single writer
  connection. An :class:`asyncio.Lock` queues the writers of this process;
  writers of other processes wait on SQLite's lock (``busy_timeout``), and
  ``BEGIN IMMEDIATE`` is retried a few times should "database is locked" still
  surface.
* ``read()`` borrows a connection from a pool of ``query_only`` readers and
  wraps the block in a deferred transaction, so all its queries see one
  committed snapshot and never wait for the writer.

Datetimes are stored as fixed-width ISO-8601 text in UTC (so text order is time
order), dates as ISO text and enums as their values. Names are compared and
ordered with Python's ``str.casefold`` (registered as the SQL function
``py_casefold``, used by queries only, never by the schema) so the order and the
prefix search agree with :mod:`storage.memory` beyond ASCII.

The schema grows by appending scripts to :data:`MIGRATIONS`; ``PRAGMA
user_version`` records how many have run.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import UTC, date, datetime
from typing import Final, cast

import aiosqlite

from bot.domain.model import (
    Activation,
    ActivationStatus,
    AdvisoryRequest,
    Assignment,
    AuditEntry,
    Benefit,
    BenefitRow,
    Category,
    DirectoryUser,
    Download,
    KeyReveal,
    Level,
    MarketingContact,
    Membership,
    MessageRef,
    Request,
    RequestStatus,
    Role,
    ServiceRequest,
    SupportKind,
)
from bot.domain.outbox import NewPing, Ping, PingState

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SqliteRepository", "SqliteStore", "open_sqlite"]

# -- schema ------------------------------------------------------------------

MIGRATIONS: Final[tuple[str, ...]] = (
    # 1: the first schema.
    """
    CREATE TABLE membership (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        level TEXT NOT NULL,
        purchase_date TEXT NOT NULL,
        end_date TEXT NOT NULL,
        account_email TEXT NOT NULL,
        managed_in_pmc INTEGER NOT NULL DEFAULT 0
    );

    CREATE TABLE benefits (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        seats INTEGER,
        description TEXT NOT NULL DEFAULT '',
        instructions TEXT NOT NULL DEFAULT '',
        extra TEXT NOT NULL DEFAULT '{}'
    );

    CREATE TABLE assignments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        benefit_id TEXT NOT NULL REFERENCES benefits (id),
        user_id TEXT,
        holder_email TEXT,
        assigned_at TEXT NOT NULL,
        assigned_by TEXT NOT NULL,
        released_at TEXT
    );
    CREATE UNIQUE INDEX assignments_one_active_seat_per_user
        ON assignments (benefit_id, user_id)
        WHERE released_at IS NULL AND user_id IS NOT NULL;
    CREATE INDEX assignments_active_by_benefit
        ON assignments (benefit_id, assigned_at)
        WHERE released_at IS NULL;
    CREATE INDEX assignments_active_by_user
        ON assignments (user_id, assigned_at)
        WHERE released_at IS NULL;

    CREATE TABLE requests (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        benefit_id TEXT NOT NULL REFERENCES benefits (id),
        requester_id TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        decided_by TEXT,
        decided_at TEXT,
        decision_note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX requests_by_requester ON requests (requester_id, status);
    CREATE UNIQUE INDEX requests_one_pending
        ON requests (requester_id, benefit_id)
        WHERE status = 'pending';

    CREATE TABLE request_messages (
        request_id INTEGER NOT NULL,
        channel TEXT NOT NULL,
        ts TEXT NOT NULL,
        PRIMARY KEY (request_id, channel, ts)
    );

    CREATE TABLE roles (
        user_id TEXT NOT NULL,
        role TEXT NOT NULL,
        granted_at TEXT NOT NULL,
        PRIMARY KEY (user_id, role)
    ) WITHOUT ROWID;
    CREATE INDEX roles_by_role ON roles (role, user_id);

    CREATE TABLE users (
        user_id TEXT PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        email TEXT NOT NULL DEFAULT ''
    );

    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    """,
    # 2: every kind of benefit: details, keys, activations, contact, advisory hours.
    """
    ALTER TABLE membership ADD COLUMN cloud_competency INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE benefits ADD COLUMN expires_on TEXT;
    CREATE INDEX benefits_by_expiry ON benefits (expires_on) WHERE expires_on IS NOT NULL;
    CREATE INDEX assignments_released_by_benefit
        ON assignments (benefit_id) WHERE released_at IS NOT NULL;
    CREATE INDEX assignments_by_time ON assignments (assigned_at);

    CREATE TABLE product_keys (
        benefit_id TEXT NOT NULL REFERENCES benefits (id),
        position INTEGER NOT NULL,
        ciphertext TEXT NOT NULL,
        PRIMARY KEY (benefit_id, position)
    ) WITHOUT ROWID;

    CREATE TABLE key_reveals (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        benefit_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX key_reveals_by_time ON key_reveals (at);

    CREATE TABLE activations (
        benefit_id TEXT PRIMARY KEY REFERENCES benefits (id),
        status TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        completed_by TEXT,
        completed_at TEXT,
        access_id TEXT NOT NULL DEFAULT '',
        contract_id TEXT NOT NULL DEFAULT '',
        expires_on TEXT
    );
    CREATE INDEX activations_by_status ON activations (status, requested_at);
    CREATE INDEX activations_by_expiry ON activations (expires_on) WHERE expires_on IS NOT NULL;

    CREATE TABLE marketing_contact (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        user_id TEXT NOT NULL,
        email TEXT NOT NULL,
        phone TEXT NOT NULL,
        language TEXT NOT NULL,
        set_by TEXT NOT NULL,
        set_at TEXT NOT NULL
    );

    CREATE TABLE advisory_requests (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        benefit_id TEXT NOT NULL REFERENCES benefits (id),
        user_id TEXT NOT NULL,
        hours INTEGER NOT NULL CHECK (hours > 0),
        topic TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX advisory_by_benefit ON advisory_requests (benefit_id);

    CREATE TABLE service_requests (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    """,
    # 3: reminders: the outbox of pings, sweep watermarks, and the indexes the sweeps use.
    """
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,
        recipient TEXT NOT NULL,
        kind TEXT NOT NULL,
        params TEXT NOT NULL DEFAULT '{}',
        state TEXT NOT NULL DEFAULT 'queued'
            CHECK (state IN ('queued', 'sent', 'parked', 'cancelled')),
        created_at TEXT NOT NULL,
        due_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        claimed_by TEXT,
        claimed_until TEXT,
        sent_at TEXT,
        channel TEXT,
        ts TEXT,
        UNIQUE (key, recipient)
    );
    CREATE INDEX outbox_queued_by_due ON outbox (due_at, id) WHERE state = 'queued';
    CREATE INDEX outbox_by_state ON outbox (state, id);

    CREATE TABLE sweep_watermarks (
        name TEXT PRIMARY KEY,
        watermark TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE INDEX requests_pending_by_age ON requests (created_at) WHERE status = 'pending';
    CREATE INDEX activations_active_by_expiry
        ON activations (expires_on) WHERE status = 'active' AND expires_on IS NOT NULL;
    """,
    # 4: a stored sort key, so the inventory is listed in order through an index
    # (no Python function called per row, no sort).
    """
    ALTER TABLE benefits ADD COLUMN category_rank INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE benefits ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
    UPDATE benefits SET name_key = py_casefold(name),
        category_rank = CASE category WHEN 'software' THEN 0 WHEN 'cloud' THEN 1 WHEN 'visual_studio' THEN 2 WHEN 'technical' THEN 3 WHEN 'gtm' THEN 4 ELSE 999 END;
    CREATE INDEX benefits_in_order ON benefits (category_rank, name_key, id);
    CREATE INDEX benefits_by_name_key ON benefits (name_key);
    """,
)

SCHEMA_VERSION: Final = len(MIGRATIONS)

DEFAULT_READERS: Final = 2
BUSY_TIMEOUT_MS: Final = 10_000
BEGIN_ATTEMPTS: Final = 5
BEGIN_RETRY_DELAY: Final = 0.05  # seconds, times the attempt number

LOCK_POLL_FIRST: Final = 0.001  # seconds; doubles up to LOCK_POLL_MAX
LOCK_POLL_MAX: Final = 0.05
CHECKPOINT_EVERY: Final = 200  # commits between passive WAL checkpoints

_MAINTENANCE_PRAGMAS: Final = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
)
# The writer never waits inside SQLite (busy_timeout 0): _begin_immediate_inline
# polls for another process's lock with asyncio.sleep, and checkpoints run on the
# maintenance thread, not inside a commit.
_WRITER_PRAGMAS: Final = (
    "PRAGMA busy_timeout = 0",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA wal_autocheckpoint = 0",
)
_READER_PRAGMAS: Final = (
    "PRAGMA busy_timeout = 100",
    "PRAGMA foreign_keys = ON",
    "PRAGMA query_only = ON",
)


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _rank(column: str, values: Iterable[str]) -> str:
    """A CASE expression giving each value its declaration position."""
    whens = " ".join(f"WHEN {_sql_literal(v)} THEN {i}" for i, v in enumerate(values))
    return f"CASE {column} {whens} ELSE 999 END"


_ROLE_RANK: Final = _rank("role", [r.value for r in Role])
_BENEFIT_ORDER: Final = "category_rank, name_key, id"
_CATEGORY_RANKS: Final = {c: i for i, c in enumerate(Category)}
_MAX_CHAR: Final = chr(0x10FFFF)

_BENEFIT_COLUMNS: Final = "id, name, category, seats, description, instructions, extra, expires_on"
_BENEFIT_WIDTH: Final = 8
_ASSIGNMENT_COLUMNS: Final = (
    "id, benefit_id, user_id, assigned_at, assigned_by, holder_email, released_at"
)
_REQUEST_COLUMNS: Final = (
    "id, benefit_id, requester_id, reason, status, created_at, decided_by, decided_at, "
    "decision_note"
)
_ACTIVE_ORDER: Final = "assigned_at, id"

_Row = sqlite3.Row  # what aiosqlite declares; without a row factory they are tuples


# -- conversions -------------------------------------------------------------


def _ts(moment: datetime) -> str:
    """Fixed-width ISO-8601 text in UTC, so that text order is time order."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: the store keeps timezone-aware times")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _opt_dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _casefold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _benefit(row: _Row) -> Benefit:
    extra = json.loads(row[6]) if row[6] and row[6] != "{}" else {}
    kind = extra.get("support_kind")
    return Benefit(
        id=row[0],
        name=row[1],
        category=Category(row[2]),
        seats=row[3],
        description=row[4],
        instructions=row[5],
        languages=tuple(extra.get("languages", ())),
        operating_systems=tuple(extra.get("operating_systems", ())),
        downloads=tuple(Download(**d) for d in extra.get("downloads", ())),
        expires_on=_opt_date(row[7]),
        usage_based=bool(extra.get("usage_based", False)),
        monthly=bool(extra.get("monthly", False)),
        needs_approval=bool(extra.get("needs_approval", False)),
        support_kind=None if kind is None else SupportKind(kind),
    )


def _benefit_extra(benefit: Benefit) -> str:
    """The benefit's details that no query filters on, as compact JSON."""
    extra: dict[str, object] = {}
    if benefit.languages:
        extra["languages"] = list(benefit.languages)
    if benefit.operating_systems:
        extra["operating_systems"] = list(benefit.operating_systems)
    if benefit.downloads:
        extra["downloads"] = [
            {"language": d.language, "os": d.os, "url": d.url} for d in benefit.downloads
        ]
    for flag in ("usage_based", "monthly", "needs_approval"):
        if getattr(benefit, flag):
            extra[flag] = True
    if benefit.support_kind is not None:
        extra["support_kind"] = benefit.support_kind.value
    return json.dumps(extra, separators=(",", ":"), sort_keys=True)


def _opt_date(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _activation(row: _Row) -> Activation:
    return Activation(
        benefit_id=row[0],
        status=ActivationStatus(row[1]),
        requested_by=row[2],
        requested_at=_dt(row[3]),
        completed_by=row[4],
        completed_at=_opt_dt(row[5]),
        access_id=row[6],
        contract_id=row[7],
        expires_on=_opt_date(row[8]),
    )


_ACTIVATION_COLUMNS: Final = (
    "benefit_id, status, requested_by, requested_at, completed_by, completed_at, "
    "access_id, contract_id, expires_on"
)


def _assignment(row: _Row) -> Assignment:
    return Assignment(
        id=row[0],
        benefit_id=row[1],
        user_id=row[2],
        assigned_at=_dt(row[3]),
        assigned_by=row[4],
        holder_email=row[5],
        released_at=_opt_dt(row[6]),
    )


def _request(row: _Row) -> Request:
    return Request(
        id=row[0],
        benefit_id=row[1],
        requester_id=row[2],
        reason=row[3],
        status=RequestStatus(row[4]),
        created_at=_dt(row[5]),
        decided_by=row[6],
        decided_at=_opt_dt(row[7]),
        decision_note=row[8],
    )


# -- repository ----------------------------------------------------------------


class _Inline:
    """A sqlite3 connection whose statements run in place, on the event loop.

    An indexed statement on a local WAL file takes microseconds; a hop to a
    worker thread and back costs ten to a hundred times that under load. So
    statements inside a unit of work run inline, and only what can wait long
    (waiting for another process's write lock, checkpoints, migrations) leaves
    the loop: lock waits by polling with ``asyncio.sleep``, the rest on the
    aiosqlite maintenance connection's thread.
    """

    __slots__ = ("raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    async def execute_fetchall(
        self, sql: str, params: Sequence[object] | Mapping[str, object] = ()
    ) -> list[_Row]:
        return self.raw.execute(sql, params).fetchall()

    async def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        self.raw.executemany(sql, rows)


class SqliteRepository:
    """A :class:`storage.base.Repository` on one connection, inside one transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._raw = conn
        self._conn = _Inline(conn)

    async def _rows(self, sql: str, params: Sequence[object] = ()) -> list[_Row]:
        return self._raw.execute(sql, params).fetchall()

    async def _one(self, sql: str, params: Sequence[object] = ()) -> _Row | None:
        return self._raw.execute(sql, params).fetchone()  # type: ignore[no-any-return]

    # -- membership -------------------------------------------------------

    async def get_membership(self) -> Membership | None:
        row = await self._one(
            "SELECT level, purchase_date, end_date, account_email, managed_in_pmc, "
            "cloud_competency FROM membership WHERE id = 1"
        )
        if row is None:
            return None
        return Membership(
            level=Level(row[0]),
            purchase_date=date.fromisoformat(row[1]),
            end_date=date.fromisoformat(row[2]),
            account_email=row[3],
            managed_in_pmc=bool(row[4]),
            cloud_competency=bool(row[5]),
        )

    async def put_membership(self, membership: Membership) -> None:
        await self._rows(
            "INSERT INTO membership "
            "(id, level, purchase_date, end_date, account_email, managed_in_pmc, "
            "cloud_competency) VALUES (1, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET level = excluded.level, "
            "purchase_date = excluded.purchase_date, end_date = excluded.end_date, "
            "account_email = excluded.account_email, managed_in_pmc = excluded.managed_in_pmc, "
            "cloud_competency = excluded.cloud_competency",
            (
                membership.level.value,
                membership.purchase_date.isoformat(),
                membership.end_date.isoformat(),
                membership.account_email,
                int(membership.managed_in_pmc),
                int(membership.cloud_competency),
            ),
        )

    # -- benefits ---------------------------------------------------------

    async def get_benefit(self, benefit_id: str) -> Benefit | None:
        row = await self._one(
            f"SELECT {_BENEFIT_COLUMNS} FROM benefits WHERE id = ?", (benefit_id,)
        )
        return None if row is None else _benefit(row)

    async def put_benefit(self, benefit: Benefit) -> None:
        # An upsert, not INSERT OR REPLACE: the row stays, and so do its assignments.
        await self._rows(
            "INSERT INTO benefits (id, name, category, seats, description, instructions, "
            "extra, expires_on, name_key, category_rank) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
            "name_key = excluded.name_key, category_rank = excluded.category_rank, "
            "category = excluded.category, seats = excluded.seats, "
            "description = excluded.description, instructions = excluded.instructions, "
            "extra = excluded.extra, expires_on = excluded.expires_on",
            (
                benefit.id,
                benefit.name,
                benefit.category.value,
                benefit.seats,
                benefit.description,
                benefit.instructions,
                _benefit_extra(benefit),
                None if benefit.expires_on is None else benefit.expires_on.isoformat(),
                benefit.name.casefold(),
                _CATEGORY_RANKS[benefit.category],
            ),
        )

    async def benefits_by_name_prefix(self, prefix: str, *, limit: int) -> list[Benefit]:
        if limit <= 0:
            return []
        key = prefix.casefold()
        rows = await self._rows(
            f"SELECT {_BENEFIT_COLUMNS} FROM benefits "
            "WHERE (id >= ?1 AND id < ?2) OR (name_key >= ?1 AND name_key < ?2) "
            "OR (id <> py_casefold(id) AND py_casefold(id) LIKE ?3 ESCAPE '\\') "
            f"ORDER BY {_BENEFIT_ORDER} LIMIT ?4",
            (key, key + _MAX_CHAR, _like_prefix(key), limit),
        )
        return [_benefit(r) for r in rows]

    async def benefits_named(self, name: str) -> list[Benefit]:
        rows = await self._rows(
            f"SELECT {_BENEFIT_COLUMNS} FROM benefits WHERE name_key = ? ORDER BY {_BENEFIT_ORDER}",
            (name.casefold(),),
        )
        return [_benefit(r) for r in rows]

    async def all_benefits(self) -> list[Benefit]:
        rows = await self._rows(
            f"SELECT {_BENEFIT_COLUMNS} FROM benefits ORDER BY {_BENEFIT_ORDER}"
        )
        return [_benefit(r) for r in rows]

    async def benefit_rows(
        self, *, category: Category | None, offset: int, limit: int
    ) -> list[BenefitRow]:
        if limit <= 0:
            return []
        where, params = _category_filter(category)
        rows = await self._rows(
            f"SELECT {_BENEFIT_COLUMNS}, "
            "(SELECT COUNT(*) FROM assignments AS a "
            " WHERE a.benefit_id = benefits.id AND a.released_at IS NULL) "
            f"FROM benefits {where} ORDER BY {_BENEFIT_ORDER} LIMIT ? OFFSET ?",
            (*params, limit, max(offset, 0)),
        )
        return [BenefitRow(_benefit(r), r[_BENEFIT_WIDTH]) for r in rows]

    async def count_benefits(self, *, category: Category | None) -> int:
        where, params = _category_filter(category)
        row = await self._one(f"SELECT COUNT(*) FROM benefits {where}", params)
        assert row is not None
        return int(row[0])

    # -- assignments ------------------------------------------------------

    async def add_assignment(
        self,
        *,
        benefit_id: str,
        user_id: str | None,
        assigned_at: datetime,
        assigned_by: str,
        holder_email: str | None = None,
    ) -> Assignment:
        row = await self._one(
            "INSERT INTO assignments (benefit_id, user_id, holder_email, assigned_at, assigned_by) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            (benefit_id, user_id, holder_email, _ts(assigned_at), assigned_by),
        )
        assert row is not None
        return Assignment(
            id=row[0],
            benefit_id=benefit_id,
            user_id=user_id,
            assigned_at=assigned_at,
            assigned_by=assigned_by,
            holder_email=holder_email,
        )

    async def release_assignment(self, assignment_id: int, *, at: datetime) -> None:
        row = await self._one(
            "UPDATE assignments SET released_at = ? WHERE id = ? RETURNING id",
            (_ts(at), assignment_id),
        )
        if row is None:
            raise KeyError(assignment_id)

    async def active_assignment(self, benefit_id: str, user_id: str) -> Assignment | None:
        # At most one row: the partial unique index on (benefit_id, user_id) says so.
        row = await self._one(
            f"SELECT {_ASSIGNMENT_COLUMNS} FROM assignments "
            "WHERE benefit_id = ? AND user_id = ? AND released_at IS NULL LIMIT 1",
            (benefit_id, user_id),
        )
        return None if row is None else _assignment(row)

    async def active_assignments(self, benefit_id: str) -> list[Assignment]:
        rows = await self._rows(
            f"SELECT {_ASSIGNMENT_COLUMNS} FROM assignments "
            f"WHERE benefit_id = ? AND released_at IS NULL ORDER BY {_ACTIVE_ORDER}",
            (benefit_id,),
        )
        return [_assignment(r) for r in rows]

    async def count_active_assignments(self, benefit_id: str) -> int:
        row = await self._one(
            "SELECT COUNT(*) FROM assignments WHERE benefit_id = ? AND released_at IS NULL",
            (benefit_id,),
        )
        assert row is not None
        return int(row[0])

    async def user_assignments(self, user_id: str) -> list[Assignment]:
        rows = await self._rows(
            f"SELECT {_ASSIGNMENT_COLUMNS} FROM assignments "
            f"WHERE user_id = ? AND released_at IS NULL ORDER BY {_ACTIVE_ORDER}",
            (user_id,),
        )
        return [_assignment(r) for r in rows]

    async def unresolved_holders(self) -> list[Assignment]:
        rows = await self._rows(
            f"SELECT {_ASSIGNMENT_COLUMNS} FROM assignments "
            f"WHERE user_id IS NULL AND released_at IS NULL ORDER BY {_ACTIVE_ORDER}"
        )
        return [_assignment(r) for r in rows]

    async def resolve_holder(self, assignment_id: int, user_id: str) -> None:
        row = await self._one(
            "UPDATE assignments SET user_id = ? WHERE id = ? RETURNING id",
            (user_id, assignment_id),
        )
        if row is None:
            raise KeyError(assignment_id)

    async def first_assignment(self, categories: Sequence[Category]) -> Assignment | None:
        if not categories:
            return None
        marks = ", ".join("?" for _ in categories)
        row = await self._one(
            f"SELECT {', '.join('a.' + c.strip() for c in _ASSIGNMENT_COLUMNS.split(','))} "
            "FROM assignments AS a JOIN benefits AS b ON b.id = a.benefit_id "
            f"WHERE b.category IN ({marks}) ORDER BY a.assigned_at, a.id LIMIT 1",
            [c.value for c in categories],
        )
        return None if row is None else _assignment(row)

    async def count_released_assignments(self, benefit_id: str) -> int:
        row = await self._one(
            "SELECT COUNT(*) FROM assignments WHERE benefit_id = ? AND released_at IS NOT NULL",
            (benefit_id,),
        )
        assert row is not None
        return int(row[0])

    # -- product keys -----------------------------------------------------

    async def put_keys(self, benefit_id: str, ciphertexts: Sequence[str]) -> None:
        await self._rows("DELETE FROM product_keys WHERE benefit_id = ?", (benefit_id,))
        if ciphertexts:
            await self._conn.executemany(
                "INSERT INTO product_keys (benefit_id, position, ciphertext) VALUES (?, ?, ?)",
                [(benefit_id, i, text) for i, text in enumerate(ciphertexts)],
            )

    async def key_ciphertexts(self, benefit_id: str) -> list[str]:
        rows = await self._rows(
            "SELECT ciphertext FROM product_keys WHERE benefit_id = ? ORDER BY position",
            (benefit_id,),
        )
        return [r[0] for r in rows]

    async def count_keys(self, benefit_id: str) -> int:
        row = await self._one(
            "SELECT COUNT(*) FROM product_keys WHERE benefit_id = ?", (benefit_id,)
        )
        assert row is not None
        return int(row[0])

    async def all_key_ciphertexts(self) -> list[tuple[str, int, str]]:
        rows = await self._rows(
            "SELECT benefit_id, position, ciphertext FROM product_keys "
            "ORDER BY benefit_id, position"
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def update_key_ciphertext(self, benefit_id: str, position: int, ciphertext: str) -> None:
        row = await self._one(
            "UPDATE product_keys SET ciphertext = ? WHERE benefit_id = ? AND position = ? "
            "RETURNING 1",
            (ciphertext, benefit_id, position),
        )
        if row is None:
            raise KeyError((benefit_id, position))

    async def add_key_reveal(self, reveal: KeyReveal) -> None:
        await self._rows(
            "INSERT INTO key_reveals (benefit_id, user_id, at) VALUES (?, ?, ?)",
            (reveal.benefit_id, reveal.user_id, _ts(reveal.at)),
        )

    async def first_key_reveal(self) -> KeyReveal | None:
        row = await self._one(
            "SELECT benefit_id, user_id, at FROM key_reveals ORDER BY at, id LIMIT 1"
        )
        return None if row is None else KeyReveal(row[0], row[1], _dt(row[2]))

    # -- activations, contact, advisory hours, service requests -----------

    async def get_activation(self, benefit_id: str) -> Activation | None:
        row = await self._one(
            f"SELECT {_ACTIVATION_COLUMNS} FROM activations WHERE benefit_id = ?", (benefit_id,)
        )
        return None if row is None else _activation(row)

    async def put_activation(self, activation: Activation) -> None:
        a = activation
        await self._rows(
            f"INSERT INTO activations ({_ACTIVATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (benefit_id) DO UPDATE SET status = excluded.status, "
            "requested_by = excluded.requested_by, requested_at = excluded.requested_at, "
            "completed_by = excluded.completed_by, completed_at = excluded.completed_at, "
            "access_id = excluded.access_id, contract_id = excluded.contract_id, "
            "expires_on = excluded.expires_on",
            (
                a.benefit_id,
                a.status.value,
                a.requested_by,
                _ts(a.requested_at),
                a.completed_by,
                None if a.completed_at is None else _ts(a.completed_at),
                a.access_id,
                a.contract_id,
                None if a.expires_on is None else a.expires_on.isoformat(),
            ),
        )

    async def activations(self, *, status: ActivationStatus | None = None) -> list[Activation]:
        where, params = ("", ()) if status is None else ("WHERE status = ?", (status.value,))
        rows = await self._rows(
            f"SELECT {_ACTIVATION_COLUMNS} FROM activations {where} "
            "ORDER BY requested_at, benefit_id",
            params,
        )
        return [_activation(r) for r in rows]

    async def get_marketing_contact(self) -> MarketingContact | None:
        row = await self._one(
            "SELECT user_id, email, phone, language, set_by, set_at FROM marketing_contact "
            "WHERE id = 1"
        )
        if row is None:
            return None
        return MarketingContact(row[0], row[1], row[2], row[3], row[4], _dt(row[5]))

    async def put_marketing_contact(self, contact: MarketingContact) -> None:
        c = contact
        await self._rows(
            "INSERT INTO marketing_contact (id, user_id, email, phone, language, set_by, set_at) "
            "VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "user_id = excluded.user_id, email = excluded.email, phone = excluded.phone, "
            "language = excluded.language, set_by = excluded.set_by, set_at = excluded.set_at",
            (c.user_id, c.email, c.phone, c.language, c.set_by, _ts(c.set_at)),
        )

    async def add_advisory_request(
        self, *, benefit_id: str, user_id: str, hours: int, topic: str, created_at: datetime
    ) -> AdvisoryRequest:
        row = await self._one(
            "INSERT INTO advisory_requests (benefit_id, user_id, hours, topic, created_at) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            (benefit_id, user_id, hours, topic, _ts(created_at)),
        )
        assert row is not None
        return AdvisoryRequest(row[0], benefit_id, user_id, hours, topic, created_at)

    async def advisory_hours_used(self, benefit_id: str) -> int:
        row = await self._one(
            "SELECT COALESCE(SUM(hours), 0) FROM advisory_requests WHERE benefit_id = ?",
            (benefit_id,),
        )
        assert row is not None
        return int(row[0])

    async def add_service_request(
        self, *, kind: str, created_by: str, created_at: datetime, detail: str = ""
    ) -> ServiceRequest:
        row = await self._one(
            "INSERT INTO service_requests (kind, status, created_by, created_at, detail) "
            "VALUES (?, 'open', ?, ?, ?) RETURNING id",
            (kind, created_by, _ts(created_at), detail),
        )
        assert row is not None
        return ServiceRequest(row[0], kind, "open", created_by, created_at, detail)

    async def service_requests(self) -> list[ServiceRequest]:
        rows = await self._rows(
            "SELECT id, kind, status, created_by, created_at, detail FROM service_requests "
            "ORDER BY id"
        )
        return [ServiceRequest(r[0], r[1], r[2], r[3], _dt(r[4]), r[5]) for r in rows]

    # -- requests ---------------------------------------------------------

    async def add_request(
        self, *, benefit_id: str, requester_id: str, reason: str, created_at: datetime
    ) -> Request:
        row = await self._one(
            "INSERT INTO requests (benefit_id, requester_id, reason, status, created_at) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            (benefit_id, requester_id, reason, RequestStatus.PENDING.value, _ts(created_at)),
        )
        assert row is not None
        return Request(
            id=row[0],
            benefit_id=benefit_id,
            requester_id=requester_id,
            reason=reason,
            status=RequestStatus.PENDING,
            created_at=created_at,
        )

    async def get_request(self, request_id: int) -> Request | None:
        row = await self._one(
            f"SELECT {_REQUEST_COLUMNS} FROM requests WHERE id = ?", (request_id,)
        )
        return None if row is None else _request(row)

    async def pending_request(self, requester_id: str, benefit_id: str) -> Request | None:
        # The literal 'pending' (not a parameter) lets SQLite use the partial unique index,
        # which also guarantees at most one row.
        row = await self._one(
            f"SELECT {_REQUEST_COLUMNS} FROM requests "
            "WHERE requester_id = ? AND benefit_id = ? AND status = 'pending' LIMIT 1",
            (requester_id, benefit_id),
        )
        return None if row is None else _request(row)

    async def user_requests(self, requester_id: str, *, status: RequestStatus) -> list[Request]:
        rows = await self._rows(
            f"SELECT {_REQUEST_COLUMNS} FROM requests "
            "WHERE requester_id = ? AND status = ? ORDER BY id",
            (requester_id, status.value),
        )
        return [_request(r) for r in rows]

    async def decide_request(
        self,
        request_id: int,
        *,
        status: RequestStatus,
        decided_by: str,
        decided_at: datetime,
        note: str = "",
    ) -> bool:
        rows = await self._rows(
            "UPDATE requests SET status = ?, decided_by = ?, decided_at = ?, decision_note = ? "
            "WHERE id = ? AND status = 'pending' RETURNING id",
            (status.value, decided_by, _ts(decided_at), note, request_id),
        )
        return bool(rows)

    async def add_request_messages(self, request_id: int, refs: Sequence[MessageRef]) -> None:
        if not refs:
            return
        await self._conn.executemany(
            "INSERT INTO request_messages (request_id, channel, ts) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [(request_id, ref.channel, ref.ts) for ref in refs],
        )

    async def unannounced_requests(self, *, created_before: datetime, limit: int) -> list[Request]:
        if limit <= 0:
            return []
        rows = await self._rows(
            f"SELECT {_REQUEST_COLUMNS} FROM requests AS r "
            "WHERE status = 'pending' AND created_at < ? AND NOT EXISTS "
            "(SELECT 1 FROM request_messages AS m WHERE m.request_id = r.id) "
            "ORDER BY id LIMIT ?",
            (_ts(created_before), limit),
        )
        return [_request(r) for r in rows]

    async def request_messages(self, request_id: int) -> list[MessageRef]:
        rows = await self._rows(
            "SELECT channel, ts FROM request_messages WHERE request_id = ? ORDER BY rowid",
            (request_id,),
        )
        return [MessageRef(channel=r[0], ts=r[1]) for r in rows]

    # -- roles and directory ----------------------------------------------

    async def grant_role(self, user_id: str, role: Role, *, at: datetime) -> bool:
        rows = await self._rows(
            "INSERT INTO roles (user_id, role, granted_at) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING RETURNING 1",
            (user_id, role.value, _ts(at)),
        )
        return bool(rows)

    async def revoke_role(self, user_id: str, role: Role) -> bool:
        rows = await self._rows(
            "DELETE FROM roles WHERE user_id = ? AND role = ? RETURNING 1", (user_id, role.value)
        )
        return bool(rows)

    async def roles_of(self, user_id: str) -> frozenset[Role]:
        rows = await self._rows("SELECT role FROM roles WHERE user_id = ?", (user_id,))
        return frozenset(Role(r[0]) for r in rows)

    async def role_holders(self, role: Role) -> list[str]:
        rows = await self._rows(
            "SELECT user_id FROM roles WHERE role = ? ORDER BY user_id", (role.value,)
        )
        return [r[0] for r in rows]

    async def all_roles(self) -> list[tuple[str, Role]]:
        rows = await self._rows(f"SELECT user_id, role FROM roles ORDER BY {_ROLE_RANK}, user_id")
        return [(r[0], Role(r[1])) for r in rows]

    async def get_user(self, user_id: str) -> DirectoryUser | None:
        row = await self._one(
            "SELECT user_id, name, email FROM users WHERE user_id = ?", (user_id,)
        )
        return None if row is None else DirectoryUser(user_id=row[0], name=row[1], email=row[2])

    async def put_user(self, user: DirectoryUser) -> None:
        await self._rows(
            "INSERT INTO users (user_id, name, email) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, email = excluded.email",
            (user.user_id, user.name, user.email),
        )

    # -- audit ------------------------------------------------------------

    async def add_audit(self, entry: AuditEntry) -> None:
        await self._rows(
            "INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
            (_ts(entry.at), entry.actor, entry.action, entry.subject, entry.detail),
        )

    async def recent_audit(self, limit: int) -> list[AuditEntry]:
        if limit <= 0:
            return []
        rows = await self._rows(
            "SELECT id, at, actor, action, subject, detail FROM audit ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [_audit_entry(r) for r in rows]

    async def audit_entries(self, *, after_id: int, limit: int) -> list[AuditEntry]:
        if limit <= 0:
            return []
        rows = await self._rows(
            "SELECT id, at, actor, action, subject, detail FROM audit WHERE id > ? "
            "ORDER BY id LIMIT ?",
            (after_id, limit),
        )
        return [_audit_entry(r) for r in rows]

    # -- outbox -----------------------------------------------------------

    async def enqueue_pings(self, pings: Sequence[NewPing], *, at: datetime) -> int:
        if not pings:
            return 0
        before = await self._total_changes()
        await self._conn.executemany(
            "INSERT INTO outbox (key, recipient, kind, params, created_at, due_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key, recipient) DO NOTHING",
            [
                (
                    p.key,
                    p.recipient,
                    p.kind,
                    json.dumps(dict(p.params), separators=(",", ":"), sort_keys=True),
                    _ts(at),
                    _ts(p.due_at or at),
                )
                for p in pings
            ],
        )
        return await self._total_changes() - before

    async def _total_changes(self) -> int:
        row = await self._one("SELECT total_changes()")
        assert row is not None
        return int(row[0])

    async def claim_pings(
        self, *, owner: str, now: datetime, until: datetime, limit: int
    ) -> list[Ping]:
        if limit <= 0:
            return []
        # One UPDATE inside the write transaction: two processes never lease the same row.
        rows = await self._rows(
            "UPDATE outbox SET claimed_by = ?1, claimed_until = ?2 WHERE id IN ("
            " SELECT id FROM outbox WHERE state = 'queued' AND due_at <= ?3"
            " AND (claimed_until IS NULL OR claimed_until <= ?3)"
            " ORDER BY due_at, id LIMIT ?4"
            f") RETURNING {_PING_COLUMNS}",
            (owner, _ts(until), _ts(now), limit),
        )
        return sorted((_ping(r) for r in rows), key=lambda p: (p.due_at, p.id))

    async def extend_claims(
        self, ping_ids: Sequence[int], *, owner: str, until: datetime
    ) -> list[int]:
        kept: list[int] = []
        for chunk in _chunks(ping_ids):
            marks = ", ".join("?" for _ in chunk)
            rows = await self._rows(
                f"UPDATE outbox SET claimed_until = ? WHERE id IN ({marks}) "
                "AND state = 'queued' AND claimed_by = ? RETURNING id",
                (_ts(until), *chunk, owner),
            )
            kept.extend(r[0] for r in rows)
        return sorted(kept)

    async def release_pings(
        self, ping_ids: Sequence[int], *, owner: str, due_at: datetime | None = None
    ) -> None:
        for chunk in _chunks(ping_ids):
            marks = ", ".join("?" for _ in chunk)
            await self._rows(
                "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL, "
                f"due_at = COALESCE(?, due_at) WHERE id IN ({marks}) "
                "AND state = 'queued' AND claimed_by = ?",
                (None if due_at is None else _ts(due_at), *chunk, owner),
            )

    async def mark_ping_sent(self, ping_id: int, *, at: datetime, channel: str, ts: str) -> bool:
        rows = await self._rows(
            "UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = ?, "
            "channel = ?, ts = ?, claimed_until = NULL WHERE id = ? AND state = 'queued' "
            "RETURNING id",
            (_ts(at), channel, ts, ping_id),
        )
        return bool(rows)

    async def retry_ping(self, ping_id: int, *, owner: str, due_at: datetime, error: str) -> bool:
        rows = await self._rows(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, due_at = ?, "
            "claimed_by = NULL, claimed_until = NULL "
            "WHERE id = ? AND state = 'queued' AND claimed_by = ? RETURNING id",
            (error, _ts(due_at), ping_id, owner),
        )
        return bool(rows)

    async def park_ping(self, ping_id: int, *, owner: str, error: str) -> bool:
        rows = await self._rows(
            "UPDATE outbox SET state = 'parked', attempts = attempts + 1, last_error = ?, "
            "claimed_until = NULL WHERE id = ? AND state = 'queued' AND claimed_by = ? "
            "RETURNING id",
            (error, ping_id, owner),
        )
        return bool(rows)

    async def cancel_ping(self, ping_id: int, *, reason: str) -> bool:
        rows = await self._rows(
            "UPDATE outbox SET state = 'cancelled', last_error = ?, claimed_until = NULL "
            "WHERE id = ? AND state = 'queued' RETURNING id",
            (reason, ping_id),
        )
        return bool(rows)

    async def get_ping(self, ping_id: int) -> Ping | None:
        row = await self._one(f"SELECT {_PING_COLUMNS} FROM outbox WHERE id = ?", (ping_id,))
        return None if row is None else _ping(row)

    async def pings(self, *, state: PingState | None, offset: int, limit: int) -> list[Ping]:
        if limit <= 0:
            return []
        where, params = ("", ()) if state is None else ("WHERE state = ?", (state.value,))
        rows = await self._rows(
            f"SELECT {_PING_COLUMNS} FROM outbox {where} ORDER BY id LIMIT ? OFFSET ?",
            (*params, limit, max(offset, 0)),
        )
        return [_ping(r) for r in rows]

    async def count_pings(self, *, state: PingState | None) -> int:
        where, params = ("", ()) if state is None else ("WHERE state = ?", (state.value,))
        row = await self._one(f"SELECT COUNT(*) FROM outbox {where}", params)
        assert row is not None
        return int(row[0])

    async def get_watermark(self, name: str) -> datetime | None:
        row = await self._one("SELECT watermark FROM sweep_watermarks WHERE name = ?", (name,))
        return None if row is None else _dt(row[0])

    async def set_watermark(self, name: str, at: datetime) -> None:
        await self._rows(
            "INSERT INTO sweep_watermarks (name, watermark) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET watermark = excluded.watermark",
            (name, _ts(at)),
        )

    async def benefits_expiring(self, first: date, last: date) -> list[Benefit]:
        rows = await self._rows(
            f"SELECT {_BENEFIT_COLUMNS} FROM benefits "
            "WHERE expires_on IS NOT NULL AND expires_on BETWEEN ? AND ? ORDER BY expires_on, id",
            (first.isoformat(), last.isoformat()),
        )
        return [_benefit(r) for r in rows]

    async def activations_expiring(
        self, first: date, last: date
    ) -> list[tuple[Benefit, Activation]]:
        benefit_columns = ", ".join("b." + c.strip() for c in _BENEFIT_COLUMNS.split(","))
        activation_columns = ", ".join("a." + c.strip() for c in _ACTIVATION_COLUMNS.split(","))
        rows = await self._rows(
            # The planner would rather walk (status, requested_at): every active row.
            f"SELECT {benefit_columns}, {activation_columns} FROM activations AS a "
            "INDEXED BY activations_active_by_expiry JOIN benefits AS b ON b.id = a.benefit_id "
            "WHERE a.status = 'active' AND a.expires_on IS NOT NULL "
            "AND a.expires_on BETWEEN ? AND ? ORDER BY a.expires_on, a.benefit_id",
            (first.isoformat(), last.isoformat()),
        )
        return [(_benefit(r), _activation(cast(_Row, r[_BENEFIT_WIDTH:]))) for r in rows]

    async def activations_requested(
        self, *, status: ActivationStatus, after: datetime, until: datetime
    ) -> list[Activation]:
        rows = await self._rows(
            f"SELECT {_ACTIVATION_COLUMNS} FROM activations "
            "WHERE status = ? AND requested_at > ? AND requested_at <= ? "
            "ORDER BY requested_at, benefit_id",
            (status.value, _ts(after), _ts(until)),
        )
        return [_activation(r) for r in rows]

    async def pending_requests_before(self, until: datetime) -> list[Request]:
        rows = await self._rows(
            f"SELECT {_REQUEST_COLUMNS} FROM requests "
            "WHERE status = 'pending' AND created_at <= ? ORDER BY created_at, id",
            (_ts(until),),
        )
        return [_request(r) for r in rows]

    async def assignments_made(
        self, *, categories: Sequence[Category], after: datetime, until: datetime
    ) -> list[Assignment]:
        if not categories:
            return []
        marks = ", ".join("?" for _ in categories)
        columns = ", ".join("a." + c.strip() for c in _ASSIGNMENT_COLUMNS.split(","))
        rows = await self._rows(
            f"SELECT {columns} FROM assignments AS a INDEXED BY assignments_by_time "
            "JOIN benefits AS b ON b.id = a.benefit_id "
            "WHERE a.assigned_at > ? AND a.assigned_at <= ? AND a.released_at IS NULL "
            f"AND b.category IN ({marks}) ORDER BY a.assigned_at, a.id",
            (_ts(after), _ts(until), *(c.value for c in categories)),
        )
        return [_assignment(r) for r in rows]


_PING_COLUMNS: Final = (
    "id, key, recipient, kind, params, state, created_at, due_at, attempts, last_error, "
    "claimed_by, claimed_until, sent_at, channel, ts"
)
_CHUNK: Final = 500  # ids per statement, well under SQLite's limit on parameters


def _ping(r: _Row) -> Ping:
    return Ping(
        id=r[0],
        key=r[1],
        recipient=r[2],
        kind=r[3],
        params=json.loads(r[4]),
        state=PingState(r[5]),
        created_at=_dt(r[6]),
        due_at=_dt(r[7]),
        attempts=r[8],
        last_error=r[9],
        claimed_by=r[10],
        claimed_until=_opt_dt(r[11]),
        sent_at=_opt_dt(r[12]),
        channel=r[13],
        ts=r[14],
    )


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    unique = sorted(set(ids))
    return [unique[i : i + _CHUNK] for i in range(0, len(unique), _CHUNK)]


def _audit_entry(r: _Row) -> AuditEntry:
    return AuditEntry(id=r[0], at=_dt(r[1]), actor=r[2], action=r[3], subject=r[4], detail=r[5])


def _category_filter(category: Category | None) -> tuple[str, tuple[int, ...]]:
    if category is None:
        return "", ()
    return "WHERE category_rank = ?", (_CATEGORY_RANKS[category],)


# -- store -------------------------------------------------------------------


def _is_locked(error: sqlite3.OperationalError) -> bool:
    return "database is locked" in str(error)


def _split_statements(script: str) -> list[str]:
    """Split a migration script into statements (``executescript`` would COMMIT)."""
    statements: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            code = re.sub(r"--[^\n]*", "", pending).strip(" \t\r\n;")
            if code:
                statements.append(pending.strip())
            pending = ""
    if re.sub(r"--[^\n]*", "", pending).strip(" \t\r\n;"):
        raise ValueError(f"incomplete SQL statement in a migration: {pending.strip()[:80]!r}")
    return statements


async def _connect_maintenance(path: str) -> aiosqlite.Connection:
    """The aiosqlite connection for slow work in a thread: migrations, checkpoints."""
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        for pragma in _MAINTENANCE_PRAGMAS:
            await conn.execute_fetchall(pragma)
        await conn.create_function("py_casefold", 1, _casefold, deterministic=True)
    except BaseException:
        await conn.close()
        raise
    return conn


def _connect_inline(path: str, pragmas: Iterable[str]) -> sqlite3.Connection:
    """A connection used from the event loop thread only (statements run inline)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        for pragma in pragmas:
            conn.execute(pragma).fetchall()
        conn.create_function("py_casefold", 1, _casefold, deterministic=True)  # type: ignore[arg-type]
    except BaseException:
        conn.close()
        raise
    return conn


async def _begin_immediate(conn: aiosqlite.Connection) -> None:
    """BEGIN IMMEDIATE on the maintenance connection (it may wait in its thread)."""
    await _rollback_quietly(conn)  # a backstop: nothing should be left open here
    for attempt in range(1, BEGIN_ATTEMPTS + 1):
        try:
            await conn.execute_fetchall("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if attempt == BEGIN_ATTEMPTS or not _is_locked(error):
                raise
        await asyncio.sleep(BEGIN_RETRY_DELAY * attempt)


async def _begin_immediate_inline(conn: sqlite3.Connection, *, timeout: float) -> None:
    """BEGIN IMMEDIATE without blocking the loop: the connection's busy timeout is
    zero, so while another process holds the write lock this polls with sleeps."""
    _rollback_inline(conn)  # a backstop: nothing should be left open here
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = LOCK_POLL_FIRST
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if not _is_locked(error) or loop.time() >= deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, LOCK_POLL_MAX)


def _rollback_inline(conn: sqlite3.Connection) -> None:
    with suppress(sqlite3.OperationalError, sqlite3.ProgrammingError):
        if conn.in_transaction:
            conn.execute("ROLLBACK")


async def _rollback_quietly(conn: aiosqlite.Connection) -> None:
    """Roll back the open transaction, if any; never raises but for cancellation.

    It tolerates "no transaction is active" (a COMMIT queued before it may have
    ended the transaction meanwhile) and a connection closed under it.
    """
    with suppress(sqlite3.OperationalError, ValueError):
        if conn.in_transaction:
            await conn.execute_fetchall("ROLLBACK")


async def _migrate(conn: aiosqlite.Connection) -> None:
    await _begin_immediate(conn)
    try:
        row = next(iter(await conn.execute_fetchall("PRAGMA user_version")))
        version = int(row[0])
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"the database has schema version {version}, newer than this code "
                f"({SCHEMA_VERSION}); upgrade the bot"
            )
        for script in MIGRATIONS[version:]:
            for statement in _split_statements(script):
                await conn.execute_fetchall(statement)
        if version < SCHEMA_VERSION:
            await conn.execute_fetchall(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        await _rollback_quietly(conn)
        raise
    await conn.execute_fetchall("COMMIT")


class SqliteStore:
    """A :class:`storage.base.Store` on one SQLite file; make one with :func:`open_sqlite`.

    Statements run inline on the event loop (see :class:`_Inline`): one writer
    connection behind an :class:`asyncio.Lock`, and reader connections handed
    out one per ``read()`` block. WAL checkpoints, which fsync, run on the
    aiosqlite maintenance connection's thread every :data:`CHECKPOINT_EVERY`
    commits instead of inside a commit.
    """

    def __init__(
        self,
        path: str,
        maintenance: aiosqlite.Connection,
        writer: sqlite3.Connection,
        readers: Sequence[sqlite3.Connection],
        *,
        lock_timeout: float = BUSY_TIMEOUT_MS / 1000,
    ) -> None:
        if not readers:
            raise ValueError("a SqliteStore needs at least one reader connection")
        self.path = path
        self._maintenance = maintenance
        self._writer = writer
        self._write_lock = asyncio.Lock()
        self._version_conn = _connect_inline(path, _READER_PRAGMAS)  # never writes
        self._readers: list[sqlite3.Connection] = list(readers)
        self._all_readers: list[sqlite3.Connection] = list(readers)
        self._lock_timeout = lock_timeout
        self._commits = 0
        self._checkpoint: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    async def open(
        cls, path: str | os.PathLike[str], *, readers: int = DEFAULT_READERS
    ) -> SqliteStore:
        """Open the file (creating it if needed) and bring its schema up to date."""
        if readers < 1:
            raise ValueError("readers must be at least 1")
        location = os.fspath(path)
        maintenance = await _connect_maintenance(location)
        opened: list[sqlite3.Connection] = []
        try:
            mode = next(iter(await maintenance.execute_fetchall("PRAGMA journal_mode")))[0]
            if str(mode).lower() != "wal":
                raise RuntimeError(f"could not put {location} in WAL mode (journal_mode={mode})")
            await _migrate(maintenance)
            opened.append(_connect_inline(location, _WRITER_PRAGMAS))
            for _ in range(readers):
                opened.append(_connect_inline(location, _READER_PRAGMAS))
        except BaseException:
            for conn in opened:
                conn.close()
            with suppress(Exception):
                await maintenance.close()
            raise
        return cls(location, maintenance, opened[0], opened[1:])

    def _ensure_open(self) -> None:
        if self._closed:
            raise RuntimeError("the store is closed")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqliteRepository]:
        """A repository over one committed snapshot; it never waits for writers."""
        self._ensure_open()
        if self._readers:
            conn = self._readers.pop()
        else:  # more reads in flight than connections: open one more, keep it
            conn = _connect_inline(self.path, _READER_PRAGMAS)
            self._all_readers.append(conn)
        try:
            conn.execute("BEGIN")
            try:
                yield SqliteRepository(conn)
            finally:
                _rollback_inline(conn)  # a read-only transaction: nothing to keep
        finally:
            if not self._closed:
                self._readers.append(conn)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[SqliteRepository]:
        """One ``BEGIN IMMEDIATE`` transaction: committed at the end, rolled back on error."""
        self._ensure_open()
        async with self._write_lock:
            self._ensure_open()
            conn = self._writer
            await _begin_immediate_inline(conn, timeout=self._lock_timeout)
            try:
                yield SqliteRepository(conn)
                conn.execute("COMMIT")
            except BaseException:
                _rollback_inline(conn)
                raise
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY == 0:
            self._start_checkpoint()

    def _start_checkpoint(self) -> None:
        if self._checkpoint is None or self._checkpoint.done():
            self._checkpoint = asyncio.create_task(self._run_checkpoint("PASSIVE"))

    async def _run_checkpoint(self, mode: str) -> None:
        with suppress(sqlite3.Error, ValueError):
            await self._maintenance.execute_fetchall(f"PRAGMA wal_checkpoint({mode})")

    async def version(self) -> int:
        """``PRAGMA data_version`` of a connection that never writes: it changes
        whenever any other connection, of this process or another, commits."""
        self._ensure_open()
        return int(self._version_conn.execute("PRAGMA data_version").fetchone()[0])

    async def ping(self) -> bool:
        """True when the file answers ``SELECT 1``; never raises."""
        if self._closed:
            return False
        try:
            rows = list(await self._maintenance.execute_fetchall("SELECT 1"))
        except Exception:
            return False
        return bool(rows) and rows[0][0] == 1

    async def close(self) -> None:
        """Close every connection, after the write in progress (if any); idempotent.

        Don't call it from inside ``write()``: it waits for that block to end.
        """
        if self._closed:
            return
        self._closed = True
        async with self._write_lock:
            if self._checkpoint is not None:
                with suppress(Exception):
                    await self._checkpoint
            for conn in [*self._all_readers, self._version_conn, self._writer]:
                with suppress(Exception):
                    conn.close()
            # The maintenance connection closes last and checkpoints the WAL into the file.
            await self._run_checkpoint("TRUNCATE")
            with suppress(Exception):
                await self._maintenance.close()


async def open_sqlite(
    path: str | os.PathLike[str], *, readers: int = DEFAULT_READERS
) -> SqliteStore:
    """Open a :class:`SqliteStore` on ``path``, creating and migrating the schema."""
    return await SqliteStore.open(path, readers=readers)
