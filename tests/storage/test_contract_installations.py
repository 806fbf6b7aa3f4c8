"""The installations port and the OAuth states port, on every store.

Each test runs once per store (``[file]``, ``[throwaway]``, ``[postgres]``, see
``conftest.py``), but the last, which copies a SQLite file to PostgreSQL and back. The ports keep whatever ciphertexts they are given: these
tests use stand-ins, since encrypting is the service's business.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.cli.main import main
from bot.domain.installations import SealedInstallation
from storage import open_store
from storage.unit_of_work import Store
from tests.postgres import fresh_schema
from tests.storage.test_migrations import dump

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


WORKSPACE = SealedInstallation(
    enterprise_id=None,
    team_id="T0001",
    app_id="A0001",
    team_name="Contoso",
    bot_id="B0001",
    bot_user_id="U0BOT1",
    bot_scopes=("commands", "chat:write", "users:read"),
    installer_user_id="U0ADMIN",
    installed_at=at(0),
    bot_token_ciphertext="sealed-token-1",
)
ROTATING = SealedInstallation(
    enterprise_id="E0001",
    team_id="T0002",
    enterprise_name="Fabrikam Group",
    team_name="Fabrikam Sales",
    bot_id="B0002",
    bot_user_id="U0BOT2",
    bot_scopes=("commands",),
    bot_token_expires_at=at(720),
    installer_user_id="U0OWNER",
    installed_at=at(1),
    bot_token_ciphertext="sealed-token-2",
    bot_refresh_token_ciphertext="sealed-refresh-2",
)
ORG_WIDE = SealedInstallation(
    enterprise_id="E0001",
    team_id=None,
    is_enterprise_install=True,
    enterprise_name="Fabrikam Group",
    bot_id="B0003",
    bot_user_id="U0BOT3",
    installer_user_id="U0ORGADMIN",
    installed_at=at(2),
    bot_token_ciphertext="sealed-token-3",
)


async def test_an_installation_comes_back_with_every_field_under_its_own_key_only(
    store: Store,
) -> None:
    async with store.write() as uow:
        for installation in (WORKSPACE, ROTATING, ORG_WIDE):
            await uow.installations.put(installation)
    async with store.read() as uow:
        found = [
            await uow.installations.get(None, "T0001"),
            await uow.installations.get("E0001", "T0002"),
            await uow.installations.get("E0001", None),
        ]
        elsewhere = [
            await uow.installations.get("E0001", "T0001"),
            await uow.installations.get(None, "T0002"),
            await uow.installations.get(None, None),
            await uow.installations.get("E0002", None),
        ]
    # Equality covers the ciphertexts too: they are only left out of repr.
    assert found == [WORKSPACE, ROTATING, ORG_WIDE]
    assert elsewhere == [None, None, None, None]


async def test_putting_an_installation_again_replaces_its_tokens_and_installer(
    store: Store,
) -> None:
    rotated = replace(
        ROTATING,
        bot_token_ciphertext="sealed-token-2b",
        bot_refresh_token_ciphertext="sealed-refresh-2b",
        bot_token_expires_at=at(1440),
        installer_user_id="U0SECOND",
        bot_scopes=("commands", "chat:write"),
    )
    async with store.write() as uow:
        await uow.installations.put(ROTATING)
    async with store.write() as uow:
        await uow.installations.put(rotated)
    async with store.read() as uow:
        assert await uow.installations.get("E0001", "T0002") == rotated
        assert await uow.installations.all() == [rotated]


async def test_a_deleted_installation_is_gone_and_the_others_stay(store: Store) -> None:
    async with store.write() as uow:
        for installation in (WORKSPACE, ROTATING, ORG_WIDE):
            await uow.installations.put(installation)
    async with store.write() as uow:
        first = await uow.installations.delete("E0001", None)
        second = await uow.installations.delete("E0001", None)
    async with store.read() as uow:
        left = await uow.installations.all()
    assert (first, second) == (True, False)
    # Ordered by key, an absent enterprise first.
    assert left == [WORKSPACE, ROTATING]


async def test_a_write_that_rolls_back_keeps_no_installation(store: Store) -> None:
    class Abandon(Exception):
        pass

    try:
        async with store.write() as uow:
            await uow.installations.put(WORKSPACE)
            raise Abandon
    except Abandon:
        pass
    async with store.read() as uow:
        assert await uow.installations.all() == []


async def test_a_state_is_consumed_once_and_only_before_it_expires(store: Store) -> None:
    async with store.write() as uow:
        await uow.oauth_states.add("fresh", expires_at=at(10))
        await uow.oauth_states.add("stale", expires_at=at(10))
    async with store.write() as uow:
        first = await uow.oauth_states.consume("fresh", now=at(9))
        again = await uow.oauth_states.consume("fresh", now=at(9))
        expired = await uow.oauth_states.consume("stale", now=at(10))
        unknown = await uow.oauth_states.consume("never-issued", now=at(0))
    assert (first, again, expired, unknown) == (True, False, False, False)


async def test_purging_forgets_the_expired_states_only(store: Store) -> None:
    async with store.write() as uow:
        await uow.oauth_states.add("old", expires_at=at(5))
        await uow.oauth_states.add("older", expires_at=at(1))
        await uow.oauth_states.add("young", expires_at=at(30))
    async with store.write() as uow:
        purged = await uow.oauth_states.purge(now=at(5))
        again = await uow.oauth_states.purge(now=at(5))
    async with store.write() as uow:
        young = await uow.oauth_states.consume("young", now=at(6))
        old = await uow.oauth_states.consume("old", now=at(0))
    assert (purged, again, young, old) == (2, 0, True, False)


async def test_copy_db_carries_installations_and_states_to_postgres_and_back(
    tmp_path: Path,
) -> None:
    first, back = tmp_path / "first.db", tmp_path / "back.db"
    source = await open_store(f"sqlite:///{first}")
    try:
        async with source.write() as uow:
            for installation in (WORKSPACE, ROTATING, ORG_WIDE):
                await uow.installations.put(installation)
            await uow.oauth_states.add("pending", expires_at=at(10))
    finally:
        await source.close()
    async with fresh_schema() as pg_url:
        assert await asyncio.to_thread(main, ["copy-db", f"sqlite:///{first}", pg_url]) == 0
        pg = await open_store(pg_url)
        try:
            async with pg.write() as uow:
                on_postgres = await uow.installations.all()
                consumed = await uow.oauth_states.consume("pending", now=at(9))
        finally:
            await pg.close()
        assert await asyncio.to_thread(main, ["copy-db", pg_url, f"sqlite:///{back}"]) == 0
    assert on_postgres == [WORKSPACE, ORG_WIDE, ROTATING]  # by key, an absent id first
    assert consumed
    original = await dump(first)
    assert len(original["installations"]) == 3
    assert (await dump(back))["installations"] == original["installations"]
