"""What text a member typed may do in what the bot posts to others, over the wire.

Reasons, denial notes and topics are repeated to the admins or the requester: they
arrive without control characters or bidirectional overrides, with Slack's markup
escaped, and every message carrying them is sent with Slack's parsing of mentions
off, so a plain ``@channel`` pings nobody. A Deny form's hidden field only names a
request; the database decides whether the submitter may deny it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.blocks import ids
from bot.domain.model import Benefit, Category, RequestStatus, SupportKind
from tests.fakes.web_api import RecordedCall
from tests.slack.harness import SlackHarness, call_text
from tests.slack.test_permission_matrix import MEMBERSHIP

MEMBER = "UMEMBER01"
ADMIN = "UADMIN001"
ADMIN2 = "UADMIN002"

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
CONTROLS = "\x00\x07\x1b\x7f\x9b"
HOSTILE = f"@channel @here @everyone <!channel> <!here> <@{ADMIN2}> <https://evil.example|x>"


def unsafe(text: str) -> list[str]:
    return [hex(ord(c)) for c in text if c in BIDI or c in CONTROLS]


def mrkdwn_objects(payload: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(payload)
    return found


def assert_pings_nobody(call: RecordedCall) -> None:
    """Sent with Slack's parsing off, user text escaped and clean, every mrkdwn verbatim."""
    assert (call.args.get("parse"), call.args.get("link_names")) == ("none", False), call.args
    text = call_text(call)
    assert "<!channel>" not in text
    assert "<!here>" not in text
    assert f"<@{ADMIN2}>" not in text
    assert "<https://evil.example" not in text
    assert unsafe(json.dumps(call.args, ensure_ascii=False)) == []
    assert all(m.get("verbatim") is True for m in mrkdwn_objects(call.args.get("blocks")))


def carrying(h: SlackHarness, method: str, words: str) -> list[RecordedCall]:
    return [c for c in h.slack.calls_to(method, include_failed=False) if words in call_text(c)]


@pytest.fixture
async def ready(harness: SlackHarness) -> SlackHarness:
    await harness.add_benefit("win11", "Windows 11 Enterprise", seats=2)
    await harness.grant(ADMIN)
    await harness.grant(ADMIN2)
    return harness


async def request_id_of(h: SlackHarness, user: str) -> int:
    async with h.bot.store.read() as uow:
        found = [r for s in RequestStatus for r in await uow.requests.of_user(user, status=s)]
    assert found
    return max(r.id for r in found)


async def status_of(h: SlackHarness, request_id: int) -> RequestStatus:
    async with h.bot.store.read() as uow:
        request = await uow.requests.get(request_id)
    assert request is not None
    return request.status


async def test_a_hostile_reason_reaches_the_admins_inert_clean_and_without_a_ping(
    ready: SlackHarness,
) -> None:
    h = ready
    ack = await h.command(MEMBER, f"request win11 for{CONTROLS} the {BIDI}lab {HOSTILE}")
    assert "was sent" in ack.text, ack.text
    await h.settle()

    posts = carrying(h, "chat.postMessage", "for the lab")
    assert len(posts) == 2  # one DM per Global admin
    for post in posts:
        assert_pings_nobody(post)
        assert "@channel @here @everyone &lt;!channel&gt;" in call_text(post)
    async with h.bot.store.read() as uow:
        stored = await uow.requests.get(await request_id_of(h, MEMBER))
    assert stored is not None
    assert stored.reason.startswith("for the lab @channel")
    assert unsafe(stored.reason) == []


async def test_a_hostile_denial_note_reaches_the_requester_and_the_admins_inert_and_clean(
    ready: SlackHarness,
) -> None:
    h = ready
    assert "was sent" in (await h.command(MEMBER, "request win11")).text
    await h.settle()
    request_id = await request_id_of(h, MEMBER)

    ack = await h.submit(
        ADMIN,
        ids.DENY_VIEW,
        {ids.DENY_REASON_BLOCK: {ids.DENY_REASON_INPUT: f"No{CONTROLS} {BIDI}budget\n{HOSTILE}"}},
        private_metadata=str(request_id),
    )
    assert ack.status == 200
    await h.settle()

    assert await status_of(h, request_id) is RequestStatus.DENIED
    updates = carrying(h, "chat.update", "No budget")
    assert len(updates) == 2
    dms = [c for c in carrying(h, "chat.postMessage", "No budget") if c.args["channel"] == MEMBER]
    assert len(dms) == 1  # sent by the outbox's delivery loop
    for call in [*updates, *dms]:
        assert_pings_nobody(call)


async def test_a_reason_of_only_control_characters_is_no_reason_for_a_denial(
    ready: SlackHarness,
) -> None:
    h = ready
    assert "was sent" in (await h.command(MEMBER, "request win11")).text
    request_id = await request_id_of(h, MEMBER)

    ack = await h.submit(
        ADMIN,
        ids.DENY_VIEW,
        {ids.DENY_REASON_BLOCK: {ids.DENY_REASON_INPUT: f"{CONTROLS}{BIDI}"}},
        private_metadata=str(request_id),
    )

    assert ack.json["response_action"] == "errors"
    assert "reason" in ack.json["errors"][ids.DENY_REASON_BLOCK]
    assert await status_of(h, request_id) is RequestStatus.PENDING


async def test_a_hostile_advisory_topic_reaches_the_admins_inert_and_clean(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(ADMIN)
    async with h.bot.store.write() as uow:
        await uow.membership.put(MEMBERSHIP)
        await uow.benefits.put(
            Benefit(
                "advisory",
                "Advisory hours",
                Category.TECHNICAL,
                support_kind=SupportKind.ADVISORY_HOURS,
            )
        )

    ack = await h.command(MEMBER, f"advisory 2 Azure{CONTROLS} {BIDI}landing zone {HOSTILE}")

    assert "is filed" in ack.text, ack.text
    await h.settle()
    posts = carrying(h, "chat.postMessage", "Azure landing zone")
    assert [p.args["channel"] for p in posts] == [ADMIN]
    assert_pings_nobody(posts[0])


# -- a Deny form's hidden field is checked against the database --------------------------


async def test_a_deny_form_naming_the_submitters_own_request_is_refused_and_changes_nothing(
    ready: SlackHarness,
) -> None:
    h = ready
    assert "was sent" in (await h.command(MEMBER, "request win11")).text
    assert "was sent" in (await h.command(ADMIN2, "request win11 for me")).text
    await h.settle()
    own = await request_id_of(h, ADMIN2)
    before = await h.audit_count()

    # ADMIN2 opened Deny on MEMBER's request, but the form comes back naming their own.
    ack = await h.submit(
        ADMIN2,
        ids.DENY_VIEW,
        {ids.DENY_REASON_BLOCK: {ids.DENY_REASON_INPUT: "not needed"}},
        private_metadata=str(own),
    )

    assert ack.json["response_action"] == "errors"
    error = ack.json["errors"][ids.DENY_REASON_BLOCK]
    assert "your own request" in error
    assert f"<@{ADMIN}>" in error
    assert await status_of(h, own) is RequestStatus.PENDING
    assert await h.audit_count() == before
    await h.settle()
    assert not h.slack.calls_to("chat.update")


@pytest.mark.parametrize(
    ("who", "naming", "refusal"),
    [
        (MEMBER, "a request", "global_admin"),  # not allowed to decide at all
        (ADMIN, "a request that does not exist", "does not exist"),
        (ADMIN, "a decided request", "already approved"),
    ],
    ids=["member", "unknown request", "decided request"],
)
async def test_a_deny_form_naming_a_request_the_submitter_may_not_deny_changes_nothing(
    ready: SlackHarness, who: str, naming: str, refusal: str
) -> None:
    h = ready
    assert "was sent" in (await h.command(MEMBER, "request win11")).text
    await h.settle()
    request_id = await request_id_of(h, MEMBER)
    if naming == "a decided request":
        await h.click(ADMIN2, ids.APPROVE, str(request_id))
        await h.settle()
    target = request_id + 1000 if naming == "a request that does not exist" else request_id
    status, before = await status_of(h, request_id), await h.audit_count()
    h.slack.clear()

    ack = await h.submit(
        who,
        ids.DENY_VIEW,
        {ids.DENY_REASON_BLOCK: {ids.DENY_REASON_INPUT: "no"}},
        private_metadata=str(target),
    )

    assert ack.json["response_action"] == "errors"
    assert refusal in ack.json["errors"][ids.DENY_REASON_BLOCK]
    assert await status_of(h, request_id) is status
    assert await h.audit_count() == before
    await h.settle()
    assert not h.slack.calls_to("chat.update")
    assert not h.slack.calls_to("chat.postMessage")
