"""``benefits-bot tenant export|delete``: a workspace's data for a data request, on a SQLite
file and on PostgreSQL, through the command's own ``main``."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.domain.clock import FakeClock
from bot.domain.model import Benefit, Category, Role
from bot.domain.tenancy import Reason
from bot.runtime.bootstrap import build_services
from bot.runtime.installations import from_installation
from bot.services.installations import InstallationService
from bot.services.keys import KeyVault
from storage import open_store
from tests.unit.test_installations import BOT_TOKEN, workspace_install

ADMIN = "UADMIN001"
KEY = KeyVault.generate_key()
PRODUCT_KEY = "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY"


@pytest.fixture
async def company(url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A workspace installed with Add to Slack, with a benefit, its product key, an admin."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("BENEFITS_ENCRYPTION_KEY", KEY)
    clock = FakeClock(datetime(2026, 3, 1, tzinfo=UTC))
    vault = KeyVault([KEY])
    store = await open_store(url)
    try:
        services = build_services(store, clock=clock, vault=vault)
        await InstallationService(store, clock=clock, vault=vault).save_sole(
            from_installation(workspace_install(team_id="T0CONTOSO"))
        )
        async with store.write() as uow:
            await uow.benefits.put(Benefit("win11", "Windows 11", Category.SOFTWARE, 2))
            await uow.keys.put("win11", [vault.encrypt(PRODUCT_KEY)])
        await services.roles.bootstrap_grant(ADMIN, Role.GLOBAL_ADMIN)
        await services.tenancy.suspend(Reason.UNINSTALLED, team_id="T0CONTOSO", named=True)
    finally:
        await store.close()
    return url


def run(*args: str) -> int:
    return main(list(args))


async def test_export_writes_every_table_as_json_without_keys_or_tokens(
    company: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "contoso.json"

    code = await asyncio.to_thread(
        run, "tenant", "export", "--team", "T0CONTOSO", "--out", str(out)
    )

    assert code == 0, capsys.readouterr().err
    err = capsys.readouterr().err
    assert f"to {out}" in err
    assert "workspace T0CONTOSO" in err
    text = out.read_text()
    exported = json.loads(text)
    assert exported["workspace"]["team_id"] == "T0CONTOSO"
    assert exported["workspace"]["suspended_reason"] == "uninstalled"
    tables = exported["tables"]
    assert [b["id"] for b in tables["benefits"]] == ["win11"]
    assert [r["user_id"] for r in tables["roles"]] == [ADMIN]
    assert [t["team_id"] for t in tables["tenants"]] == ["T0CONTOSO"]
    assert "oauth_states" not in tables
    assert exported["left_out"]["columns"]["installations"] == ["bot_refresh_token", "bot_token"]
    [kept] = tables["product_keys"]  # which benefit holds a key, and where: not the key
    assert sorted(kept) == ["benefit_id", "position"]
    assert BOT_TOKEN not in text
    assert PRODUCT_KEY not in text


async def test_export_to_standard_output(company: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await asyncio.to_thread(run, "tenant", "export", "--team", "T0CONTOSO") == 0

    exported = json.loads(capsys.readouterr().out)

    assert [b["id"] for b in exported["tables"]["benefits"]] == ["win11"]


@pytest.mark.parametrize("action", ["export", "delete"])
async def test_another_workspace_is_refused_in_one_line_and_nothing_is_done(
    company: str, action: str, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = ["--yes"] if action == "delete" else []

    code = await asyncio.to_thread(run, "tenant", action, "--team", "T0FABRIKAM", *extra)

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.strip() == (
        "error: no data for workspace T0FABRIKAM in this database "
        "(`benefits-bot tenant list` names the workspaces it holds)"
    )
    assert await benefits(company) == ["win11"]


async def test_an_org_is_named_with_enterprise_and_a_workspace_is_not(
    company: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await asyncio.to_thread(run, "tenant", "delete", "--enterprise", "E0CONTOSO", "--yes")

    assert code == 2
    assert "no data for org E0CONTOSO in this database" in capsys.readouterr().err
    assert await benefits(company) == ["win11"]


async def test_delete_asks_first_and_a_no_deletes_nothing(
    company: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))

    code = await asyncio.to_thread(run, "tenant", "delete", "--team", "T0CONTOSO")

    assert code == 1
    err = capsys.readouterr().err
    assert "Delete all the data of workspace T0CONTOSO" in err
    assert "nothing was deleted" in err
    assert await benefits(company) == ["win11"]


async def test_delete_with_a_yes_deletes_all_of_the_workspaces_data(
    company: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))

    code = await asyncio.to_thread(run, "tenant", "delete", "--team", "T0CONTOSO")

    assert code == 0, capsys.readouterr().err
    assert "the data of workspace T0CONTOSO is gone" in capsys.readouterr().out
    assert await benefits(company) == []
    store = await open_store(company)
    try:
        async with store.read() as uow:
            assert await uow.installations.all() == []
            assert await uow.tenant_state.get() is None
            assert await uow.people.role_holders(Role.GLOBAL_ADMIN) == []
    finally:
        await store.close()


def test_a_team_id_that_is_not_one_is_refused_by_the_parser(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["tenant", "export", "--team", "contoso"])
    assert exit_.value.code == 2
    assert "'contoso' is not a Slack team ID" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["tenant", "delete", "--team", "E0CONTOSO"])
    assert exit_.value.code == 2
    assert "E0CONTOSO is not a workspace's team ID" in capsys.readouterr().err


async def benefits(url: str) -> list[str]:
    store = await open_store(url)
    try:
        async with store.read() as uow:
            return [b.id for b in await uow.benefits.all()]
    finally:
        await store.close()
