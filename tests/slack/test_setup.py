"""Setting the bot up from Slack, over Slack's wire format: the Global admins' checklist
on the Home, choosing the admin channel in a modal, and the inventory file shared in a DM
with the bot (files.info, then its private download link, both on the fake Slack).

Every test here runs on a SQLite file and on PostgreSQL (``[postgres]``).
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.blocks import ids
from bot.domain.model import Role
from bot.services.setup import UPLOAD_LIMIT
from tests.fakes.signing import event_body, sign
from tests.fakes.web_api import FakeSlackWebApi, RecordedCall
from tests.slack.conftest import make_settings, on_both_engines, running_harness
from tests.slack.harness import BOT_TOKEN, SlackHarness, call_text
from tests.unit.test_inventory import BASE

ADMIN = "UADMIN001"
MEMBER = "UMEMBER01"
CHANNEL = "CADMINS01"
OPERATOR_CHANNEL = "COPERATE1"

INVENTORY = BASE.encode()  # two benefits, one holder by user ID and one by email
# Office LTSC down to one seat, while two are in use in Slack: the import's seat rule.
FEWER_SEATS = INVENTORY.replace(b"    seats: 3\n", b"    seats: 1\n")
MISSPELT = INVENTORY.replace(b"    seats: 3\n", b"    seets: 3\n")

database = pytest.fixture(params=["sqlite", "postgres"], name="database")(on_both_engines)


def homes_of(h: SlackHarness, user: str) -> list[RecordedCall]:
    return [c for c in h.slack.calls_to("views.publish") if c.args.get("user_id") == user]


async def home_of(h: SlackHarness, user: str) -> dict[str, Any]:
    """``user`` opens their Home; the view published."""
    before = len(homes_of(h, user))
    await h.event({"type": "app_home_opened", "user": user, "tab": "home"})
    await h.settle()
    published = homes_of(h, user)
    assert len(published) > before, h.slack.summary()
    view: dict[str, Any] = published[-1].args["view"]
    return view


def action_ids(view: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for block in view["blocks"]:
        elements = list(block.get("elements", []))
        if "accessory" in block:
            elements.append(block["accessory"])
        found += [str(e.get("action_id")) for e in elements if e.get("type") == "button"]
    return found


def view_text(view: dict[str, Any]) -> str:
    return call_text(RecordedCall(method="views.publish", args={"view": view}, token=None))


def share_event(h: SlackHarness, user: str, file: dict[str, Any], ts: str) -> dict[str, Any]:
    """The ``message`` event of ``user`` sharing ``file`` in their DM with the bot."""
    return {
        "type": "message",
        "subtype": "file_share",
        "text": "",
        "user": user,
        "channel": FakeSlackWebApi.dm_channel_for(user),
        "channel_type": "im",
        "ts": ts,
        "event_ts": ts,
        "files": [{"id": file["id"], "name": file["name"], "size": file["size"]}],
        "upload": True,
        "display_as_bot": False,
    }


async def share(
    h: SlackHarness, user: str, content: bytes, *, name: str = "inventory.yaml", ts: str = ""
) -> dict[str, Any]:
    """``user`` shares a file in their DM with the bot; settled. The file object."""
    file = h.slack.share_file(user, name, content)
    ack = await h.event(share_event(h, user, file, ts or "1767225600.000100"))
    assert ack.status == 200, ack.body
    await h.settle()
    return file


def replies_to(h: SlackHarness, user: str) -> list[str]:
    return [
        call_text(c)
        for c in h.slack.calls_to("chat.postMessage", include_failed=False)
        if c.args.get("channel") == user
    ]


async def benefit_ids(h: SlackHarness) -> list[str]:
    async with h.bot.store.read() as uow:
        rows = await uow.benefits.rows(category=None, offset=0, limit=100)
    return sorted(r.benefit.id for r in rows)


async def submit_channel(h: SlackHarness, user: str, channel: str | None) -> Any:
    value: dict[str, Any] = {"type": "conversations_select", "selected_conversation": channel}
    return await h.submit(
        user, ids.SETUP_VIEW, {ids.SETUP_CHANNEL_BLOCK: {ids.SETUP_CHANNEL_INPUT: value}}
    )


# -- the checklist ----------------------------------------------------------------------


async def test_a_global_admins_home_lists_the_setup_steps_until_all_are_done(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(ADMIN)

    view = await home_of(h, ADMIN)

    text = view_text(view)
    assert "Setting up" in text, text
    assert "0 of 3 done" in text
    assert "Choose the admin channel" in text
    assert "Enter the membership details" in text
    assert "share the inventory file with me in a DM" in text
    assert {ids.SETUP_CHANNEL, ids.SETUP_MEMBERSHIP, ids.SETUP_INVENTORY} <= set(action_ids(view))

    await submit_channel(h, ADMIN, CHANNEL)
    await share(h, ADMIN, INVENTORY)
    view = await home_of(h, ADMIN)

    text = view_text(view)
    assert "Setting up" not in text, text
    assert f"Admin channel: <#{CHANNEL}>" in text
    # The admin channel and a new inventory are still a click away.
    assert {ids.SETUP_CHANNEL, ids.SETUP_INVENTORY} <= set(action_ids(view))


async def test_a_members_home_shows_no_setup(harness: SlackHarness) -> None:
    await harness.grant(ADMIN)

    view = await home_of(harness, MEMBER)

    assert "Setting up" not in view_text(view)
    assert not {ids.SETUP_CHANNEL, ids.SETUP_INVENTORY} & set(action_ids(view))


async def test_the_membership_and_inventory_steps_explain_the_file_to_share(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(ADMIN)

    await h.click_on_home(ADMIN, ids.SETUP_MEMBERSHIP, "membership")
    await h.click_on_home(ADMIN, ids.SETUP_INVENTORY, "inventory")
    await h.settle()

    membership, inventory = h.slack.calls_to("views.open")
    assert "account_email" in call_text(membership)
    assert "managed_in_pmc" in call_text(membership)
    assert "DM" in call_text(inventory)
    assert "5 MB" in call_text(inventory)


# -- the admin channel -------------------------------------------------------------------


async def test_a_global_admin_chooses_the_admin_channel_and_requests_go_there(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(ADMIN)
    await h.add_benefit("win11", "Windows 11 Enterprise", seats=2)

    await h.click_on_home(ADMIN, ids.SETUP_CHANNEL, "channel")
    await h.settle()
    [opened] = h.slack.calls_to("views.open")
    modal = opened.args["view"]
    assert modal["callback_id"] == ids.SETUP_VIEW
    [select] = [
        b["element"] for b in modal["blocks"] if b.get("block_id") == ids.SETUP_CHANNEL_BLOCK
    ]
    assert select["type"] == "conversations_select"

    ack = await submit_channel(h, ADMIN, CHANNEL)

    assert ack.json["response_action"] == "update", ack.body
    assert f"<#{CHANNEL}>" in call_text(RecordedCall("x", ack.json, None))
    [hello] = h.slack.calls_to("chat.postMessage")
    assert hello.args["channel"] == CHANNEL
    assert hello.token == BOT_TOKEN
    assert f"<@{ADMIN}> chose this channel" in call_text(hello)
    answer = await h.command(MEMBER, "request win11 for the lab")
    assert f"<#{CHANNEL}>" in answer.text, answer.text
    await h.settle()
    approvals = [
        c for c in h.slack.calls_to("chat.postMessage") if "request" in call_text(c).lower()
    ]
    assert [c.args["channel"] for c in approvals[-1:]] == [CHANNEL]
    async with h.bot.store.read() as uow:
        [entry] = [e for e in await uow.audit.recent(50) if e.action == "settings.admin_channel"]
    assert (entry.actor, entry.subject) == (ADMIN, f"channel:{CHANNEL}")


async def test_a_channel_the_bot_is_not_in_is_refused_in_the_form_and_not_kept(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(ADMIN)
    h.slack.fail_next("chat.postMessage", error="not_in_channel", status=200)

    ack = await submit_channel(h, ADMIN, CHANNEL)

    assert ack.json["response_action"] == "errors", ack.body
    error = ack.json["errors"][ids.SETUP_CHANNEL_BLOCK]
    assert "/invite @benefits" in error
    assert f"<#{CHANNEL}>" in error
    assert await h.bot.services.notices.current_channel() is None


async def test_a_channel_is_not_kept_when_slack_cannot_be_reached_to_check_it(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(ADMIN)
    h.slack.disconnect_next("chat.postMessage", times=5)

    ack = await submit_channel(h, ADMIN, CHANNEL)
    h.slack.clear_failures()

    assert ack.json["response_action"] == "errors", ack.body
    assert "try again" in ack.json["errors"][ids.SETUP_CHANNEL_BLOCK]
    assert await h.bot.services.notices.current_channel() is None


async def test_clearing_the_admin_channel_sends_admin_notices_by_dm_again(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(ADMIN)
    await submit_channel(h, ADMIN, CHANNEL)

    ack = await submit_channel(h, ADMIN, None)

    assert "by DM" in call_text(RecordedCall("x", ack.json, None))
    assert await h.bot.services.notices.current_channel() is None


async def test_only_a_global_admin_may_choose_the_admin_channel(harness: SlackHarness) -> None:
    h = harness
    await h.grant(ADMIN)
    await h.grant(MEMBER, Role.MPN_PARTNER_ADMIN)

    await h.click_on_home(MEMBER, ids.SETUP_CHANNEL, "channel")
    ack = await submit_channel(h, MEMBER, CHANNEL)
    await h.settle()

    [refusal] = h.slack.calls_to("views.open")
    assert "global_admin" in call_text(refusal)
    assert ack.json["response_action"] == "errors"
    assert not h.slack.calls_to("chat.postMessage")  # nothing was posted in the channel
    assert await h.bot.services.notices.current_channel() is None


async def test_the_admin_channel_setting_wins_and_the_form_says_so(
    slack: FakeSlackWebApi, database: Any
) -> None:
    settings = make_settings(slack.api_url, database, benefits_admin_channel=OPERATOR_CHANNEL)
    async with running_harness(slack, settings) as h:
        await h.grant(ADMIN)
        await h.click_on_home(ADMIN, ids.SETUP_CHANNEL, "channel")
        await h.settle()
        [opened] = h.slack.calls_to("views.open")
        assert "BENEFITS_ADMIN_CHANNEL" in call_text(opened)

        ack = await submit_channel(h, ADMIN, CHANNEL)

        assert "BENEFITS_ADMIN_CHANNEL" in call_text(RecordedCall("x", ack.json, None))
        assert await h.bot.services.notices.current_channel() == OPERATOR_CHANNEL
        view = await home_of(h, ADMIN)
        assert "set by the operator" in view_text(view)


# -- the inventory shared in a DM --------------------------------------------------------


async def test_a_global_admin_shares_the_inventory_in_a_dm_and_it_is_imported(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(ADMIN)

    file = await share(h, ADMIN, INVENTORY)

    [info] = h.slack.calls_to("files.info")
    assert info.args["file"] == file["id"]
    assert info.token == BOT_TOKEN
    [download] = h.slack.calls_to("download")
    assert download.token == BOT_TOKEN
    assert not download.failed
    assert await benefit_ids(h) == ["office-ltsc-pro-plus", "windows-11-enterprise"]
    [reply] = replies_to(h, ADMIN)
    assert "Imported *inventory.yaml*: 2 benefits added" in reply, reply
    assert "2 seats assigned (1 holders known by email only)" in reply
    async with h.bot.store.read() as uow:
        assert (await uow.membership.get()) is not None
        [entry] = [e for e in await uow.audit.recent(50) if e.action == "inventory.import"]
    assert (entry.actor, entry.subject) == (ADMIN, "inventory:inventory.yaml")


async def test_a_file_that_breaks_a_rule_is_refused_with_its_line_and_changes_nothing(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(ADMIN)
    await h.add_benefit("office-ltsc-pro-plus", "Office LTSC Professional Plus", seats=3)
    async with h.bot.store.write() as uow:
        for user in ("UHOLDER01", "UHOLDER02"):
            await uow.assignments.add(
                benefit_id="office-ltsc-pro-plus",
                user_id=user,
                assigned_at=h.clock.now(),
                assigned_by=ADMIN,
            )
    audit_before = await h.audit_count()

    await share(h, ADMIN, MISSPELT, name="mistake.yaml")
    await share(h, ADMIN, FEWER_SEATS, name="fewer.yaml", ts="1767225600.000200")

    misspelt, fewer = replies_to(h, ADMIN)
    assert "I did not import *mistake.yaml*: nothing was changed" in misspelt
    assert "line 16" in misspelt, misspelt
    assert 'did you mean "seats"' in misspelt
    assert "1 seat, but 3 would be in use" in fewer, fewer
    assert "Nothing was imported" in fewer
    # All or nothing: Windows 11, which comes first in the file and was fine, is not there.
    assert await benefit_ids(h) == ["office-ltsc-pro-plus"]
    assert await h.audit_count() == audit_before
    async with h.bot.store.read() as uow:
        assert await uow.membership.get() is None


async def test_a_file_from_someone_not_a_global_admin_is_politely_refused_unread(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(ADMIN)
    await h.grant(MEMBER, Role.MPN_PARTNER_ADMIN)

    await share(h, MEMBER, INVENTORY)

    [reply] = replies_to(h, MEMBER)
    assert "only a Global admin can import the inventory" in reply
    assert not h.slack.calls_to("files.info")
    assert not h.slack.calls_to("download")
    assert await benefit_ids(h) == []


async def test_slacks_retry_of_the_event_imports_once_and_replies_once(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(ADMIN)
    file = h.slack.share_file(ADMIN, "inventory.yaml", INVENTORY)
    body = event_body(share_event(h, ADMIN, file, "1767225600.000100"))

    await h.post(body)
    await h.settle()
    retry = {**sign(body, h.secret), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "timeout"}
    ack = await h.post(body, headers=retry)
    await h.settle()

    assert ack.status == 200
    assert len(replies_to(h, ADMIN)) == 1, h.slack.summary()
    async with h.bot.store.read() as uow:
        imports = [e for e in await uow.audit.recent(50) if e.action == "inventory.import"]
    assert len(imports) == 1


async def test_the_same_file_shared_again_is_not_imported_twice(harness: SlackHarness) -> None:
    h = harness
    await h.grant(ADMIN)
    file = await share(h, ADMIN, INVENTORY)

    again = share_event(h, ADMIN, file, "1767225700.000100")
    await h.event(again)
    await h.settle()

    first, second = replies_to(h, ADMIN)
    assert "Imported" in first
    assert "was imported already" in second
    assert "nothing was changed" in second
    assert len(h.slack.calls_to("download")) == 1


async def test_a_file_over_the_limit_is_refused_before_it_is_downloaded(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(ADMIN)

    await share(h, ADMIN, b"#" * (UPLOAD_LIMIT + 1), name="huge.yaml")

    [reply] = replies_to(h, ADMIN)
    assert "larger than 5 MB" in reply
    assert "nothing was changed" in reply
    assert not h.slack.calls_to("download")
    assert await benefit_ids(h) == []


async def test_a_file_slack_will_not_hand_over_is_reported_and_nothing_changes(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(ADMIN)
    h.slack.fail_next("download", error="forbidden", status=403)

    await share(h, ADMIN, INVENTORY)

    [reply] = replies_to(h, ADMIN)
    assert "could not download *inventory.yaml*" in reply, reply
    assert await benefit_ids(h) == []


async def test_a_plain_message_to_the_bot_is_acknowledged_and_left_alone(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(ADMIN)

    ack = await h.event(
        {
            "type": "message",
            "text": "hello",
            "user": ADMIN,
            "channel": FakeSlackWebApi.dm_channel_for(ADMIN),
            "channel_type": "im",
            "ts": "1767225600.000300",
        }
    )
    await h.settle()

    assert ack.status == 200
    assert not h.slack.calls_to("chat.postMessage")


async def test_a_shared_file_without_the_file_share_subtype_is_read_too(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(ADMIN)
    file = h.slack.share_file(ADMIN, "inventory.yaml", INVENTORY)
    event = share_event(h, ADMIN, file, "1767225600.000100")
    del event["subtype"]

    await h.event(event)
    await h.settle()

    [reply] = replies_to(h, ADMIN)
    assert "Imported *inventory.yaml*" in reply


async def test_a_file_shared_in_a_channel_is_left_alone(harness: SlackHarness) -> None:
    h = harness
    await h.grant(ADMIN)
    file = h.slack.share_file(ADMIN, "inventory.yaml", INVENTORY)
    event = {**share_event(h, ADMIN, file, "1767225600.000100"), "channel": CHANNEL}
    event["channel_type"] = "channel"

    ack = await h.event(event)
    await h.settle()

    assert ack.status == 200
    assert not h.slack.calls_to("files.info")
    assert not h.slack.calls_to("chat.postMessage")
