"""A member requests a benefit, a Global admin decides inline: over real Slack wire format.

Every test here runs on a SQLite file and on PostgreSQL (``[postgres]``).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from bot.blocks import ids
from bot.domain.model import Role
from bot.domain.outbox import PingState
from storage import open_store
from tests.fakes.signing import sign, slash_command_body
from tests.fakes.web_api import RecordedCall
from tests.slack.conftest import on_both_engines
from tests.slack.harness import SlackHarness, call_text

MEMBER = "UMEMBER01"
ADMIN = "UADMIN001"
ADMIN2 = "UADMIN002"


database = pytest.fixture(params=["sqlite", "postgres"], name="database")(on_both_engines)


def has_buttons(call: RecordedCall) -> bool:
    return any(b.get("type") == "actions" for b in call.args.get("blocks", []))


def approval_posts(h: SlackHarness) -> list[RecordedCall]:
    return [c for c in h.slack.calls_to("chat.postMessage", include_failed=False) if has_buttons(c)]


async def request_as_member(h: SlackHarness, text: str = "request win11 for the test lab") -> int:
    ack = await h.command(MEMBER, text)
    assert ack.status == 200
    assert "was sent" in ack.text, ack.text
    await h.settle()
    posts = approval_posts(h)
    assert posts, h.slack.summary()
    value = next(
        e["value"]
        for b in posts[-1].args["blocks"]
        if b.get("type") == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.APPROVE
    )
    return int(value)


@pytest.fixture
async def ready(harness: SlackHarness) -> SlackHarness:
    await harness.add_benefit("win11", "Windows 11 Enterprise", seats=2)
    await harness.grant(ADMIN)
    return harness


async def test_a_member_requests_a_benefit_and_a_global_admin_approves_it_inline(
    ready: SlackHarness,
) -> None:
    h = ready
    request_id = await request_as_member(h)

    post = approval_posts(h)[0]
    assert post.args["channel"] == ADMIN
    labels = [
        e["text"]["text"]
        for b in post.args["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert labels == ["Approve", "Deny"]
    assert "for the test lab" in call_text(post)
    assert f"<@{MEMBER}>" in call_text(post)

    ack = await h.click(ADMIN, ids.APPROVE, str(request_id))
    assert ack.status == 200
    await h.settle()

    updates = h.slack.calls_to("chat.update")
    assert len(updates) == 1
    assert updates[0].args["channel"] == post.response["channel"]
    assert updates[0].args["ts"] == post.response["ts"]
    assert not has_buttons(updates[0])
    assert f"Approved by <@{ADMIN}>" in call_text(updates[0])

    dms = [c for c in h.slack.calls_to("chat.postMessage") if c.args["channel"] == MEMBER]
    assert len(dms) == 1
    assert "approved" in call_text(dms[0])
    assert await h.seats_used("win11") == 1

    mine = await h.command(MEMBER, "mine")
    assert "Windows 11 Enterprise" in mine.text


async def test_every_dm_copy_of_a_request_is_updated_when_one_admin_decides(
    ready: SlackHarness,
) -> None:
    h = ready
    await h.grant(ADMIN2)
    request_id = await request_as_member(h)
    posts = approval_posts(h)
    assert sorted(p.args["channel"] for p in posts) == [ADMIN, ADMIN2]

    await h.click(ADMIN2, ids.APPROVE, str(request_id))
    await h.settle()

    updated = {(c.args["channel"], c.args["ts"]) for c in h.slack.calls_to("chat.update")}
    assert updated == {(p.response["channel"], p.response["ts"]) for p in posts}
    assert all(
        f"Approved by <@{ADMIN2}>" in call_text(c) and not has_buttons(c)
        for c in h.slack.calls_to("chat.update")
    )


async def test_deny_asks_for_a_reason_in_a_modal_and_the_requester_reads_it(
    ready: SlackHarness,
) -> None:
    h = ready
    request_id = await request_as_member(h)
    ack = await h.click(ADMIN, ids.DENY, str(request_id))
    assert ack.status == 200
    opened = await h.slack.wait_for("views.open")
    view = opened[0].args["view"]
    assert view["callback_id"] == ids.DENY_VIEW
    assert view["private_metadata"] == str(request_id)

    empty = await h.submit(
        ADMIN,
        ids.DENY_VIEW,
        {ids.DENY_REASON_BLOCK: {ids.DENY_REASON_INPUT: "   "}},
        private_metadata=str(request_id),
    )
    assert empty.json["response_action"] == "errors"
    assert ids.DENY_REASON_BLOCK in empty.json["errors"]

    done = await h.submit(
        ADMIN,
        ids.DENY_VIEW,
        {ids.DENY_REASON_BLOCK: {ids.DENY_REASON_INPUT: "Licences are for the sales team"}},
        private_metadata=str(request_id),
    )
    assert done.status == 200
    assert done.body in ("", {})
    await h.settle()
    dm = [c for c in h.slack.calls_to("chat.postMessage") if c.args["channel"] == MEMBER]
    assert len(dm) == 1
    assert "Licences are for the sales team" in call_text(dm[0])
    update = h.slack.calls_to("chat.update")[0]
    assert f"Denied by <@{ADMIN}>" in call_text(update)
    assert await h.seats_used("win11") == 0


async def test_a_requester_cannot_approve_their_own_request_even_as_global_admin(
    ready: SlackHarness,
) -> None:
    h = ready
    await h.grant(MEMBER)
    request_id = await request_as_member(h)
    ack = await h.click(MEMBER, ids.APPROVE, str(request_id))
    assert ack.status == 200
    await h.settle()
    refusal = h.slack.calls_to("response_url")[-1]
    assert "own request" in call_text(refusal)
    assert refusal.args.get("response_type") == "ephemeral"
    assert await h.seats_used("win11") == 0
    assert not h.slack.calls_to("chat.update")


async def test_a_member_without_the_role_is_told_which_role_is_needed_and_who_holds_it(
    ready: SlackHarness,
) -> None:
    h = ready
    request_id = await request_as_member(h)
    await h.click("UOTHER001", ids.APPROVE, str(request_id))
    await h.settle()
    refusal = call_text(h.slack.calls_to("response_url")[-1])
    assert "global_admin" in refusal
    assert f"<@{ADMIN}>" in refusal
    assert await h.seats_used("win11") == 0


async def test_two_admins_approving_at_the_same_moment_assign_one_seat_and_send_one_dm(
    ready: SlackHarness,
) -> None:
    h = ready
    await h.grant(ADMIN2)
    request_id = await request_as_member(h)
    acks = await asyncio.gather(
        h.click(ADMIN, ids.APPROVE, str(request_id)),
        h.click(ADMIN2, ids.APPROVE, str(request_id)),
        h.click(ADMIN, ids.APPROVE, str(request_id)),  # a double click
    )
    assert [a.status for a in acks] == [200, 200, 200]
    await h.settle()
    assert await h.seats_used("win11") == 1
    dms = [c for c in h.slack.calls_to("chat.postMessage") if c.args["channel"] == MEMBER]
    assert len(dms) == 1
    refusals = [call_text(c) for c in h.responses_to("click-")]
    assert len(refusals) == 2
    assert all("already approved" in r for r in refusals)


async def test_slack_retrying_the_same_click_payload_changes_nothing_more(
    ready: SlackHarness,
) -> None:
    h = ready
    request_id = await request_as_member(h)
    from tests.fakes.signing import block_actions_body

    body = block_actions_body(
        user_id=ADMIN,
        action_id=ids.APPROVE,
        value=str(request_id),
        response_url=h.slack.response_url("retry"),
    )
    first = await h.post(body)
    second = await h.post(body)
    assert (first.status, second.status) == (200, 200)
    await h.settle()
    assert await h.seats_used("win11") == 1
    assert (
        len([c for c in h.slack.calls_to("chat.postMessage") if c.args["channel"] == MEMBER]) == 1
    )


async def test_with_n_seats_left_only_n_of_more_racing_approvals_are_assigned(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.add_benefit("vs-ent", "Visual Studio Enterprise", seats=3)
    await h.grant(ADMIN)
    members = [f"URACER{i:03d}" for i in range(8)]
    request_ids: list[int] = []
    for member in members:
        ack = await h.command(member, "request vs-ent")
        assert "was sent" in ack.text
    await h.settle()
    for post in approval_posts(h):
        for block in post.args["blocks"]:
            if block["type"] == "actions":
                request_ids.append(int(block["elements"][0]["value"]))
    assert len(request_ids) == 8
    await asyncio.gather(*(h.click(ADMIN, ids.APPROVE, str(r)) for r in request_ids))
    await h.settle()
    assert await h.seats_used("vs-ent") == 3
    approved_dms = [c for c in h.slack.calls_to("chat.postMessage") if c.args["channel"] in members]
    assert len(approved_dms) == 3
    no_seat = [c for c in h.slack.calls_to("response_url") if "No seat" in call_text(c)]
    assert len(no_seat) == 5


async def test_a_duplicate_pending_request_is_refused_with_a_pointer_to_the_first(
    ready: SlackHarness,
) -> None:
    h = ready
    request_id = await request_as_member(h)
    again = await h.command(MEMBER, "request win11 once more")
    assert f"request #{request_id}" in again.text
    assert len(approval_posts(h)) == 1


async def test_an_ambiguous_benefit_name_gets_the_closest_matches(ready: SlackHarness) -> None:
    h = ready
    await h.add_benefit("win-server", "Windows Server 2025", seats=2)
    ack = await h.command(MEMBER, "request windows")
    assert "several benefits" in ack.text
    assert "`win11`" in ack.text
    assert "`win-server`" in ack.text
    typo = await h.command(MEMBER, "request win12")
    assert "No benefit matches" in typo.text
    assert "`win11`" in typo.text
    assert not approval_posts(h)


async def test_a_request_whose_reason_holds_a_long_link_is_filed_with_the_link(
    ready: SlackHarness,
) -> None:
    h = ready
    link = "https://contoso.sharepoint.com/sites/lab/" + "d" * 68  # 109 characters
    assert len(link) == 109

    request_id = await request_as_member(h, f"request win11 see {link}")

    post = approval_posts(h)[0]
    assert link in call_text(post)
    decided = await h.bot.services.requests.decision(request_id)
    assert decided.request.reason == f"see {link}"
    assert decided.benefit.id == "win11"


async def test_a_typo_followed_by_a_reason_gets_the_closest_match(ready: SlackHarness) -> None:
    h = ready
    ack = await h.command(MEMBER, "request win12 for the test lab")
    assert "No benefit matches `win12`" in ack.text
    assert "`win11`" in ack.text
    assert not approval_posts(h)


async def test_a_wrong_signature_gets_401_and_changes_nothing(ready: SlackHarness) -> None:
    h = ready
    body = slash_command_body(
        text="request win11", user_id=MEMBER, response_url=h.slack.response_url("forged")
    )
    before = await h.audit_count()
    forged = await h.post(body, headers=sign(body, "not-the-secret"))
    assert forged.status == 401
    assert await h.audit_count() == before
    await h.settle()
    assert not approval_posts(h)


async def test_a_request_older_than_five_minutes_gets_401_and_changes_nothing(
    ready: SlackHarness,
) -> None:
    h = ready
    body = slash_command_body(
        text="request win11", user_id=MEMBER, response_url=h.slack.response_url("replay")
    )
    before = await h.audit_count()
    replay = await h.post(body, timestamp=int(time.time()) - 6 * 60)
    assert replay.status == 401
    assert await h.audit_count() == before
    await h.settle()
    assert not approval_posts(h)


BAD_TEXTS = [
    "frobnicate",
    "request nothing-like-this",
    "x" * 10_000,
    "request " + "y" * 3000,
    "request '; DROP TABLE benefits; --",
    'request "unclosed quote',
    "request 🚀 ünïcødé",
    "assign win11 @jane",
    "assign win11 <@UNKNOWN01|stranger>",
    "grant <@UMEMBER01> emperor",
    "list spaceships",
    "mine please",
    "unassign win11 <@UMEMBER01>",
    "roles",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("text", BAD_TEXTS)
async def test_bad_command_text_gets_a_clear_message_and_writes_nothing(
    ready: SlackHarness, text: str
) -> None:
    h = ready
    before = await h.audit_count()
    ack = await h.command(MEMBER, text)
    assert ack.status == 200
    assert ack.json["response_type"] == "ephemeral"
    assert ":warning:" in ack.text
    assert len(ack.text) < 4000
    await h.settle()
    assert await h.audit_count() == before
    assert await h.seats_used("win11") == 0
    assert not h.slack.calls_to("chat.postMessage")


async def test_assigning_to_someone_outside_the_directory_points_to_adduser(
    ready: SlackHarness,
) -> None:
    h = ready
    ack = await h.command(ADMIN, "assign win11 <@UNEW00001|newbie>")
    assert "adduser" in ack.text
    added = await h.command(ADMIN, "adduser <@UNEW00001|newbie>")
    assert "directory" in added.text
    done = await h.command(ADMIN, "assign win11 <@UNEW00001|newbie>")
    assert "now holds a seat" in done.text
    assert await h.seats_used("win11") == 1
    freed = await h.command(ADMIN, "unassign win11 <@UNEW00001>")
    assert "free again" in freed.text
    assert await h.seats_used("win11") == 0


async def test_roles_are_granted_listed_and_revoked_by_a_global_admin(ready: SlackHarness) -> None:
    h = ready
    granted = await h.command(ADMIN, "grant <@UMPN00001|mia> mpn_partner_admin")
    assert "now holds the mpn_partner_admin role" in granted.text
    listing = await h.command(ADMIN, "roles")
    assert "<@UMPN00001>" in listing.text
    refused = await h.command("UMPN00001", "grant <@UMEMBER01> global_admin")
    assert "global_admin" in refused.text
    assert ":warning:" in refused.text
    revoked = await h.command(ADMIN, "revoke <@UMPN00001> mpn_partner_admin")
    assert "no longer holds" in revoked.text
    assert Role.MPN_PARTNER_ADMIN not in await h.bot.services.roles.roles_of("UMPN00001")


async def test_help_shows_admin_commands_only_to_admins(ready: SlackHarness) -> None:
    h = ready
    member_help = await h.command(MEMBER, "")
    admin_help = await h.command(ADMIN, "help")
    assert "request <benefit>" in member_help.text
    assert "assign <benefit>" not in member_help.text
    assert "assign <benefit>" in admin_help.text
    assert "grant @user" in admin_help.text


async def test_the_list_pages_with_buttons_and_shows_details_in_a_modal(
    harness: SlackHarness,
) -> None:
    h = harness
    for i in range(40):
        await h.add_benefit(f"bench-{i:02d}", f"Benefit {i:02d}", seats=3)
    first = await h.command(MEMBER, "list")
    assert "Page 1 of 3" in first.text
    nav = next(b for b in first.json["blocks"] if b.get("block_id") == ids.LIST_NAV_BLOCK)
    next_button = next(e for e in nav["elements"] if e["action_id"] == ids.LIST_NEXT)
    await h.click(MEMBER, ids.LIST_NEXT, next_button["value"])
    await h.settle()
    page2 = h.slack.calls_to("response_url")[-1]
    assert page2.args["replace_original"] is True
    assert "Page 2 of 3" in call_text(page2)

    await h.click(MEMBER, ids.DETAILS, "bench-07")
    opened = await h.slack.wait_for("views.open")
    assert "Benefit 07" in call_text(opened[0])
    assert "3 of 3 seats left" in call_text(opened[0])


async def test_requests_go_to_the_admin_channel_when_one_is_set(slack: Any, tmp_path: Any) -> None:
    import aiohttp

    from bot.domain.clock import FakeClock
    from bot.runtime.server import start_bot
    from tests.slack.conftest import make_settings

    bot = await start_bot(
        make_settings(slack.api_url, tmp_path / "c.db", benefits_admin_channel="CADMINS01"),
        clock=FakeClock(),
    )
    try:
        async with aiohttp.ClientSession() as session:
            h = SlackHarness(bot=bot, slack=slack, clock=FakeClock(), session=session)
            await h.add_benefit("win11", "Windows 11 Enterprise", seats=2)
            await h.grant(ADMIN)
            await h.grant(ADMIN2)
            ack = await h.command(MEMBER, "request win11")
            assert "<#CADMINS01>" in ack.text
            await h.settle()
            posts = approval_posts(h)
            assert [p.args["channel"] for p in posts] == ["CADMINS01"]
    finally:
        await bot.stop()


async def test_app_home_shows_the_callers_benefits(ready: SlackHarness) -> None:
    h = ready
    ack = await h.event(
        {"type": "app_home_opened", "user": MEMBER, "channel": "D0001", "tab": "home"}
    )
    assert ack.status == 200
    published = await h.slack.wait_for("views.publish")
    assert published[0].args["user_id"] == MEMBER
    assert "What you hold" in call_text(published[0])


async def test_the_health_check_answers_while_the_database_is_reachable(
    ready: SlackHarness,
) -> None:
    h = ready
    async with h.session.get(f"http://127.0.0.1:{h.bot.port}/healthz") as resp:
        assert resp.status == 200
        assert (await resp.json())["database"] is True
    await h.bot.store.close()
    async with h.session.get(f"http://127.0.0.1:{h.bot.port}/healthz") as resp:
        assert resp.status == 503


async def test_stopping_the_bot_sends_or_hands_back_the_post_of_an_answered_request(
    ready: SlackHarness, database: Path | str
) -> None:
    """A stop finishes the message in flight and hands the rest back to the outbox,
    unclaimed, so the next start (or another process) sends it at once; nothing the
    requester was told about is lost (tests/slack/test_restart.py restarts from there)."""
    h = ready
    ack = await h.command(MEMBER, "request win11")
    assert "was sent" in ack.text
    await h.bot.stop(timeout=5)

    store = await open_store(database if isinstance(database, str) else f"sqlite:///{database}")
    try:
        async with store.read() as uow:
            pings = await uow.outbox.pings(state=None, offset=0, limit=100)
    finally:
        await store.close()
    [post] = [p for p in pings if p.kind == "approval_request"]
    if approval_posts(h):
        assert post.state is PingState.SENT, h.slack.summary()
    else:
        assert (post.state, post.claimed_by) == (PingState.QUEUED, None)
