"""Opening the asyncpg pool, the placeholders and the codecs that make rows engine-neutral.

Queries are written once, with SQLite's ``?`` / ``?N`` placeholders, and
:func:`pg` turns them into PostgreSQL's ``$N`` (cached, so each statement is
translated once). Times are ``timestamptz`` and dates ``date`` columns, but
each connection gets codecs that speak the same fixed-width ISO-8601 text the
SQLite store keeps (:func:`storage.sql.rows.stamp`), so both engines share
the row mappers in :mod:`storage.sql.rows` and ``copy-db`` moves values as
they are. Every session runs in UTC with ISO dates. A server that cannot be
reached, or that refuses the login, is a :class:`~storage.schema.DatabaseUnreachable`
whose one-line message names host, port and database (never the password).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from functools import lru_cache
from typing import Final
from urllib.parse import urlsplit

import asyncpg

from storage.schema import DatabaseUnreachable
from storage.sql.rows import stamp

DEFAULT_POOL_SIZE: Final = 10
CONNECT_TIMEOUT_S: Final = 10.0
LOCK_TIMEOUT_MS: Final = 10_000  # as long as SQLite's busy timeout

SERVER_SETTINGS: Final = {
    "TimeZone": "UTC",
    "DateStyle": "ISO, YMD",
    "lock_timeout": str(LOCK_TIMEOUT_MS),
    # The store keeps a few begun read transactions for the next reads (no snapshot
    # is taken before their first query): a server-wide timeout must not end them.
    "idle_in_transaction_session_timeout": "0",
    "application_name": "benefits-bot",
}

_NUMBERED = re.compile(r"\?(\d+)")


@lru_cache(maxsize=1024)
def pg(sql: str) -> str:
    """``?N`` → ``$N`` and each bare ``?`` → the next ``$N`` (no statement mixes the two)."""
    if _NUMBERED.search(sql):
        return _NUMBERED.sub(r"$\1", sql)
    parts = sql.split("?")
    out = [parts[0]]
    for number, part in enumerate(parts[1:], start=1):
        out.append(f"${number}{part}")
    return "".join(out)


def _timestamp_text(text: str) -> str:
    return stamp(datetime.fromisoformat(text))


def _passthrough(text: str) -> str:
    return text


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "timestamptz",
        schema="pg_catalog",
        encoder=_passthrough,
        decoder=_timestamp_text,
        format="text",
    )
    await conn.set_type_codec(
        "date", schema="pg_catalog", encoder=_passthrough, decoder=_passthrough, format="text"
    )


def where(dsn: str) -> str:
    """``host:port/database`` of ``dsn``, without user or password."""
    try:
        parts = urlsplit(dsn)
        host = parts.hostname or "localhost"
        port = parts.port or 5432
    except ValueError:
        return "the server it names"
    database = parts.path.lstrip("/") or "(default database)"
    return f"{host}:{port}/{database}"


def _reason(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return f"no answer within {CONNECT_TIMEOUT_S:g} s"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


@asynccontextmanager
async def reaching(dsn: str) -> AsyncIterator[None]:
    """Turn the ways a connection attempt fails into one :class:`DatabaseUnreachable` line."""
    try:
        yield
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise DatabaseUnreachable(
            f"cannot connect to PostgreSQL at {where(dsn)}: {_reason(error)}"
        ) from None


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset: nothing to do beyond asyncpg's own rollback of an open
    transaction. The store keeps no session state on pooled connections (no
    settings changed, nothing listened to, session advisory locks on connections
    of their own), so the default reset query would be a wasted round trip."""


async def create_pool(
    dsn: str,
    *,
    size: int = DEFAULT_POOL_SIZE,
    on_statement: Callable[[asyncpg.connection.LoggedQuery], None] | None = None,
) -> asyncpg.Pool:
    """A pool of ``size`` connections (at least two: a read may run beside a write).

    ``on_statement`` is called after every statement a pooled connection runs.
    """
    if size < 2:
        raise ValueError("the PostgreSQL pool needs at least 2 connections")

    async def init(conn: asyncpg.Connection) -> None:
        await _init_connection(conn)
        if on_statement is not None:
            conn.add_query_logger(on_statement)

    async with reaching(dsn):
        return await asyncpg.create_pool(
            dsn,
            min_size=1,
            max_size=size,
            init=init,
            reset=_keep_session,
            server_settings=SERVER_SETTINGS,
            timeout=CONNECT_TIMEOUT_S,
        )


async def connect(dsn: str) -> asyncpg.Connection:
    """One connection with the pool's settings and codecs (migrations, copy-db)."""
    async with reaching(dsn):
        conn: asyncpg.Connection = await asyncpg.connect(
            dsn, server_settings=SERVER_SETTINGS, timeout=CONNECT_TIMEOUT_S
        )
    try:
        await _init_connection(conn)
    except BaseException:
        await conn.close()
        raise
    return conn
