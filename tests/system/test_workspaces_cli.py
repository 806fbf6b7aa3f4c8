"""``--team T…`` / ``--enterprise E…`` on the CLI: each command acts on the data of the
workspace named, in the base store or in the store of its own, on a SQLite file and on
PostgreSQL, through the command's own ``main``."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from bot.cli.main import main
from bot.domain.clock import FakeClock
from bot.domain.model import Benefit, Category, Role
from bot.domain.outbox import NewPing
from bot.domain.tenancy import Reason
from bot.runtime.bootstrap import build_services
from bot.runtime.installations import from_installation
from bot.services.installations import InstallationService
from bot.services.keys import KeyVault
from storage import Store, open_store, open_tenants
from storage.postgres.migrations import MIGRATIONS as PG_MIGRATIONS
from storage.postgres.tenant_schemas import PostgresTenants
from storage.sqlite.migrations import MIGRATIONS, split_statements
from tests.system.test_cli import EXAMPLE
from tests.unit.test_installations import workspace_install

BASE, SECOND, THIRD = "T0BASE", "T0SECOND", "T0THIRD"
ADMINS = {BASE: "UBASE0001", SECOND: "USECOND01", THIRD: "UTHIRD001"}
SEATS = {BASE: 2, SECOND: 3, THIRD: 4}
KEY = KeyVault.generate_key()
NEW_KEY = KeyVault.generate_key()
PRODUCT_KEY = "ABCDE-FGHIJ-KLMNO-PQRST-{}"


@asynccontextmanager
async def stores(url: str) -> AsyncIterator[dict[str, Store]]:
    """The base store and each workspace's own, by the workspace they hold."""
    base = await open_store(url)
    tenants = await open_tenants(base)
    try:
        held = {BASE: base}
        for key in await tenants.keys():
            held[key] = await tenants.store(key)
        yield held
    finally:
        await tenants.close()
        await base.close()


@pytest.fixture
async def database(url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The base workspace and two more, each with a benefit, a product key and an admin."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("BENEFITS_ENCRYPTION_KEY", KEY)
    clock = FakeClock(datetime(2026, 3, 1, tzinfo=UTC))
    vault = KeyVault([KEY])
    base = await open_store(url)
    tenants = await open_tenants(base)
    try:
        for team in (BASE, SECOND, THIRD):
            store = base if team == BASE else await tenants.store(team)
            services = build_services(store, clock=clock, vault=vault)
            await services.tenancy.started(None, team)
            async with store.write() as uow:
                benefit = f"b-{team.lower()}"
                await uow.benefits.put(Benefit(benefit, team, Category.SOFTWARE, SEATS[team]))
                await uow.keys.put(benefit, [vault.encrypt(PRODUCT_KEY.format(team[-5:]))])
                ping = NewPing(key=f"k-{team}", recipient=ADMINS[team], kind="test", params={})
                await uow.outbox.enqueue([ping], at=clock.now())
            await services.roles.bootstrap_grant(ADMINS[team], Role.GLOBAL_ADMIN)
        await InstallationService(base, clock=clock, vault=vault).save(
            from_installation(workspace_install(team_id=SECOND))
        )
        suspended = build_services(await tenants.store(THIRD), clock=clock, vault=vault)
        await suspended.tenancy.suspend(Reason.UNINSTALLED, team_id=THIRD, named=True)
    finally:
        await tenants.close()
        await base.close()
    return url


def run(*args: str) -> int:
    return main(list(args))


async def benefits(url: str) -> dict[str, list[str]]:
    async with stores(url) as held:
        found = {}
        for team, store in held.items():
            async with store.read() as uow:
                found[team] = sorted(b.id for b in await uow.benefits.all())
        return found


async def admins(url: str) -> dict[str, list[str]]:
    async with stores(url) as held:
        found = {}
        for team, store in held.items():
            async with store.read() as uow:
                found[team] = sorted(await uow.people.role_holders(Role.GLOBAL_ADMIN))
        return found


async def tenant_keys(url: str) -> list[str]:
    base = await open_store(url)
    try:
        return await (await open_tenants(base)).keys()
    finally:
        await base.close()


ORIGINAL = {BASE: ["b-t0base"], SECOND: ["b-t0second"], THIRD: ["b-t0third"]}


async def test_import_with_team_loads_that_workspace_alone(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await asyncio.to_thread(run, "import", str(EXAMPLE), "--team", SECOND)

    assert code == 0, capsys.readouterr().err
    after = await benefits(database)
    assert after[BASE] == ORIGINAL[BASE]
    assert after[THIRD] == ORIGINAL[THIRD]
    assert "windows-11-enterprise" in after[SECOND]
    assert "b-t0second" in after[SECOND]


async def test_import_without_a_flag_loads_the_base_as_before(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await asyncio.to_thread(run, "import", str(EXAMPLE)) == 0, capsys.readouterr().err

    after = await benefits(database)
    assert "windows-11-enterprise" in after[BASE]
    assert after[SECOND] == ORIGINAL[SECOND]
    assert after[THIRD] == ORIGINAL[THIRD]


async def test_the_base_workspace_named_with_team_is_the_base_store(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await asyncio.to_thread(run, "import", str(EXAMPLE), "--team", BASE) == 0

    after = await benefits(database)
    assert "windows-11-enterprise" in after[BASE]
    assert after[SECOND] == ORIGINAL[SECOND]


async def test_grant_and_revoke_with_team_change_that_workspaces_roles_alone(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    granted = await asyncio.to_thread(run, "grant", "UNEW00001", "global_admin", "--team", SECOND)
    assert granted == 0, capsys.readouterr().err
    assert "UNEW00001 now holds global_admin in workspace T0SECOND" in capsys.readouterr().out
    assert (await admins(database)) == {
        BASE: [ADMINS[BASE]],
        SECOND: sorted([ADMINS[SECOND], "UNEW00001"]),
        THIRD: [ADMINS[THIRD]],
    }

    revoked = await asyncio.to_thread(run, "revoke", "UNEW00001", "global_admin", "--team", SECOND)

    assert revoked == 0, capsys.readouterr().err
    assert (await admins(database))[SECOND] == [ADMINS[SECOND]]


async def test_audit_csv_with_team_lists_that_workspaces_entries_alone(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await asyncio.to_thread(run, "audit", "--csv", "--team", THIRD)

    captured = capsys.readouterr()
    assert code == 0, captured.err
    rows = list(csv.reader(io.StringIO(captured.out)))
    assert len(rows) > 1
    assert ADMINS[THIRD] in captured.out
    assert ADMINS[BASE] not in captured.out
    assert ADMINS[SECOND] not in captured.out


async def test_reminders_and_digest_with_team_read_that_workspace(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await asyncio.to_thread(run, "reminders", "--team", THIRD) == 0
    listed = capsys.readouterr().out
    assert "k-T0THIRD" in listed
    assert "parked" in listed  # suspended: its queued ping parked
    assert "k-T0BASE" not in listed
    assert "k-T0SECOND" not in listed
    out = tmp_path / "report.png"

    code = await asyncio.to_thread(run, "digest", "--out", str(out), "--team", SECOND)

    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert out.read_bytes().startswith(b"\x89PNG")
    assert "Software: 0 of 3" in captured.out  # the seats of that workspace's one benefit


COMMANDS = [
    ["import", str(EXAMPLE)],
    ["grant", "UNEW00001", "global_admin"],
    ["revoke", "UBASE0001", "global_admin"],
    ["audit", "--csv"],
    ["reminders"],
    ["digest", "--out", "report.png"],
    ["tenant", "export"],
    ["tenant", "delete", "--yes"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
async def test_a_workspace_with_no_data_here_is_refused_in_one_line_and_nothing_is_made(
    database: str,
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)

    code = await asyncio.to_thread(run, *command, "--team", "T0NOBODY")

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.strip() == (
        "error: no data for workspace T0NOBODY in this database "
        "(`benefits-bot tenant list` names the workspaces it holds)"
    )
    assert await tenant_keys(database) == [SECOND, THIRD]
    assert await benefits(database) == ORIGINAL
    assert await admins(database) == {team: [user] for team, user in ADMINS.items()}
    assert not (tmp_path / "report.png").exists()


async def test_an_org_with_no_data_here_is_refused(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await asyncio.to_thread(run, "import", str(EXAMPLE), "--enterprise", "E0NOBODY")

    assert code == 2
    assert "no data for org E0NOBODY in this database" in capsys.readouterr().err
    assert await tenant_keys(database) == [SECOND, THIRD]


@pytest.mark.parametrize(
    ("flag", "said"),
    [
        (["--team", "t0second"], "'t0second' is not a Slack team ID"),
        (["--team", "../T0SECOND"], "is not a Slack team ID"),
        (["--team", "E0SECOND"], "E0SECOND is not a workspace's team ID"),
        (["--enterprise", "T0SECOND"], "T0SECOND is not an Enterprise Grid org ID"),
    ],
)
def test_a_key_that_is_not_a_slack_id_is_refused_by_the_parser(
    flag: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["grant", "UNEW00001", "global_admin", *flag])

    assert exit_.value.code == 2
    assert said in capsys.readouterr().err


async def test_tenant_list_names_every_workspace_and_whether_it_is_suspended(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await asyncio.to_thread(run, "tenant", "list") == 0

    assert capsys.readouterr().out.splitlines() == [
        "workspace T0BASE: the base database (DATABASE_URL); active",
        "workspace T0SECOND: a store of its own (T0SECOND); active",
        "workspace T0THIRD: a store of its own (T0THIRD); suspended since 2026-03-01 00:00 "
        "UTC (uninstalled)",
    ]


async def test_tenant_export_of_the_base_workspace_leaves_out_the_others_installations(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await asyncio.to_thread(run, "tenant", "export", "--team", BASE) == 0

    exported = json.loads(capsys.readouterr().out)

    assert exported["tables"]["installations"] == []
    assert [b["id"] for b in exported["tables"]["benefits"]] == ["b-t0base"]


async def test_tenant_export_of_a_workspaces_own_store_writes_its_data_alone(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "third.json"

    code = await asyncio.to_thread(run, "tenant", "export", "--team", THIRD, "--out", str(out))

    assert code == 0, capsys.readouterr().err
    exported = json.loads(out.read_text())
    assert exported["workspace"]["team_id"] == THIRD
    assert exported["workspace"]["suspended_reason"] == "uninstalled"
    assert [b["id"] for b in exported["tables"]["benefits"]] == ["b-t0third"]
    assert [r["user_id"] for r in exported["tables"]["roles"]] == [ADMINS[THIRD]]
    assert "ABCDE-" not in out.read_text()


async def test_tenant_delete_of_a_workspaces_own_store_drops_it_and_nothing_else(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await asyncio.to_thread(run, "tenant", "delete", "--team", SECOND, "--yes")

    assert code == 0, capsys.readouterr().err
    assert (
        "deleted its store and its installation: the data of workspace T0SECOND is gone"
        in capsys.readouterr().out
    )
    assert await tenant_keys(database) == [THIRD]
    async with stores(database) as held, held[BASE].read() as uow:
        assert await uow.installations.all() == []
    assert await benefits(database) == {BASE: ORIGINAL[BASE], THIRD: ORIGINAL[THIRD]}


async def test_tenant_delete_of_the_base_workspace_erases_its_rows_and_keeps_the_others_installations(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await asyncio.to_thread(run, "tenant", "delete", "--team", BASE, "--yes")

    assert code == 0, capsys.readouterr().err
    assert await benefits(database) == {BASE: [], SECOND: ORIGINAL[SECOND], THIRD: ORIGINAL[THIRD]}
    async with stores(database) as held, held[BASE].read() as uow:
        assert [i.key for i in await uow.installations.all()] == [(None, SECOND)]
        assert await uow.tenant_state.get() is None


async def test_rotate_key_re_encrypts_the_product_keys_of_every_workspace(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BENEFITS_ENCRYPTION_KEY", f"{NEW_KEY},{KEY}")

    code = await asyncio.to_thread(run, "rotate-key")

    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "re-encrypted 3 product keys in 3 workspaces' data" in captured.out
    for team in (BASE, SECOND, THIRD):
        assert f"workspace {team}: re-encrypted 1 product key" in captured.err
    only_new = KeyVault([NEW_KEY])
    async with stores(database) as held:
        for team, store in held.items():
            async with store.read() as uow:
                [(_, _, ciphertext)] = await uow.keys.all_ciphertexts()
            assert only_new.decrypt(ciphertext) == PRODUCT_KEY.format(team[-5:])
    assert KEY not in captured.out + captured.err
    assert NEW_KEY not in captured.out + captured.err


def schema_1_sqlite(path: Path) -> None:
    """A workspace's store left at the first migration."""
    path.parent.mkdir(exist_ok=True)
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.create_function("py_casefold", 1, str.casefold)
        for statement in split_statements(MIGRATIONS[0]):
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")


async def schema_1_postgres(url: str, schema: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        await conn.execute(f'SET search_path TO "{schema}"')
        await conn.execute(PG_MIGRATIONS[0])
        await conn.execute(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY,"
            " applied_at timestamptz NOT NULL DEFAULT now());"
            "INSERT INTO schema_migrations (version) VALUES (1);"
        )
    finally:
        await conn.close()


async def test_migrate_brings_every_workspaces_store_up_to_date(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "T0OLD"
    base = await open_store(database)
    tenants = await open_tenants(base)
    try:
        if isinstance(tenants, PostgresTenants):
            await schema_1_postgres(database, tenants.schema_of(key))
        else:
            schema_1_sqlite(Path(tenants.url(key).removeprefix("sqlite:///")))
    finally:
        await tenants.close()
        await base.close()

    code = await asyncio.to_thread(run, "migrate")

    lines = capsys.readouterr().err.splitlines()
    assert code == 0, lines
    assert lines[0].startswith("the base database is up to date (version ")
    assert lines[1].startswith("T0OLD (1 of 3) went from version 1 to ")
    assert lines[2].startswith("T0SECOND (2 of 3) is up to date")
    assert lines[3].startswith("T0THIRD (3 of 3) is up to date")
    async with stores(database) as held, held[key].read() as uow:
        assert await uow.benefits.all() == []


async def test_copy_db_refuses_a_source_with_workspaces_stores_and_copies_nothing(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "copy.db"

    code = await asyncio.to_thread(run, "copy-db", database, f"sqlite:///{target}")

    assert code == 2
    assert capsys.readouterr().err.strip() == (
        "error: the source holds the data of 2 more workspaces in stores of their own "
        "(T0SECOND, T0THIRD); copy-db copies the base database alone, and copying "
        "workspaces' stores is not supported yet; nothing was copied"
    )
    assert not target.exists()
