"""PostgreSQL for the tests: the server to use, and a fresh schema per test.

``BENEFITS_TEST_DATABASE_URL`` names the server (default
``postgresql://postgres@127.0.0.1:5432/test``). A test run works in a schema of
its own, created and migrated on first use, emptied before each test that
asks for it (:func:`empty_schema`: deleting a few rows is a hundred times
quicker than building the schema again) and dropped when the run ends; a test
that needs a database with no schema at all takes :func:`fresh_schema`. The schemas
of a schema's tenants (``<schema>__<team>``) go with it, and with each emptying. The
URLs handed out set ``search_path`` to the schema, so runs and tests never see
each other's rows. Without a
server the PostgreSQL tests are skipped, except under CI (``CI=true``), where an
unreachable server fails them.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import cache
from typing import Final
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

DEFAULT_URL: Final = "postgresql://postgres@127.0.0.1:5432/test"
SKIP_REASON: Final = (
    "PostgreSQL tests skipped: no server at {url}; set BENEFITS_TEST_DATABASE_URL="
    "postgresql://user@host:5432/database to run them"
)


def server_url() -> str:
    return os.environ.get("BENEFITS_TEST_DATABASE_URL") or DEFAULT_URL


def redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


async def _answers(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


@cache
def server_available() -> bool:
    """Whether the test server answers (asked once per run, on a thread of its own,
    so that it works inside a running event loop too)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _answers(server_url())).result()


def require_server() -> None:
    """Skip the calling test without a server, or fail it under CI."""
    if server_available():
        return
    message = SKIP_REASON.format(url=redacted(server_url()))
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs PostgreSQL: {message}", pytrace=False)
    pytest.skip(message)


def with_search_path(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, f"search_path={schema}") if q)
    return urlunsplit(parts._replace(query=query))


@asynccontextmanager
async def fresh_schema() -> AsyncIterator[str]:
    """A new, empty schema; yields a URL that works in it; drops it afterwards."""
    require_server()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(server_url())
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield with_search_path(server_url(), schema)
        finally:
            await drop_tenant_schemas(admin, schema)
            await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await admin.close()


_session: dict[str, str] = {}


async def empty_schema() -> str:
    """The run's schema (made and migrated on first use), emptied; a URL that works in it."""
    require_server()
    from storage.postgres import migrate_postgres

    if "url" not in _session:
        schema = f"run_{uuid.uuid4().hex[:16]}"
        admin = await asyncpg.connect(server_url())
        try:
            await admin.execute(f'CREATE SCHEMA "{schema}"')
        finally:
            await admin.close()
        _session["schema"] = schema
        _session["url"] = with_search_path(server_url(), schema)
        await migrate_postgres(_session["url"])
    url = _session["url"]
    conn = await asyncpg.connect(url)
    try:
        await drop_tenant_schemas(conn, _session["schema"])  # a test's tenants go with it
        tables = [
            r[0]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename NOT IN ('schema_migrations', 'store_version', 'generations', 'seat_generations')"
            )
        ]
        referenced = {
            r[0]
            for r in await conn.fetch(
                "SELECT DISTINCT c.relname FROM pg_constraint AS f "
                "JOIN pg_class AS c ON c.oid = f.confrelid "
                "WHERE f.contype = 'f' AND f.connamespace = current_schema()::regnamespace"
            )
        }
        tables.sort(key=lambda table: table in referenced)  # rows that point elsewhere first
        identities = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND is_identity = 'YES'"
        )
        async with conn.transaction():
            await conn.execute("; ".join(f'DELETE FROM "{t}"' for t in tables))
            for table, column in identities:
                await conn.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" RESTART')
    finally:
        await conn.close()
    return url


async def drop_tenant_schemas(conn: asyncpg.Connection, schema: str) -> None:
    """Drop the schemas of the tenants of ``schema`` (see :mod:`storage.tenants`)."""
    tenants = await conn.fetch(
        "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", f"{schema}__"
    )
    for row in tenants:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{row[0]}" CASCADE')


async def _drop(schema: str) -> None:
    admin = await asyncpg.connect(server_url())
    try:
        await drop_tenant_schemas(admin, schema)
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await admin.close()


def drop_run_schema() -> None:
    """Drop the run's schema, if one was made (at the end of the run)."""
    schema = _session.pop("schema", None)
    _session.clear()
    if schema is not None:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, _drop(schema)).result()
