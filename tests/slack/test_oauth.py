"""Installing the bot with Add to Slack: Slack's OAuth flow over HTTP, against the fake Slack.

The bot runs with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET and no bot token. A
person opens /slack/install, allows the install on Slack's page (the fake's
``authorize``), and Slack redirects their browser to /slack/oauth_redirect with a
code and the state, whose cookie the browser carries. One database serves every
workspace and Enterprise Grid org the bot is installed in, each from data of its
own. Runs on a SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import aiohttp
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from bot.blocks import ids
from bot.domain.clock import FakeClock
from bot.domain.installations import BotInstallation
from bot.domain.model import Benefit, Category, RequestStatus, Role
from bot.domain.outbox import PingState
from bot.runtime.logs import configure_logging
from bot.runtime.oauth import BOT_SCOPES, INSTALLER
from bot.runtime.server import RunningBot, start_bot
from bot.runtime.tenancy import Tenant
from bot.services.installations import InstallationService
from bot.services.reminders import Kind
from bot.settings import Settings, SettingsError
from storage import open_tenants
from tests.fakes.signing import (
    block_actions_body,
    event_body,
    slash_command_body,
    view_submission_body,
)
from tests.fakes.waiting import wait_until
from tests.fakes.web_api import FakeSlackWebApi, RecordedCall
from tests.slack.conftest import make_settings, on_both_engines, running_harness
from tests.slack.harness import BOT_TOKEN, Ack, SlackHarness, call_text
from tests.system.test_cli import clean_env, run_cli

CLIENT_ID = "1234567890.9876543210"
CLIENT_SECRET = "0123456789abcdef0123456789abcdef"
KEY = Fernet.generate_key().decode()
STATE_COOKIE = "slack-app-oauth-state"
INSTALLER_ID = "UINSTALL1"
MEMBER = "UMEMBER01"

database = pytest.fixture(params=["sqlite", "postgres"], name="database")(on_both_engines)


def oauth_settings(api_url: str, database: Path | str) -> Settings:
    return make_settings(
        api_url,
        database,
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        benefits_encryption_key=KEY,
    )


@pytest.fixture
async def harness(slack: FakeSlackWebApi, database: Path | str) -> AsyncIterator[SlackHarness]:
    slack.oauth_client = (CLIENT_ID, CLIENT_SECRET)
    async with running_harness(slack, oauth_settings(slack.api_url, database)) as h:
        yield h


@dataclass
class Page:
    status: int
    text: str
    cookies: SimpleCookie


def base(bot: RunningBot) -> str:
    return f"http://127.0.0.1:{bot.port}"


async def get(h: SlackHarness, path: str, *, cookie: str | None = None) -> Page:
    headers = {} if cookie is None else {"Cookie": f"{STATE_COOKIE}={cookie}"}
    async with h.session.get(base(h.bot) + path, headers=headers, allow_redirects=False) as resp:
        cookies: SimpleCookie = SimpleCookie()
        for header in resp.headers.getall("Set-Cookie", []):
            cookies.load(header)
        return Page(resp.status, await resp.text(), cookies)


async def health(h: SlackHarness) -> tuple[int, dict[str, Any]]:
    async with h.session.get(base(h.bot) + "/healthz") as resp:
        return resp.status, await resp.json()


async def open_install_page(h: SlackHarness) -> tuple[str, dict[str, list[str]]]:
    """The state the install page hands out (its cookie) and the query of its Slack link."""
    page = await get(h, "/slack/install")
    assert page.status == 200, page.text
    link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.text)
    assert link is not None, page.text
    query = parse_qs(urlparse(html.unescape(link[1])).query)
    return page.cookies[STATE_COOKIE].value, query


async def install(h: SlackHarness, user: str = INSTALLER_ID, **grant: Any) -> tuple[Page, str, str]:
    """Open the install page, allow the install on Slack, follow the redirect back.

    Returns the redirect page, the state and the code."""
    state, _ = await open_install_page(h)
    code = h.slack.authorize(user, scopes=BOT_SCOPES, **grant)
    page = await get(
        h, "/slack/oauth_redirect?" + urlencode({"code": code, "state": state}), cookie=state
    )
    return page, state, code


async def stored_installations(h: SlackHarness) -> list[Any]:
    async with h.bot.store.read() as uow:
        return await uow.installations.all()


def installed_token(h: SlackHarness, team_id: str = "T0001") -> str:
    [token] = [t for t, team in h.slack.issued_tokens().items() if team == team_id]
    return token


async def test_before_an_install_the_bot_serves_its_install_page_and_sends_nothing(
    harness: SlackHarness,
) -> None:
    h = harness
    status, body = await health(h)
    assert status == 200
    assert body["installed"] is False
    assert body["status"] == "awaiting install"

    state, query = await open_install_page(h)

    assert query["state"] == [state]
    assert query["client_id"] == [CLIENT_ID]
    assert set(query["scope"][0].split(",")) == set(BOT_SCOPES)
    assert not h.slack.calls  # no token to call Slack with: nothing starts before an install


async def test_before_an_install_slacks_check_of_the_request_url_is_answered(
    harness: SlackHarness,
) -> None:
    body = json.dumps({"token": "t", "challenge": "ch4llenge", "type": "url_verification"})

    ack = await harness.post(body)

    assert (ack.status, ack.json) == (200, {"challenge": "ch4llenge"})


async def test_an_install_saves_the_token_encrypted_and_the_bot_works_with_it(
    harness: SlackHarness,
) -> None:
    h = harness
    page, _, _ = await install(h)

    assert page.status == 200, page.text
    token = installed_token(h)
    [exchange] = h.slack.calls_to("oauth.v2.access")
    assert exchange.args["client_id"] == CLIENT_ID
    [kept] = await stored_installations(h)
    assert kept.team_id == "T0001"
    assert kept.installer_user_id == INSTALLER_ID
    assert token not in kept.bot_token_ciphertext
    assert Fernet(KEY.encode()).decrypt(kept.bot_token_ciphertext.encode()).decode() == token
    status, body = await health(h)
    assert (status, body["installed"], body["status"]) == (200, True, "ok")

    # The installer is the first Global admin: a request goes to them, with that token.
    await h.add_benefit("win11", "Windows 11 Enterprise", seats=2)
    ack = await h.command(MEMBER, "request win11 for the test lab")
    assert ack.status == 200
    assert "was sent" in ack.text, ack.text
    await h.settle()
    [approval] = [
        c
        for c in h.slack.calls_to("chat.postMessage", include_failed=False)
        if c.args.get("channel") == INSTALLER_ID and "win11" in call_text(c)
    ]
    assert approval.token == token
    sent = [c for c in h.slack.calls if c.method not in ("oauth.v2.access", "response_url")]
    assert sent
    assert {c.token for c in sent} == {token}
    # Bolt asks auth.test about the token once, not before each acknowledgement.
    checks = len(h.slack.calls_to("auth.test"))
    assert (await h.command(MEMBER, "mine")).status == 200
    assert len(h.slack.calls_to("auth.test")) == checks


async def test_the_installer_becomes_the_first_global_admin_audited_as_the_install(
    harness: SlackHarness,
) -> None:
    h = harness
    await install(h)

    async with h.bot.store.read() as uow:
        admins = await uow.people.role_holders(Role.GLOBAL_ADMIN)
        audit = await uow.audit.recent(10)
    assert admins == [INSTALLER_ID]
    assert [(e.actor, e.action, e.subject) for e in audit] == [
        (INSTALLER, "role.grant", f"user:{INSTALLER_ID}")
    ]


async def test_the_installer_is_welcomed_by_dm_and_pointed_to_the_homes_checklist(
    harness: SlackHarness,
) -> None:
    h = harness
    await install(h)
    await h.settle()

    [welcome] = [
        c
        for c in h.slack.calls_to("chat.postMessage", include_failed=False)
        if c.args.get("channel") == INSTALLER_ID
    ]
    assert "first Global admin" in call_text(welcome)
    assert "*Home* tab" in call_text(welcome)
    assert welcome.token == installed_token(h)
    # Queued with the role grant: installing again welcomes nobody a second time.
    await install(h)
    await h.settle()
    assert len([c for c in h.slack.calls_to("chat.postMessage") if "Thanks" in call_text(c)]) == 1


async def test_an_install_leaves_the_global_admins_alone_when_there_are_some(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant("UADMIN001")

    await install(h)
    await h.settle()

    async with h.bot.store.read() as uow:
        assert await uow.people.role_holders(Role.GLOBAL_ADMIN) == ["UADMIN001"]
    assert not h.slack.calls_to("chat.postMessage")  # no welcome: it is set up already


async def test_a_forged_state_is_refused_and_no_code_is_exchanged(harness: SlackHarness) -> None:
    h = harness
    await open_install_page(h)
    code = h.slack.authorize(INSTALLER_ID, scopes=BOT_SCOPES)
    forged = "forged-state-0123456789"

    page = await get(
        h, "/slack/oauth_redirect?" + urlencode({"code": code, "state": forged}), cookie=forged
    )

    assert page.status == 401
    assert not h.slack.calls_to("oauth.v2.access")
    assert await stored_installations(h) == []


async def test_a_replayed_state_is_refused(harness: SlackHarness) -> None:
    h = harness
    first, state, _ = await install(h)
    assert first.status == 200
    code = h.slack.authorize(INSTALLER_ID, scopes=BOT_SCOPES)

    again = await get(
        h, "/slack/oauth_redirect?" + urlencode({"code": code, "state": state}), cookie=state
    )

    assert again.status == 401
    assert len(h.slack.calls_to("oauth.v2.access")) == 1


async def command_from(
    h: SlackHarness,
    user: str,
    text: str,
    *,
    team_id: str,
    enterprise_id: str | None = None,
    org_wide: bool = False,
) -> Ack:
    """``/benefits text`` from ``user`` of workspace ``team_id``; its answer (at the
    response URL when the bot saved it as a receipt)."""
    name = f"from-{team_id}-{user}-{len(h.slack.calls)}"
    body = slash_command_body(
        text=text,
        user_id=user,
        team_id=team_id,
        enterprise_id=enterprise_id,
        is_enterprise_install=org_wide,
        response_url=h.slack.response_url(name),
    )
    ack = await h.post(body)
    assert ack.status == 200, ack
    return await h.answer_to(name, ack) if ack.body == "" else ack


def posts_about(h: SlackHarness, benefit: str) -> list[RecordedCall]:
    """The messages posted about ``benefit`` (not the installers' welcome DMs, say)."""
    posts = h.slack.calls_to("chat.postMessage", include_failed=False)
    return [c for c in posts if benefit in call_text(c)]


async def second_workspace(h: SlackHarness) -> Tenant:
    """Install the bot into its own workspace, then into ``T0002`` (installer
    ``UOTHER001``); the second workspace as the bot serves it."""
    await install(h)
    await install(h, "UOTHER001", team_id="T0002", team="Other")
    assert h.bot.tenancy is not None
    return await h.bot.tenancy.tenant((None, "T0002"))


async def settle_tenant(h: SlackHarness, tenant: Tenant) -> None:
    """Wait until ``tenant`` has sent every ping due now."""
    await h.bot.services.background.drain(10)

    async def nothing_due() -> bool:
        async with tenant.store.read() as uow:
            queued = await uow.outbox.pings(state=PingState.QUEUED, offset=0, limit=1000)
        return not any(p.due_at <= h.clock.now() for p in queued)

    await wait_until(nothing_due, timeout=10, what="the tenant's due pings", seen=h.slack.summary)


async def test_a_second_workspace_is_served_from_data_of_its_own_with_its_own_token(
    harness: SlackHarness,
) -> None:
    h = harness
    await install(h)
    await h.add_benefit("win11", "Windows 11 Enterprise", seats=2)

    page, _, _ = await install(h, "UOTHER001", team_id="T0002", team="Other")

    assert page.status == 200, page.text
    assert sorted(i.team_id for i in await stored_installations(h)) == ["T0001", "T0002"]
    assert h.bot.tenancy is not None
    other = await h.bot.tenancy.tenant((None, "T0002"))
    assert not other.in_base  # the first workspace's data stays in the base store
    async with other.store.read() as uow:  # its installer is its own first Global admin
        assert await uow.people.role_holders(Role.GLOBAL_ADMIN) == ["UOTHER001"]
        assert await uow.benefits.all() == []
    async with h.bot.store.read() as uow:
        assert await uow.people.role_holders(Role.GLOBAL_ADMIN) == [INSTALLER_ID]
    # Each workspace sees its own inventory, and nothing of the other's.
    assert "Windows 11" in (await command_from(h, MEMBER, "list", team_id="T0001")).text
    theirs = await command_from(h, "UOTHER002", "list", team_id="T0002")
    assert "Windows 11" not in theirs.text
    refused = await command_from(h, "UOTHER002", "request win11 for the lab", team_id="T0002")
    assert "win11" in refused.text  # "no benefit win11": the other workspace's is not found
    async with other.store.read() as uow:
        assert await uow.requests.of_user("UOTHER002", status=RequestStatus.PENDING) == []
    # The other workspace's own inventory: its request goes to its admin, with its token.
    async with other.store.write() as uow:
        await uow.benefits.put(Benefit("vs", "Visual Studio Enterprise", Category.SOFTWARE, 3))
    h.slack.clear()
    filed = await command_from(h, "UOTHER002", "request vs for the lab", team_id="T0002")
    assert "was sent" in filed.text, filed.text
    await settle_tenant(h, other)
    posts = posts_about(h, "Visual Studio Enterprise")
    assert [c.args["channel"] for c in posts] == ["UOTHER001"]
    assert {c.token for c in posts} == {installed_token(h, "T0002")}
    async with h.bot.store.read() as uow:  # nothing of it in the first workspace's data
        assert await uow.requests.of_user("UOTHER002", status=RequestStatus.PENDING) == []
    assert h.ack_violations == []


async def test_each_workspaces_reminders_go_to_its_own_admin_with_its_own_token(
    harness: SlackHarness,
) -> None:
    h = harness
    other = await second_workspace(h)
    await h.add_benefit("win11", "Windows 11 Enterprise", seats=2)
    async with other.store.write() as uow:
        await uow.benefits.put(Benefit("vs", "Visual Studio Enterprise", Category.SOFTWARE, 3))
    await command_from(h, MEMBER, "request win11 for the lab", team_id="T0001")
    await command_from(h, "UOTHER002", "request vs for the lab", team_id="T0002")
    await h.settle()
    await settle_tenant(h, other)
    h.slack.clear()

    h.clock.advance(timedelta(hours=25))  # past the approval reminder (24 hours)
    assert h.bot.tenancy is not None
    for tenant in h.bot.tenancy.running:
        assert tenant.reminders is not None
        assert await tenant.reminders.scheduler.sweep_now(fresh=True) == 1

    await h.settle()
    await settle_tenant(h, other)
    waiting = [
        c
        for c in h.slack.calls_to("chat.postMessage", include_failed=False)
        if c.args.get("metadata", {}).get("event_payload", {}).get("kind")
        == Kind.APPROVAL_WAITING.value
    ]
    sent = {(c.args["channel"], c.token) for c in waiting}
    assert sent == {
        (INSTALLER_ID, installed_token(h, "T0001")),
        ("UOTHER001", installed_token(h, "T0002")),
    }
    assert "Windows 11" in call_text(next(c for c in waiting if c.args["channel"] == INSTALLER_ID))
    assert "Visual Studio" in call_text(
        next(c for c in waiting if c.args["channel"] == "UOTHER001")
    )


async def test_an_org_wide_install_serves_every_workspace_of_the_org_from_one_membership(
    harness: SlackHarness,
) -> None:
    h = harness
    await install(h)  # a workspace of its own first: its data is the base store's
    page, _, _ = await install(
        h, "UORGADMIN", enterprise_id="E0001", enterprise="Grid", org_wide=True
    )
    assert page.status == 200, page.text
    assert h.bot.tenancy is not None
    org = await h.bot.tenancy.tenant(("E0001", None))
    async with org.store.write() as uow:
        await uow.benefits.put(Benefit("vs", "Visual Studio Enterprise", Category.SOFTWARE, 3))

    async def from_the_org(team_id: str, text: str) -> Ack:
        return await command_from(
            h, "UALICE", text, team_id=team_id, enterprise_id="E0001", org_wide=True
        )

    first = await from_the_org("T0100", "request vs for the lab")
    assert "was sent" in first.text, first.text
    # From another workspace of the org: the same inventory, the same pending request.
    mine = await from_the_org("T0200", "mine")
    assert "Visual Studio Enterprise" in mine.text
    again = await from_the_org("T0200", "request vs again")
    assert "already" in again.text.lower(), again.text
    async with org.store.read() as uow:
        assert len(await uow.requests.of_user("UALICE", status=RequestStatus.PENDING)) == 1
        assert await uow.people.role_holders(Role.GLOBAL_ADMIN) == ["UORGADMIN"]
    async with h.bot.store.read() as uow:
        assert await uow.requests.of_user("UALICE", status=RequestStatus.PENDING) == []
    await settle_tenant(h, org)
    posts = posts_about(h, "Visual Studio Enterprise")
    assert [c.args["channel"] for c in posts] == ["UORGADMIN"]
    assert {c.token for c in posts} == {installed_token(h, "E0001")}


async def test_an_uninstall_stops_one_workspace_and_the_other_goes_on(
    harness: SlackHarness,
) -> None:
    h = harness
    other = await second_workspace(h)

    ack = await h.post(event_body({"type": "app_uninstalled"}, team_id="T0002"))

    assert ack.status == 200
    await h.bot.services.background.drain(10)
    assert [i.team_id for i in await stored_installations(h)] == ["T0001"]
    async with other.store.read() as uow:
        held = await uow.tenant_state.get()
    assert held is not None
    assert held.suspended
    async with h.bot.store.read() as uow:
        kept = await uow.tenant_state.get()
    assert kept is not None
    assert not kept.suspended
    # The first workspace is served as before.
    await h.add_benefit("win11", "Windows 11 Enterprise", seats=2)
    h.slack.clear()
    filed = await command_from(h, MEMBER, "request win11 for the lab", team_id="T0001")
    assert "was sent" in filed.text, filed.text
    await h.settle()
    posts = posts_about(h, "Windows 11 Enterprise")
    assert [c.args["channel"] for c in posts] == [INSTALLER_ID]


async def test_another_workspaces_ids_reach_nothing_of_it_through_commands_clicks_forms_or_events(
    harness: SlackHarness,
) -> None:
    h = harness
    await install(h)
    await install(h, "UOTHER001", team_id="T0002", team="Other")
    await h.add_benefit("win11", "Windows 11 Enterprise", seats=2)
    filed = await command_from(h, MEMBER, "request win11 for the lab", team_id="T0001")
    assert "was sent" in filed.text, filed.text
    await h.settle()
    async with h.bot.store.read() as uow:
        [pending] = await uow.requests.of_user(MEMBER, status=RequestStatus.PENDING)
    before = await h.audit_count()
    assert h.bot.tenancy is not None
    other = await h.bot.tenancy.tenant((None, "T0002"))
    # The other workspace's Global admin clicks Approve, then submits Deny, with this
    # workspace's request number: nothing of this workspace is found or changed.
    click = block_actions_body(
        user_id="UOTHER001",
        action_id=ids.APPROVE,
        value=str(pending.id),
        team_id="T0002",
        response_url=h.slack.response_url("cross-click"),
    )
    assert (await h.post(click)).status == 200
    denied = view_submission_body(
        user_id="UOTHER001",
        callback_id=ids.DENY_VIEW,
        values={ids.DENY_REASON_BLOCK: {ids.DENY_REASON_INPUT: "No budget"}},
        private_metadata=str(pending.id),
        team_id="T0002",
    )
    answer = await h.post(denied)
    assert answer.status == 200
    assert answer.json["response_action"] == "errors"  # no such request there
    # Its people's Homes and commands show their own workspace's data alone.
    opened = await h.post(
        event_body({"type": "app_home_opened", "user": "UOTHER002", "tab": "home"}, team_id="T0002")
    )
    assert opened.status == 200
    mine = await command_from(h, MEMBER, "mine", team_id="T0002")
    assert "Windows 11" not in mine.text
    await h.bot.services.background.drain(10)
    await settle_tenant(h, other)
    async with h.bot.store.read() as uow:
        kept = await uow.requests.get(pending.id)
        assert kept is not None
        assert kept.status is RequestStatus.PENDING
        assert await uow.assignments.count_active("win11") == 0
    assert await h.audit_count() == before
    async with other.store.read() as uow:
        assert await uow.requests.get(pending.id) is None
        # its audit log holds its installer's grant alone: no decision was recorded there
        assert {e.action for e in await uow.audit.recent(10)} == {"role.grant"}
    published = [
        c
        for c in h.slack.calls_to("views.publish", include_failed=False)
        if c.args.get("user_id") == "UOTHER002"
    ]
    assert all("Windows 11" not in call_text(c) for c in published)
    assert {c.token for c in published} <= {installed_token(h, "T0002")}


async def test_a_workspace_whose_token_is_revoked_has_its_messages_parked_and_the_other_is_served(
    harness: SlackHarness,
) -> None:
    h = harness
    other = await second_workspace(h)
    await settle_tenant(h, other)  # the welcome DMs
    await h.settle()
    await h.add_benefit("win11", "Windows 11 Enterprise", seats=2)
    async with other.store.write() as uow:
        await uow.benefits.put(Benefit("vs", "Visual Studio Enterprise", Category.SOFTWARE, 3))
    # A request from each workspace before: Bolt has checked both tokens (auth.test, once).
    await command_from(h, "UOTHER002", "help", team_id="T0002")
    await command_from(h, MEMBER, "help", team_id="T0001")
    h.slack.reject_token(installed_token(h, "T0002"), "token_revoked")  # revoked meanwhile
    h.slack.clear()

    theirs = await command_from(h, "UOTHER002", "request vs for the lab", team_id="T0002")
    ours = await command_from(h, MEMBER, "request win11 for the lab", team_id="T0001")

    assert "was sent" in theirs.text, theirs.text
    assert "was sent" in ours.text, ours.text
    await h.settle()
    assert [c.args["channel"] for c in posts_about(h, "Windows 11 Enterprise")] == [INSTALLER_ID]

    async def parked() -> bool:
        async with other.store.read() as uow:
            return bool(await uow.outbox.pings(state=PingState.PARKED, offset=0, limit=10))

    await wait_until(parked, timeout=10, what="the other workspace's message parked")
    async with other.store.read() as uow:
        state = await uow.tenant_state.get()
        [ping] = await uow.outbox.pings(state=PingState.PARKED, offset=0, limit=10)
    assert state is not None
    assert state.suspended
    assert ping.last_error == "token refused: token_revoked"
    async with h.bot.store.read() as uow:
        ours_state = await uow.tenant_state.get()
    assert ours_state is not None
    assert not ours_state.suspended
    assert posts_about(h, "Visual Studio Enterprise") == []


async def test_after_a_restart_every_installation_is_served_again(
    harness: SlackHarness, slack: FakeSlackWebApi, database: Path | str
) -> None:
    h = harness
    await install(h)
    await install(h, "UOTHER001", team_id="T0002", team="Other")
    await h.bot.stop()
    async with running_harness(slack, oauth_settings(slack.api_url, database)) as again:
        assert again.bot.tenancy is not None
        assert len(again.bot.tenancy.running) == 2
        status, body = await health(again)
        assert (status, body["installed"], body["workspaces"]) == (200, True, 2)
        answer = await command_from(again, "UOTHER002", "help", team_id="T0002")
        assert "request" in answer.text.lower()


async def test_a_running_workspaces_commands_find_its_token_without_reading_the_database(
    harness: SlackHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    await install(h)
    await install(h, "UOTHER001", team_id="T0002", team="Other")
    for team in ("T0001", "T0002"):  # each workspace's first request finds its installation
        await command_from(h, MEMBER, "help", team_id=team)
    looked_up: list[tuple[str | None, str | None]] = []
    find = InstallationService.find

    async def counted(
        self: InstallationService, enterprise_id: str | None, team_id: str | None, **kw: Any
    ) -> BotInstallation | None:
        looked_up.append((enterprise_id, team_id))
        return await find(self, enterprise_id, team_id, **kw)

    monkeypatch.setattr(InstallationService, "find", counted)

    for team, people in (("T0001", (INSTALLER_ID, MEMBER)), ("T0002", ("UOTHER001", "UOTHER002"))):
        for user in people:  # the installer, and someone else (Bolt asks for their own)
            answer = await command_from(h, user, "help", team_id=team)
            assert "request" in answer.text.lower()

    assert looked_up == []


async def test_installing_again_into_the_same_workspace_replaces_the_installation(
    harness: SlackHarness,
) -> None:
    h = harness
    await install(h)
    old = installed_token(h)

    page, _, _ = await install(h, "UADMIN002")

    assert page.status == 200, page.text
    [new] = [t for t in h.slack.issued_tokens() if t != old]
    [kept] = await stored_installations(h)
    assert Fernet(KEY.encode()).decrypt(kept.bot_token_ciphertext.encode()).decode() == new
    h.slack.clear()
    await h.add_benefit("win11", "Windows 11 Enterprise", seats=2)
    await h.command(MEMBER, "request win11 for the test lab")
    await h.settle()
    posts = h.slack.calls_to("chat.postMessage", include_failed=False)
    assert posts
    assert {c.token for c in posts} == {new}


async def test_a_token_about_to_expire_is_rotated_and_the_new_one_is_used(
    harness: SlackHarness,
) -> None:
    h = harness
    page, _, _ = await install(h, token_rotation=True, expires_in=60)
    assert page.status == 200, page.text
    [exchange] = [c for c in h.slack.calls_to("oauth.v2.access") if c.args.get("code")]
    first = exchange.response["access_token"]
    await h.add_benefit("win11", "Windows 11 Enterprise", seats=2)

    ack = await h.command(MEMBER, "request win11 for the test lab")
    await h.settle()

    assert "was sent" in ack.text, ack.text
    refreshes = [
        c
        for c in h.slack.calls_to("oauth.v2.access")
        if c.args.get("grant_type") == "refresh_token"
    ]
    assert len(refreshes) == 1
    [rotated] = [t for t in h.slack.issued_tokens() if t != first]
    [kept] = await stored_installations(h)
    assert Fernet(KEY.encode()).decrypt(kept.bot_token_ciphertext.encode()).decode() == rotated
    posts = h.slack.calls_to("chat.postMessage", include_failed=False)
    assert posts
    assert {c.token for c in posts} == {rotated}


async def test_a_restarted_bot_serves_the_installed_workspace_at_once(
    slack: FakeSlackWebApi, database: Path | str
) -> None:
    slack.oauth_client = (CLIENT_ID, CLIENT_SECRET)
    settings = oauth_settings(slack.api_url, database)
    bot = await start_bot(settings, clock=FakeClock())
    async with aiohttp.ClientSession() as session:
        h = SlackHarness(bot=bot, slack=slack, clock=FakeClock(), session=session)
        try:
            await install(h)
        finally:
            await bot.stop(timeout=5)
        token = installed_token(h)
        slack.clear()

        again = await start_bot(settings, clock=FakeClock())
        h = SlackHarness(bot=again, slack=slack, clock=FakeClock(), session=session)
        try:
            status, body = await health(h)
            ack = await h.command(MEMBER, "help")
        finally:
            await again.stop(timeout=5)
    assert (status, body["installed"]) == (200, True)
    assert ack.status == 200
    checks = slack.calls_to("auth.test")  # the start-up check, then Bolt's authorization
    assert checks
    assert {c.token for c in checks} == {token}


async def test_an_uninstall_forgets_the_installation_and_the_bot_awaits_the_next(
    harness: SlackHarness,
) -> None:
    h = harness
    await install(h)

    ack = await h.event({"type": "app_uninstalled"})

    assert ack.status == 200
    assert await stored_installations(h) == []
    status, body = await health(h)
    assert (status, body["installed"], body["status"]) == (200, False, "awaiting install")
    page, _, _ = await install(h)
    assert page.status == 200, page.text
    assert len(await stored_installations(h)) == 1


async def test_a_bot_whose_key_does_not_decrypt_the_installed_token_refuses_to_start(
    slack: FakeSlackWebApi, database: Path | str
) -> None:
    slack.oauth_client = (CLIENT_ID, CLIENT_SECRET)
    bot = await start_bot(oauth_settings(slack.api_url, database), clock=FakeClock())
    async with aiohttp.ClientSession() as session:
        try:
            await install(SlackHarness(bot=bot, slack=slack, clock=FakeClock(), session=session))
        finally:
            await bot.stop(timeout=5)
    other = oauth_settings(slack.api_url, database).model_copy(
        update={"benefits_encryption_key": SecretStr(Fernet.generate_key().decode())}
    )

    with pytest.raises(SettingsError) as refused:
        await start_bot(other, clock=FakeClock())

    assert refused.value.lines == [
        "BENEFITS_ENCRYPTION_KEY does not decrypt the bot token of the installation in "
        "workspace T0001: set it to the key it was saved with; when rotating, list the new "
        "key first and the old one after it."
    ]


async def test_rotate_key_re_encrypts_the_installed_token_too(
    slack: FakeSlackWebApi, database: Path | str, tmp_path: Path
) -> None:
    slack.oauth_client = (CLIENT_ID, CLIENT_SECRET)
    bot = await start_bot(oauth_settings(slack.api_url, database), clock=FakeClock())
    async with aiohttp.ClientSession() as session:
        h = SlackHarness(bot=bot, slack=slack, clock=FakeClock(), session=session)
        try:
            await install(h)
            [before] = await stored_installations(h)
        finally:
            await bot.stop(timeout=5)
    new = Fernet.generate_key().decode()
    url = database if isinstance(database, str) else f"sqlite:///{database}"

    code, out, err = await run_cli(
        "rotate-key",
        cwd=tmp_path,
        env=clean_env(DATABASE_URL=url, BENEFITS_ENCRYPTION_KEY=f"{new},{KEY}"),
    )

    assert code == 0, err
    assert "the bot token of 1 installation" in out
    again = await start_bot(
        oauth_settings(slack.api_url, database).model_copy(
            update={"benefits_encryption_key": SecretStr(new)}
        ),
        clock=FakeClock(),
    )
    try:
        async with again.store.read() as uow:
            [after] = await uow.installations.all()
        assert again.installed is not None
        assert again.installed.installation is not None
        assert again.installed.installation.bot_token == installed_token(h)
    finally:
        await again.stop(timeout=5)
    assert after.bot_token_ciphertext != before.bot_token_ciphertext


async def test_no_token_or_client_secret_reaches_the_log_at_debug(harness: SlackHarness) -> None:
    h = harness
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    configure_logging("DEBUG", [CLIENT_SECRET, KEY])
    root.addHandler(Keep(logging.DEBUG))
    try:
        await install(h, token_rotation=True, expires_in=60)
        await h.add_benefit("win11", "Windows 11 Enterprise", seats=2)
        await h.command(MEMBER, "request win11 for the test lab")
        await h.settle()
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name in ("slack_sdk", "slack_bolt", "bot.bolt"):
            logging.getLogger(name).setLevel(logging.NOTSET)

    secrets = [
        *h.slack.issued_tokens(),
        *(c.response["refresh_token"] for c in h.slack.calls_to("oauth.v2.access")),
        CLIENT_SECRET,
        KEY,
    ]
    logged = [f"{r.getMessage()} {r.exc_text or ''}" for r in records]
    assert len(logged) > 10, "the capture works: the bot logs at DEBUG"
    assert [line for line in logged if any(s in line for s in secrets)] == []


async def test_with_a_bot_token_the_client_id_and_secret_are_unused_and_no_install_page_is_served(
    slack: FakeSlackWebApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(
        slack.api_url,
        tmp_path / "benefits.db",
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
    )
    with caplog.at_level(logging.WARNING, logger="bot.runtime.server"):
        bot = await start_bot(settings, clock=FakeClock())
    try:
        async with aiohttp.ClientSession() as session:
            h = SlackHarness(bot=bot, slack=slack, clock=FakeClock(), session=session)
            page = await get(h, "/slack/install")
            status, body = await health(h)
            ack = await h.command(MEMBER, "help")
    finally:
        await bot.stop(timeout=5)

    assert page.status == 404
    assert (status, "installed" in body) == (200, False)
    assert ack.status == 200
    assert {c.token for c in slack.calls if c.method != "response_url"} == {BOT_TOKEN}
    assert (
        "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are not used: SLACK_BOT_TOKEN is set "
        "(one workspace, installed by hand)"
    ) in caplog.messages


async def test_a_workspace_uninstalled_before_a_restart_is_deleted_once_its_retention_runs_out(
    harness: SlackHarness, slack: FakeSlackWebApi, database: Path | str
) -> None:
    h = harness
    other = await second_workspace(h)
    async with other.store.write() as uow:
        await uow.benefits.put(Benefit("vs", "Visual Studio Enterprise", Category.SOFTWARE, 3))
    await h.post(event_body({"type": "app_uninstalled"}, team_id="T0002"))
    await h.bot.services.background.drain(10)
    await h.bot.stop()
    async with running_harness(slack, oauth_settings(slack.api_url, database)) as again:
        tenancy = again.bot.tenancy
        assert tenancy is not None
        assert [t.key for t in tenancy.running] == [(None, "T0001")]  # the one installed
        assert await tenancy.expire_idle() == 0  # kept for its retention
        stores = await open_tenants(again.bot.store)
        assert await stores.keys() == ["T0002"]

        again.clock.advance(timedelta(days=91))  # BENEFITS_RETENTION_DAYS_AFTER_UNINSTALL: 90

        await tenancy.expire_idle()  # the round the sweep's holder makes every interval

        assert await stores.keys() == []  # its store dropped, with everything in it
        await stores.close()
        answer = await command_from(again, MEMBER, "help", team_id="T0001")
        assert "request" in answer.text.lower()  # the other workspace is served as before


async def test_a_workspace_with_a_store_of_its_own_keeps_it_after_the_base_was_emptied(
    harness: SlackHarness, slack: FakeSlackWebApi, database: Path | str
) -> None:
    h = harness
    other = await second_workspace(h)
    async with other.store.write() as uow:
        await uow.benefits.put(Benefit("vs", "Visual Studio Enterprise", Category.SOFTWARE, 3))
    await h.bot.services.tenancy.erase(team_id="T0001")  # the first workspace's data request
    await h.bot.stop()
    async with running_harness(slack, oauth_settings(slack.api_url, database)) as again:
        assert again.bot.tenancy is not None
        tenant = await again.bot.tenancy.tenant((None, "T0002"))
        assert not tenant.in_base  # not moved into the emptied base store
        listed = await command_from(again, "UOTHER002", "list", team_id="T0002")
        assert "Visual Studio Enterprise" in listed.text
