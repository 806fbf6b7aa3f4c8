"""`benefits-bot audit --csv`: the whole audit log as CSV on standard output."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain.model import AuditEntry
from storage.sqlite import open_sqlite
from tests.system.test_cli import clean_env, run_cli

START = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


async def write_entries(database: Path, count: int) -> None:
    store = await open_sqlite(str(database))
    try:
        async with store.write() as uow:
            for i in range(count):
                await uow.audit.add(
                    AuditEntry(
                        START + timedelta(minutes=i),
                        "UADMIN001",
                        "request.deny",
                        f"request:{i}",
                        f'reason "{i}", with a comma\nand a line break',
                    )
                )
            await uow.audit.add(
                AuditEntry(START, "UMEMBER01", "request.create", "x", "=HYPERLINK()")
            )
    finally:
        await store.close()


async def test_every_entry_is_exported_with_a_header_oldest_first(tmp_path: Path) -> None:
    database = tmp_path / "b.db"
    await write_entries(database, 1234)  # more than two batches

    code, out, err = await run_cli(
        "audit", "--csv", cwd=tmp_path, env=clean_env(DATABASE_URL=f"sqlite:///{database}")
    )

    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["id", "at", "actor", "action", "subject", "detail"]
    assert len(rows) == 1 + 1235
    assert [int(r[0]) for r in rows[1:]] == list(range(1, 1236))
    assert rows[1] == [
        "1",
        "2026-01-15T09:00:00+00:00",
        "UADMIN001",
        "request.deny",
        "request:0",
        'reason "0", with a comma\nand a line break',
    ]
    assert rows[-1][5] == "'=HYPERLINK()"
    assert "1235 audit entries exported" in err


async def test_an_empty_log_exports_only_the_header(tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}")

    code, out, err = await run_cli("audit", "--csv", cwd=tmp_path, env=env)

    assert code == 0, err
    assert out.splitlines() == ["id,at,actor,action,subject,detail"]


async def test_audit_without_csv_says_how_to_call_it(tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}")

    code, out, err = await run_cli("audit", cwd=tmp_path, env=env)

    assert code == 2
    assert out == ""
    assert "--csv" in err
