"""The installation and OAuth state stores Bolt's OAuth flow will use, over the bot's database.

Each test runs on a SQLite file and on PostgreSQL (skipped without a server,
failed under CI), through slack_sdk's own interfaces (``AsyncInstallationStore``,
``AsyncOAuthStateStore``) with slack_sdk's ``Installation`` and ``Bot`` as Bolt
makes them from ``oauth.v2.access``, and once through Bolt's own ``AsyncOAuthFlow``
(with ``oauth.v2.access`` and ``auth.test`` answered in Slack's wire format).
The at-rest tests read the raw rows.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import pytest
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator

from bot.domain.clock import FakeClock
from bot.domain.installations import BotInstallation
from bot.runtime.installations import (
    DatabaseInstallationStore,
    DatabaseOAuthStateStore,
    MissingBotToken,
    OtherWorkspaceRefused,
    from_installation,
)
from bot.runtime.oauth import InstalledToken, NotInstalled
from bot.services.installations import (
    InstallationService,
    TokensUnreadable,
    rotate_installation_tokens,
)
from bot.services.keys import KeyVault
from storage.postgres import open_postgres
from storage.sqlite import open_sqlite
from storage.unit_of_work import Store
from tests.postgres import empty_schema

OLD_KEY = KeyVault.generate_key()
NEW_KEY = KeyVault.generate_key()
BOT_TOKEN = "xoxb-1111-2222-workspace-secret"
ORG_TOKEN = "xoxb-9999-8888-org-secret"
REFRESH = "xoxe-1-refresh-secret"
ROTATED = "xoxe.xoxb-1-rotated-secret"
ROTATED_REFRESH = "xoxe-1-refresh-rotated-secret"
SECRETS = (BOT_TOKEN, ORG_TOKEN, REFRESH, ROTATED, ROTATED_REFRESH)
SCOPES = "commands,chat:write,users:read,users:read.email"
INSTALLED = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def workspace_install(**changes: Any) -> Installation:
    """A workspace install as Bolt's ``run_installation`` makes it from oauth.v2.access."""
    fields: dict[str, Any] = {
        "app_id": "A0APP",
        "enterprise_id": None,
        "team_id": "T0CONTOSO",
        "team_name": "Contoso",
        "bot_token": BOT_TOKEN,
        "bot_id": "B0BOT",
        "bot_user_id": "U0BOT",
        "bot_scopes": SCOPES,
        "user_id": "U0INSTALLER",
        "is_enterprise_install": False,
        "token_type": "bot",
        "installed_at": INSTALLED.timestamp(),
    }
    fields.update(changes)
    return Installation(**fields)


def org_install() -> Installation:
    """An org-wide install of Enterprise Grid: no team, the org's id."""
    return Installation(
        app_id="A0APP",
        enterprise_id="E0FABRIKAM",
        enterprise_name="Fabrikam Group",
        team_id=None,
        bot_token=ORG_TOKEN,
        bot_id="B0ORGBOT",
        bot_user_id="U0ORGBOT",
        bot_scopes=SCOPES,
        user_id="U0ORGADMIN",
        is_enterprise_install=True,
        token_type="bot",
        installed_at=INSTALLED.timestamp(),
    )


@dataclass
class Place:
    store: Store
    clock: FakeClock
    vault: KeyVault
    installations: DatabaseInstallationStore
    states: DatabaseOAuthStateStore
    raw: Callable[[str], Awaitable[list[tuple[Any, ...]]]]


def make_place(store: Store, raw: Callable[[str], Awaitable[list[tuple[Any, ...]]]]) -> Place:
    clock = FakeClock()
    vault = KeyVault([OLD_KEY])
    service = InstallationService(store, clock=clock, vault=vault)
    return Place(
        store,
        clock,
        vault,
        DatabaseInstallationStore(service),
        DatabaseOAuthStateStore(service),
        raw,
    )


@pytest.fixture(params=["sqlite", "postgres"])
async def place(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Place]:
    if request.param == "postgres":
        url = await empty_schema()
        store: Store = await open_postgres(url, pool_size=4)

        async def raw(query: str) -> list[tuple[Any, ...]]:
            conn = await asyncpg.connect(url)
            try:
                return [tuple(row) for row in await conn.fetch(query)]
            finally:
                await conn.close()

    else:
        path = tmp_path / "installations.db"
        store = await open_sqlite(path)

        async def raw(query: str) -> list[tuple[Any, ...]]:
            with sqlite3.connect(path) as conn:
                return conn.execute(query).fetchall()

    try:
        yield make_place(store, raw)
    finally:
        await store.close()


# -- installations ------------------------------------------------------------


async def test_a_workspace_install_is_found_by_find_installation_and_find_bot_as_bolt_asks(
    place: Place,
) -> None:
    await place.installations.async_save(workspace_install())
    found = await place.installations.async_find_installation(
        enterprise_id=None, team_id="T0CONTOSO", is_enterprise_install=False
    )
    bot = await place.installations.async_find_bot(
        enterprise_id=None, team_id="T0CONTOSO", is_enterprise_install=False
    )
    assert found is not None
    assert bot is not None
    assert (found.bot_token, found.bot_id, found.bot_user_id) == (BOT_TOKEN, "B0BOT", "U0BOT")
    assert list(found.bot_scopes or []) == SCOPES.split(",")
    assert (found.user_id, found.team_id, found.team_name, found.app_id) == (
        "U0INSTALLER",
        "T0CONTOSO",
        "Contoso",
        "A0APP",
    )
    assert found.installed_at == INSTALLED.timestamp()
    assert found.is_enterprise_install is False
    assert (bot.bot_token, bot.bot_id, bot.bot_user_id, bot.team_id) == (
        BOT_TOKEN,
        "B0BOT",
        "U0BOT",
        "T0CONTOSO",
    )
    assert await place.installations.async_find_bot(enterprise_id=None, team_id="T0OTHER") is None


async def test_an_org_wide_install_is_found_from_any_workspace_of_its_org_and_no_other(
    place: Place,
) -> None:
    await place.installations.async_save(org_install())
    # Bolt passes the request's team along with is_enterprise_install from the payload.
    from_sales = await place.installations.async_find_installation(
        enterprise_id="E0FABRIKAM", team_id="T0SALES", is_enterprise_install=True
    )
    from_support = await place.installations.async_find_bot(
        enterprise_id="E0FABRIKAM", team_id="T0SUPPORT", is_enterprise_install=True
    )
    without_team = await place.installations.async_find_bot(
        enterprise_id="E0FABRIKAM", team_id=None, is_enterprise_install=False
    )
    # A payload that does not say it comes from an org-wide install still finds it.
    unflagged = await place.installations.async_find_bot(
        enterprise_id="E0FABRIKAM", team_id="T0LEGAL", is_enterprise_install=False
    )
    other_org = await place.installations.async_find_bot(
        enterprise_id="E0OTHER", team_id="T0SALES", is_enterprise_install=True
    )
    no_org = await place.installations.async_find_bot(
        enterprise_id=None, team_id="T0SALES", is_enterprise_install=False
    )
    assert from_sales is not None
    assert (from_sales.bot_token, from_sales.team_id, from_sales.enterprise_id) == (
        ORG_TOKEN,
        None,
        "E0FABRIKAM",
    )
    assert from_sales.is_enterprise_install is True
    assert from_sales.user_id == "U0ORGADMIN"
    assert [b.bot_token if b else None for b in (from_support, without_team, unflagged)] == [
        ORG_TOKEN
    ] * 3
    assert (other_org, no_org) == (None, None)


async def test_a_workspace_of_an_org_with_its_own_install_is_served_by_its_own(
    place: Place,
) -> None:
    await place.installations.async_save(org_install())
    await place.installations.async_save(
        workspace_install(enterprise_id="E0FABRIKAM", team_id="T0SALES")
    )
    own = await place.installations.async_find_bot(
        enterprise_id="E0FABRIKAM", team_id="T0SALES", is_enterprise_install=False
    )
    org = await place.installations.async_find_bot(
        enterprise_id="E0FABRIKAM", team_id="T0SALES", is_enterprise_install=True
    )
    assert own is not None
    assert org is not None
    assert (own.bot_token, org.bot_token) == (BOT_TOKEN, ORG_TOKEN)


async def test_a_person_other_than_the_installer_has_no_installation_of_their_own(
    place: Place,
) -> None:
    await place.installations.async_save(workspace_install())
    mine = await place.installations.async_find_installation(
        enterprise_id=None, team_id="T0CONTOSO", user_id="U0INSTALLER"
    )
    theirs = await place.installations.async_find_installation(
        enterprise_id=None, team_id="T0CONTOSO", user_id="U0SOMEONE"
    )
    assert mine is not None
    assert mine.bot_token == BOT_TOKEN
    assert theirs is None


async def test_the_tokens_are_kept_only_as_ciphertexts_the_vault_decrypts(place: Place) -> None:
    await place.installations.async_save(
        workspace_install(bot_refresh_token=REFRESH, bot_token_expires_in=43200)
    )
    await place.installations.async_save(org_install())
    rows = await place.raw("SELECT * FROM installations")
    dumped = repr(rows)
    assert len(rows) == 2
    for secret in SECRETS:
        assert secret not in dumped
    [token, refresh] = (
        await place.raw(
            "SELECT bot_token, bot_refresh_token FROM installations WHERE team_id = 'T0CONTOSO'"
        )
    )[0]
    assert (place.vault.decrypt(token), place.vault.decrypt(refresh)) == (BOT_TOKEN, REFRESH)


async def test_a_rotated_installation_replaces_the_stored_tokens(place: Place) -> None:
    """Bolt's authorize: find_installation, rotate through oauth.v2.access, async_save."""
    soon = int(time.time()) + 60
    await place.installations.async_save(
        workspace_install(bot_refresh_token=REFRESH, bot_token_expires_at=soon)
    )
    before = await place.raw("SELECT bot_token, bot_refresh_token FROM installations")

    class RefreshingSlack:
        async def oauth_v2_access(self, **kwargs: Any) -> dict[str, Any]:
            assert kwargs["refresh_token"] == REFRESH
            return {
                "ok": True,
                "token_type": "bot",
                "access_token": ROTATED,
                "refresh_token": ROTATED_REFRESH,
                "expires_in": 43200,
            }

    rotator = AsyncTokenRotator(client_id="111.222", client_secret="s", client=RefreshingSlack())  # type: ignore[arg-type]
    current = await place.installations.async_find_installation(
        enterprise_id=None, team_id="T0CONTOSO"
    )
    assert current is not None
    refreshed = await rotator.perform_token_rotation(installation=current)
    assert refreshed is not None
    await place.installations.async_save(refreshed)
    found = await place.installations.async_find_installation(
        enterprise_id=None, team_id="T0CONTOSO"
    )
    after = await place.raw("SELECT bot_token, bot_refresh_token FROM installations")
    assert found is not None
    assert (found.bot_token, found.bot_refresh_token) == (ROTATED, ROTATED_REFRESH)
    assert found.bot_token_expires_at is not None
    assert found.bot_token_expires_at > soon
    assert found.user_id == "U0INSTALLER"
    assert len(after) == 1
    assert set(after[0]).isdisjoint(before[0])


async def test_a_bot_rotated_on_the_bot_only_path_keeps_its_installer(place: Place) -> None:
    await place.installations.async_save(workspace_install(bot_refresh_token=REFRESH))
    bot = await place.installations.async_find_bot(enterprise_id=None, team_id="T0CONTOSO")
    assert bot is not None
    refreshed = Bot(**bot.to_dict_for_copying())
    refreshed.bot_token, refreshed.bot_refresh_token = ROTATED, ROTATED_REFRESH
    await place.installations.async_save_bot(refreshed)
    found = await place.installations.async_find_installation(
        enterprise_id=None, team_id="T0CONTOSO"
    )
    assert found is not None
    assert (found.bot_token, found.bot_refresh_token, found.user_id) == (
        ROTATED,
        ROTATED_REFRESH,
        "U0INSTALLER",
    )


async def test_uninstalling_deletes_the_installation_but_a_persons_revoked_tokens_do_not(
    place: Place,
) -> None:
    await place.installations.async_save(workspace_install())
    await place.installations.async_save(org_install())
    # tokens_revoked for a person: the bot keeps no person's token, the bot's stays.
    await place.installations.async_delete_installation(
        enterprise_id=None, team_id="T0CONTOSO", user_id="U0INSTALLER"
    )
    kept = await place.installations.async_find_bot(enterprise_id=None, team_id="T0CONTOSO")
    # app_uninstalled: Bolt deletes everything of the workspace.
    await place.installations.async_delete_all(enterprise_id=None, team_id="T0CONTOSO")
    gone = await place.installations.async_find_installation(
        enterprise_id=None, team_id="T0CONTOSO"
    )
    org = await place.installations.async_find_bot(
        enterprise_id="E0FABRIKAM", team_id="T0SALES", is_enterprise_install=True
    )
    await place.installations.async_delete_bot(enterprise_id="E0FABRIKAM", team_id=None)
    org_gone = await place.installations.async_find_bot(
        enterprise_id="E0FABRIKAM", team_id="T0SALES", is_enterprise_install=True
    )
    assert kept is not None
    assert gone is None
    assert org is not None
    assert org_gone is None
    assert await place.raw("SELECT * FROM installations") == []


async def test_an_installation_without_a_bot_token_is_refused_and_nothing_is_kept(
    place: Place,
) -> None:
    with pytest.raises(MissingBotToken, match="workspace T0CONTOSO has no bot token"):
        await place.installations.async_save(workspace_install(bot_token=None))
    assert await place.raw("SELECT * FROM installations") == []


async def test_rotating_the_encryption_key_re_encrypts_every_token(place: Place) -> None:
    await place.installations.async_save(workspace_install(bot_refresh_token=REFRESH))
    await place.installations.async_save(org_install())
    assert await rotate_installation_tokens(place.store, KeyVault([NEW_KEY, OLD_KEY])) == 2
    only_new = InstallationService(place.store, clock=place.clock, vault=KeyVault([NEW_KEY]))
    workspace = await only_new.find(None, "T0CONTOSO")
    org = await only_new.find("E0FABRIKAM", None, is_enterprise_install=True)
    assert workspace is not None
    assert org is not None
    assert (workspace.bot_token, workspace.bot_refresh_token, org.bot_token) == (
        BOT_TOKEN,
        REFRESH,
        ORG_TOKEN,
    )


async def test_tokens_under_another_key_are_refused_naming_the_workspace_not_the_token(
    place: Place,
) -> None:
    await place.installations.async_save(workspace_install())
    stranger = InstallationService(place.store, clock=place.clock, vault=KeyVault([NEW_KEY]))
    with pytest.raises(TokensUnreadable) as refused:
        await DatabaseInstallationStore(stranger).async_find_bot(
            enterprise_id=None, team_id="T0CONTOSO"
        )
    assert "workspace T0CONTOSO" in str(refused.value)
    assert "BENEFITS_ENCRYPTION_KEY" in str(refused.value)
    assert BOT_TOKEN not in str(refused.value)


async def test_no_repr_and_no_log_line_shows_a_token(
    place: Place, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    installation = workspace_install(bot_refresh_token=REFRESH, user_token="xoxp-user-secret")
    mine = from_installation(installation)
    await place.installations.async_save(installation)
    found = await place.installations.async_find_installation(
        enterprise_id=None, team_id="T0CONTOSO"
    )
    bot = await place.installations.async_find_bot(enterprise_id=None, team_id="T0CONTOSO")
    await place.installations.async_delete_all(enterprise_id=None, team_id="T0CONTOSO")
    async with place.store.read() as uow:
        sealed = await uow.installations.get(None, "T0CONTOSO")
    shown = " ".join([repr(mine), str(mine), repr(found), repr(bot), repr(sealed), caplog.text])
    assert "saved the installation in workspace T0CONTOSO" in caplog.text
    assert "user token is not kept" in caplog.text
    assert "T0CONTOSO" in repr(mine)
    for secret in (*SECRETS, "xoxp-user-secret"):
        assert secret not in shown


def test_a_bot_installation_keeps_its_tokens_out_of_repr() -> None:
    installation = BotInstallation(
        enterprise_id="E1",
        team_id=None,
        is_enterprise_install=True,
        installed_at=INSTALLED,
        bot_token=BOT_TOKEN,
        bot_refresh_token=REFRESH,
    )
    assert BOT_TOKEN not in repr(installation)
    assert REFRESH not in repr(installation)
    assert installation.key == ("E1", None)


async def test_bolts_oauth_flow_saves_the_install_and_refuses_its_state_a_second_time(
    place: Place,
) -> None:
    class Slack:
        """oauth.v2.access and auth.test, answered as Slack answers a workspace install."""

        async def oauth_v2_access(self, **kwargs: Any) -> dict[str, Any]:
            assert kwargs["code"] == "code-from-slack"
            return {
                "ok": True,
                "app_id": "A0APP",
                "authed_user": {"id": "U0INSTALLER"},
                "scope": SCOPES,
                "token_type": "bot",
                "access_token": BOT_TOKEN,
                "bot_user_id": "U0BOT",
                "team": {"id": "T0CONTOSO", "name": "Contoso"},
                "enterprise": None,
                "is_enterprise_install": False,
            }

        async def auth_test(self, **kwargs: Any) -> dict[str, Any]:
            return {"ok": True, "bot_id": "B0BOT", "user_id": "U0BOT", "team_id": "T0CONTOSO"}

    settings = AsyncOAuthSettings(
        client_id="111.222",
        client_secret="client-secret",
        scopes=SCOPES.split(","),
        installation_store=place.installations,
        state_store=place.states,
        install_page_rendering_enabled=False,
    )
    flow = AsyncOAuthFlow(client=Slack(), settings=settings)  # type: ignore[arg-type]
    started = await flow.handle_installation(AsyncBoltRequest(body="", query={}, headers={}))
    state = parse_qs(urlsplit(started.headers["location"][0]).query)["state"][0]
    cookie = started.headers["set-cookie"][0].split(";")[0]

    def callback() -> AsyncBoltRequest:
        return AsyncBoltRequest(
            body="",
            query={"code": "code-from-slack", "state": state},
            headers={"cookie": cookie},
        )

    done = await flow.handle_callback(callback())
    bot = await place.installations.async_find_bot(enterprise_id=None, team_id="T0CONTOSO")
    replayed = await flow.handle_callback(callback())
    assert started.status == 302
    assert done.status == 200
    assert bot is not None
    assert (bot.bot_token, bot.bot_id, bot.team_name) == (BOT_TOKEN, "B0BOT", "Contoso")
    assert replayed.status == 401
    assert BOT_TOKEN not in repr(await place.raw("SELECT * FROM installations"))


# -- OAuth states -------------------------------------------------------------


async def test_an_issued_state_is_consumed_once(place: Place) -> None:
    state = await place.states.async_issue()
    other = await place.states.async_issue()
    assert state != other
    assert len(state) >= 40
    assert await place.states.async_consume(state) is True
    assert await place.states.async_consume(state) is False
    assert await place.states.async_consume(other) is True


async def test_an_expired_state_is_refused(place: Place) -> None:
    state = await place.states.async_issue()
    place.clock.advance(timedelta(minutes=10))
    assert await place.states.async_consume(state) is False


async def test_a_state_is_still_good_just_before_it_expires(place: Place) -> None:
    state = await place.states.async_issue()
    place.clock.advance(timedelta(minutes=9, seconds=59))
    assert await place.states.async_consume(state) is True


@pytest.mark.parametrize("forged", ["", "made-up-state", "x" * 10_000])
async def test_a_forged_state_is_refused(place: Place, forged: str) -> None:
    await place.states.async_issue()
    assert await place.states.async_consume(forged) is False


async def test_issuing_a_state_forgets_the_expired_ones(place: Place) -> None:
    await place.states.async_issue()
    await place.states.async_issue()
    place.clock.advance(timedelta(hours=1))
    fresh = await place.states.async_issue()
    assert [row[0] for row in await place.raw("SELECT state FROM oauth_states")] == [fresh]


async def test_two_replicas_consuming_the_same_states_at_once_consume_each_exactly_once() -> None:
    url = await empty_schema()
    stores = [await open_postgres(url, pool_size=6) for _ in range(2)]
    try:
        one, two = (make_place(store, raw=_no_raw) for store in stores)
        states = [await one.states.async_issue() for _ in range(10)]
        answers = await asyncio.gather(
            *(
                replica.states.async_consume(state)
                for state in states
                for replica in (one, two, one, two)
            )
        )
    finally:
        for store in stores:
            await store.close()
    per_state = [answers[i * 4 : i * 4 + 4] for i in range(len(states))]
    assert [tries.count(True) for tries in per_state] == [1] * len(states)


async def _no_raw(query: str) -> list[tuple[Any, ...]]:
    raise AssertionError("not read here")


# -- one workspace per database (Add to Slack before tenancy: bot.runtime.oauth) -------------


def sole_store(place: Place) -> tuple[InstallationService, DatabaseInstallationStore]:
    service = InstallationService(place.store, clock=place.clock, vault=place.vault)
    return service, DatabaseInstallationStore(service, single_workspace=True)


async def test_of_two_first_installs_into_different_workspaces_at_once_one_is_kept(
    place: Place,
) -> None:
    _, one = sole_store(place)
    _, other = sole_store(place)  # another replica
    contoso = workspace_install()
    fabrikam = workspace_install(team_id="T0FABRIKAM", team_name="Fabrikam", bot_token=ORG_TOKEN)

    outcomes = await asyncio.gather(
        one.async_save(contoso), other.async_save(fabrikam), return_exceptions=True
    )

    refused = [o for o in outcomes if isinstance(o, OtherWorkspaceRefused)]
    assert len(refused) == 1, outcomes
    async with place.store.read() as uow:
        [kept] = await uow.installations.all()
    assert kept.team_id == ("T0FABRIKAM" if outcomes[0] is refused[0] else "T0CONTOSO")
    assert BOT_TOKEN not in str(refused[0])


async def test_installing_again_into_the_one_workspace_replaces_it(place: Place) -> None:
    service, store = sole_store(place)
    await store.async_save(workspace_install())

    await store.async_save(workspace_install(bot_token=ROTATED, user_id="U0OTHER"))

    kept = await service.sole()
    assert kept is not None
    assert (kept.bot_token, kept.installer_user_id) == (ROTATED, "U0OTHER")


async def test_the_installed_token_is_read_again_after_a_while_and_replaced_at_once_on_save(
    place: Place,
) -> None:
    service = InstallationService(place.store, clock=place.clock, vault=place.vault)
    now = [0.0]
    token = InstalledToken(service, reload_every=300, monotonic=lambda: now[0])
    elsewhere = DatabaseInstallationStore(service)  # another process
    assert await token.load() is None
    with pytest.raises(NotInstalled):
        await token.token()

    await token.store.async_save(workspace_install())
    assert token.installed.is_set()
    assert await token.token() == BOT_TOKEN
    await elsewhere.async_save(workspace_install(bot_token=ROTATED))
    now[0] = 299.0
    assert await token.token() == BOT_TOKEN  # kept in memory
    now[0] = 300.0
    assert await token.token() == ROTATED  # read again
