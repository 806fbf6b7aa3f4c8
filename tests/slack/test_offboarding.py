"""Offboarding, idle seats and the digest, end to end against the fake Slack
(docs/rules.md#offboarding, docs/rules.md#weekly-digest).

Slack's ``user_change`` events and clicks arrive signed over HTTP; what the bot owes
leaves through the outbox to the fake Web API, which checks every payload and
records the two-step file upload of the digest's chart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import ids
from bot.domain.model import Category, Role
from bot.runtime.upkeep import directory, reconcile_daily
from bot.services.offboarding import OffboardingNotice
from tests.fakes.web_api import FakeSlackWebApi
from tests.slack.harness import BOT_TOKEN, SlackHarness, call_text

ADMIN, ADMIN2, MEMBER, MEMBER2 = "UADMIN001", "UADMIN002", "UMEMBER01", "UMEMBER02"


def _user_change(user_id: str, *, deleted: bool) -> dict[str, Any]:
    return {
        "type": "user_change",
        "user": {"id": user_id, "team_id": "T0001", "name": "mia", "deleted": deleted},
        "event_ts": "1767225600.000100",
    }


async def _company(h: SlackHarness) -> None:
    """Two Global admins; MEMBER holds Microsoft 365 and Visual Studio, MEMBER2 Microsoft 365."""
    await h.grant(ADMIN)
    await h.grant(ADMIN2)
    await h.add_benefit("m365", "Microsoft 365 E3", seats=5)
    await h.add_benefit("vs-ent", "Visual Studio Enterprise", category=Category.VISUAL_STUDIO)
    services = h.bot.services
    for user in (MEMBER, MEMBER2):
        await services.roles.add_user(ADMIN, user)
    await services.seats.assign(ADMIN, "m365", MEMBER)
    await services.seats.assign(ADMIN, "vs-ent", MEMBER)
    await services.seats.assign(ADMIN, "m365", MEMBER2)


async def _departed(h: SlackHarness) -> int:
    """:func:`_company`, then MEMBER leaves (Slack deactivates them): their offboarding's id."""
    await _company(h)
    await h.event(_user_change(MEMBER, deleted=True))
    await h.settle()
    async with h.bot.store.read() as uow:
        departure = await uow.offboardings.current(MEMBER)
    assert departure is not None
    return departure.id


def _offboarding_posts(slack: FakeSlackWebApi) -> list[str]:
    return [
        str(c.args["channel"])
        for c in slack.calls_to("chat.postMessage", include_failed=False)
        if "has left the company" in str(c.args.get("text"))
    ]


@pytest.fixture
async def client(slack: FakeSlackWebApi) -> AsyncIterator[AsyncWebClient]:
    async with aiohttp.ClientSession() as session:
        yield AsyncWebClient(
            token=BOT_TOKEN, base_url=slack.api_url, session=session, retry_handlers=[]
        )


async def test_a_deactivation_posts_one_offboarding_message_per_admin_and_a_replay_none_more(
    harness: SlackHarness,
) -> None:
    await _company(harness)

    first = await harness.event(_user_change(MEMBER, deleted=True))
    replay = await harness.event(_user_change(MEMBER, deleted=True))
    await harness.settle()

    assert (first.status, replay.status) == (200, 200)
    assert sorted(_offboarding_posts(harness.slack)) == [ADMIN, ADMIN2]
    post = next(
        c
        for c in harness.slack.calls_to("chat.postMessage", include_failed=False)
        if c.args.get("channel") == ADMIN
    )
    text = call_text(post)
    assert "Microsoft 365 E3" in text
    assert "can be freed, not reassigned" in text  # Visual Studio before its 90 days
    action_ids = {
        e["action_id"]
        for b in post.args["blocks"]
        for e in b.get("elements", []) + ([b["accessory"]] if "accessory" in b else [])
        if isinstance(e, dict) and "action_id" in e
    }
    assert {ids.OFFBOARD_RECLAIM_ALL, ids.OFFBOARD_KEEP, ids.OFFBOARD_RECLAIM_ITEM} <= action_ids


async def test_reclaim_all_frees_exactly_their_seats_and_updates_every_copy(
    harness: SlackHarness,
) -> None:
    departure = await _departed(harness)

    ack = await harness.click(ADMIN, ids.OFFBOARD_RECLAIM_ALL, str(departure))
    again = await harness.click(ADMIN2, ids.OFFBOARD_RECLAIM_ALL, str(departure))
    await harness.settle()

    assert ack.status == 200
    assert await harness.seats_used("m365") == 1
    assert await harness.seats_used("vs-ent") == 0
    updates = harness.slack.calls_to("chat.update", include_failed=False)
    assert len(updates) == 2
    assert all("Reclaimed by" in call_text(u) for u in updates)
    assert all(ids.OFFBOARD_RECLAIM_ALL not in str(u.args.get("blocks")) for u in updates)
    refusal = harness.responses_to("click-")[-1]
    assert again.status == 200
    assert "already decided" in call_text(refusal)


async def test_keep_closes_the_offboarding_and_leaves_their_seats_alone(
    harness: SlackHarness,
) -> None:
    departure = await _departed(harness)

    ack = await harness.click(ADMIN, ids.OFFBOARD_KEEP, str(departure))
    await harness.settle()

    assert ack.status == 200
    assert await harness.seats_used("m365") == 2
    assert await harness.seats_used("vs-ent") == 1
    updates = harness.slack.calls_to("chat.update", include_failed=False)
    assert len(updates) == 2
    assert all("Kept by" in call_text(u) for u in updates)


async def test_a_member_cannot_reclaim_and_a_broken_button_changes_nothing(
    harness: SlackHarness,
) -> None:
    await _company(harness)
    await harness.event(_user_change(MEMBER, deleted=True))
    await harness.settle()

    await harness.click(MEMBER2, ids.OFFBOARD_RECLAIM_ALL, "1")
    await harness.click(ADMIN, ids.OFFBOARD_RECLAIM_ITEM, "1|nonsense")
    await harness.click(ADMIN, ids.OFFBOARD_KEEP, "not-a-number")
    await harness.settle()

    assert await harness.seats_used("m365") == 2
    answers = [call_text(c) for c in harness.responses_to("click-")]
    assert "This needs the global_admin role" in answers[0]
    assert "not one the bot offered" in answers[1]
    assert "names no offboarding" in answers[2]


async def test_a_reactivation_gives_nothing_back(harness: SlackHarness) -> None:
    departure = await _departed(harness)
    await harness.click(ADMIN, ids.OFFBOARD_RECLAIM_ALL, str(departure))

    await harness.event(_user_change(MEMBER, deleted=False))
    await harness.settle()

    assert await harness.seats_used("m365") == 1
    async with harness.bot.store.read() as uow:
        assert await uow.offboardings.current(MEMBER) is None
        assert await uow.assignments.of_user(MEMBER) == []


async def test_the_reconciliation_pages_through_users_list_and_offboards_who_left(
    harness: SlackHarness, client: AsyncWebClient
) -> None:
    await _company(harness)
    assert harness.bot.reminders is not None
    await harness.bot.reminders.scheduler.sweep_now()  # the start-up sweep is over
    for i in range(450):
        harness.slack.add_user(f"UPEOPLE{i:03d}", name=f"p{i}")
    harness.slack.add_user(MEMBER, name="mia", deleted=True)
    harness.slack.add_user(MEMBER2, name="max")
    harness.clock.advance(timedelta(days=1))  # the sweep at start-up reconciled already
    before = len(harness.slack.calls_to("users.list"))

    accounts = await directory(client)
    found = await reconcile_daily(harness.bot.services.offboarding, client)
    again = await reconcile_daily(harness.bot.services.offboarding, client)
    await harness.settle()

    assert len(accounts) == 452
    assert (found, again) == (1, 0)  # again: not a day later yet
    pages = harness.slack.calls_to("users.list")[before:]
    assert len(pages) == 2 * 3  # 452 accounts, 200 a page, twice (directory, then reconcile)
    assert [bool(p.args.get("cursor")) for p in pages[:3]] == [False, True, True]
    assert sorted(_offboarding_posts(harness.slack)) == [ADMIN, ADMIN2]


async def test_the_sweep_runs_the_reconciliation_with_the_reminders(
    harness: SlackHarness,
) -> None:
    await _company(harness)
    runtime = harness.bot.reminders
    assert runtime is not None
    await runtime.scheduler.sweep_now()  # the start-up sweep is over
    harness.slack.add_user(MEMBER, name="mia", deleted=True)
    harness.clock.advance(timedelta(days=1))  # the sweep at start-up reconciled already

    await runtime.scheduler.sweep_now()
    await harness.settle()

    assert harness.slack.calls_to("users.list")
    async with harness.bot.store.read() as uow:
        every = await uow.outbox.pings(state=None, offset=0, limit=100)
    assert [p.recipient for p in every if p.kind == OffboardingNotice.POST] == [ADMIN, ADMIN2]


async def test_the_digest_on_demand_is_shown_and_its_chart_uploaded_in_two_steps(
    harness: SlackHarness,
) -> None:
    await _company(harness)

    ack = await harness.command(ADMIN, "digest")
    await harness.settle()

    assert ack.status == 200
    assert "Weekly benefits digest" in ack.text
    dm = next(
        c
        for c in harness.slack.calls_to("chat.postMessage", include_failed=False)
        if c.args.get("channel") == ADMIN
    )
    assert "Software: 2 of 5" in str(dm.args["text"])
    methods = [
        c.method
        for c in harness.slack.calls
        if c.method.startswith("files.") or c.method == "upload"
    ]
    assert methods == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    asked, uploaded, completed = (
        harness.slack.calls_to(m)
        for m in ("files.getUploadURLExternal", "upload", "files.completeUploadExternal")
    )
    assert int(asked[0].args["length"]) == len(uploaded[0].args["content"])
    assert uploaded[0].args["content"][:8] == b"\x89PNG\r\n\x1a\n"
    assert "Seats used per benefit" in str(asked[0].args.get("alt_txt"))
    assert completed[0].args["channel_id"] == harness.slack.dm_channel_for(ADMIN)
    assert not completed[0].failed
    assert harness.slack.uploaded(str(uploaded[0].args["file_id"])) == uploaded[0].args["content"]


async def test_the_digest_is_refused_to_a_member_with_who_may_see_it(
    harness: SlackHarness,
) -> None:
    await _company(harness)
    await harness.grant(MEMBER2, Role.MPN_PARTNER_ADMIN)

    ack = await harness.command(MEMBER, "digest")
    await harness.settle()

    assert "This needs the global_admin or mpn_partner_admin role" in ack.text
    assert harness.slack.calls_to("files.getUploadURLExternal") == []


async def test_a_chart_whose_upload_failed_is_uploaded_again_after_the_backoff(
    harness: SlackHarness,
) -> None:
    await _company(harness)
    harness.slack.fail_next("upload", error="server_error", status=500)

    await harness.command(ADMIN, "digest")
    await harness.settle()
    assert harness.slack.calls_to("files.completeUploadExternal") == []

    harness.clock.advance(timedelta(seconds=31))
    await harness.settle()

    uploads = harness.slack.calls_to("upload")
    assert [u.failed for u in uploads] == [True, False]
    [completed] = harness.slack.calls_to("files.completeUploadExternal")
    assert not completed.failed
    assert completed.args["channel_id"] == harness.slack.dm_channel_for(ADMIN)


async def test_the_holder_answers_still_using_it_with_the_two_buttons(
    harness: SlackHarness,
) -> None:
    await _company(harness)
    harness.clock.advance(timedelta(days=60))
    await harness.bot.services.idle.sweep()
    async with harness.bot.store.read() as uow:
        held = {a.benefit_id: a.id for a in await uow.assignments.of_user(MEMBER)}

    kept = await harness.click(MEMBER, ids.SEAT_KEEP, str(held["m365"]))
    freed = await harness.click(MEMBER, ids.SEAT_FREE, str(held["vs-ent"]))
    await harness.click(MEMBER2, ids.SEAT_KEEP, str(held["m365"]))  # not theirs
    await harness.settle()

    assert (kept.status, freed.status) == (200, 200)
    answers = [call_text(c) for c in harness.responses_to("click-")]
    assert "you keep your seat of *Microsoft 365 E3*" in answers[0]
    assert "your seat of *Visual Studio Enterprise* is offered to the admins" in answers[1]
    assert "You no longer hold that seat" in answers[2]
    async with harness.bot.store.read() as uow:
        keep = await uow.seat_checks.get(held["m365"])
        free = await uow.seat_checks.get(held["vs-ent"])
    assert keep is not None
    assert free is not None
    assert (keep.answer, free.answer) == ("keep", "free")
