"""How domain records map to rows and back, and the column lists queries share.

Datetimes are stored as fixed-width ISO-8601 text in UTC (so text order is time
order), dates as ISO text and enums as their values. A benefit's details that
no query filters on are one compact JSON column (``extra``).

Both stores keep values in this form (PostgreSQL's time codecs speak the same
text). Mappers take rows by position (no row factory: plain tuples are the cheapest
rows sqlite3 makes, and asyncpg records index the same way), so every ``*_COLUMNS``
list and its mapper change together.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Final, TypeVar, cast

from bot.domain.model import (
    Activation,
    ActivationStatus,
    Assignment,
    AuditEntry,
    Benefit,
    Category,
    Download,
    Request,
    RequestStatus,
    Role,
    SupportKind,
)
from bot.domain.outbox import NewPing, Ping, PingState
from storage.ports.assignments import Standing


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def rank(column: str, values: Iterable[str]) -> str:
    """A CASE expression giving each value its declaration position."""
    whens = " ".join(f"WHEN {sql_literal(v)} THEN {i}" for i, v in enumerate(values))
    return f"CASE {column} {whens} ELSE 999 END"


ROLE_RANK: Final = rank("role", [r.value for r in Role])
BENEFIT_ORDER: Final = "category_rank, name_key, id"


CATEGORY_RANKS: Final = {c: i for i, c in enumerate(Category)}
MAX_CHAR: Final = chr(0x10FFFF)


BENEFIT_COLUMNS: Final = "id, name, category, seats, description, instructions, extra, expires_on"
BENEFIT_WIDTH: Final = 8


ASSIGNMENT_COLUMNS: Final = (
    "id, benefit_id, user_id, assigned_at, assigned_by, holder_email, released_at"
)
REQUEST_COLUMNS: Final = (
    "id, benefit_id, requester_id, reason, status, created_at, decided_by, decided_at, "
    "decision_note"
)


ACTIVE_ORDER: Final = "assigned_at, id"
ACTIVATION_COLUMNS: Final = (
    "benefit_id, status, requested_by, requested_at, completed_by, completed_at, "
    "access_id, contract_id, expires_on"
)


PING_COLUMNS: Final = (
    "id, key, recipient, kind, params, state, created_at, due_at, attempts, last_error, "
    "claimed_by, claimed_until, sent_at, channel, ts, after_id, send_started_at"
)
CHUNK: Final = 500  # ids per statement, well under SQLite's limit on parameters


Row = sqlite3.Row  # what aiosqlite declares; without a row factory they are tuples


def stamp(moment: datetime) -> str:
    """Fixed-width ISO-8601 text in UTC, so that text order is time order."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: the store keeps timezone-aware times")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def opt_dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def opt_date(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def benefit_of(row: Row) -> Benefit:
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
        expires_on=opt_date(row[7]),
        usage_based=bool(extra.get("usage_based", False)),
        monthly=bool(extra.get("monthly", False)),
        needs_approval=bool(extra.get("needs_approval", False)),
        support_kind=None if kind is None else SupportKind(kind),
    )


def benefit_extra(benefit: Benefit) -> str:
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


def activation_of(row: Row) -> Activation:
    return Activation(
        benefit_id=row[0],
        status=ActivationStatus(row[1]),
        requested_by=row[2],
        requested_at=dt(row[3]),
        completed_by=row[4],
        completed_at=opt_dt(row[5]),
        access_id=row[6],
        contract_id=row[7],
        expires_on=opt_date(row[8]),
    )


def standing_of(rows: Sequence[Row]) -> Standing:
    """The rows of ``STANDING_OF``: seats first, then pending requests, each with its benefit."""
    held: list[tuple[Assignment, Benefit]] = []
    pending: list[tuple[Request, Benefit]] = []
    for r in rows:
        benefit = benefit_of(cast(Row, tuple(r)[10:]))
        if r[0] == 0:
            seat = cast(Row, (r[1], r[2], r[3], r[6], r[7], r[9], r[8]))
            held.append((assignment_of(seat), benefit))
        else:
            pending.append((request_of(cast(Row, tuple(r)[1:10])), benefit))
    return Standing(held, pending)


def assignment_of(row: Row) -> Assignment:
    return Assignment(
        id=row[0],
        benefit_id=row[1],
        user_id=row[2],
        assigned_at=dt(row[3]),
        assigned_by=row[4],
        holder_email=row[5],
        released_at=opt_dt(row[6]),
    )


def request_of(row: Row) -> Request:
    return Request(
        id=row[0],
        benefit_id=row[1],
        requester_id=row[2],
        reason=row[3],
        status=RequestStatus(row[4]),
        created_at=dt(row[5]),
        decided_by=row[6],
        decided_at=opt_dt(row[7]),
        decision_note=row[8],
    )


def ping_of(r: Row) -> Ping:
    return Ping(
        id=r[0],
        key=r[1],
        recipient=r[2],
        kind=r[3],
        params=json.loads(r[4]),
        state=PingState(r[5]),
        created_at=dt(r[6]),
        due_at=dt(r[7]),
        attempts=r[8],
        last_error=r[9],
        claimed_by=r[10],
        claimed_until=opt_dt(r[11]),
        sent_at=opt_dt(r[12]),
        channel=r[13],
        ts=r[14],
        after_id=r[15],
        send_started_at=opt_dt(r[16]),
    )


def new_ping_row(ping: NewPing, at: datetime) -> tuple[object, ...]:
    """The values of ``INSERT INTO outbox (key, recipient, kind, params, created_at, due_at,
    after_id)`` for a ping queued at ``at``."""
    return (
        ping.key,
        ping.recipient,
        ping.kind,
        json.dumps(dict(ping.params), separators=(",", ":"), sort_keys=True),
        stamp(at),
        stamp(ping.due_at or at),
        ping.after_id,
    )


def audit_entry_of(r: Row) -> AuditEntry:
    return AuditEntry(id=r[0], at=dt(r[1]), actor=r[2], action=r[3], subject=r[4], detail=r[5])


K = TypeVar("K", int, str)


def chunks(ids: Sequence[K]) -> list[list[K]]:
    unique = sorted(set(ids))
    return [unique[i : i + CHUNK] for i in range(0, len(unique), CHUNK)]
