"""The bot in Dutch, over Slack's wire format: each person reads their own language.

Slack knows ``NL_MEMBER`` and ``NL_ADMIN`` with the locale ``nl-NL``, ``EN_ADMIN``
with ``en-US`` and ``DE_MEMBER`` with ``de-DE`` (a language the bot has no catalogue
for) from the start, as ``users.list`` lists them; ``STRANGER`` is unknown to Slack.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.blocks import ids
from bot.domain.model import Category
from bot.runtime.server import RunningBot
from tests.fakes.blockkit import block_kit_violations
from tests.fakes.web_api import FakeSlackWebApi, RecordedCall
from tests.slack.harness import SlackHarness, call_text

NL_MEMBER = "UNLMEMBER1"
NL_ADMIN = "UNLADMIN01"
EN_ADMIN = "UENADMIN01"
DE_MEMBER = "UDEMEMBER1"
STRANGER = "USTRANGER1"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackWebApi]:
    async with FakeSlackWebApi() as fake:
        fake.add_user(NL_MEMBER, name="daan", email="daan@contoso.nl", locale="nl-NL")
        fake.add_user(NL_ADMIN, name="sanne", locale="nl-NL")
        fake.add_user(EN_ADMIN, name="emma", locale="en-US")
        fake.add_user(DE_MEMBER, name="lena", locale="de-DE")
        yield fake


@pytest.fixture
async def ready(harness: SlackHarness) -> SlackHarness:
    await harness.add_benefit("win11", "Windows 11 Enterprise", seats=2)
    await harness.grant(NL_ADMIN)
    await harness.grant(EN_ADMIN)
    await harness.bot.services.locales.load_slack()  # as start-up did, in the background
    return harness


async def sweep(bot: RunningBot) -> int:
    assert bot.reminders is not None
    return await bot.reminders.scheduler.sweep_now()


def buttons(call: RecordedCall | dict[str, Any]) -> list[str]:
    blocks = call.args["blocks"] if isinstance(call, RecordedCall) else call["blocks"]
    return [e["text"]["text"] for b in blocks if b.get("type") == "actions" for e in b["elements"]]


def posts_to(h: SlackHarness, channel: str) -> list[RecordedCall]:
    return [
        c
        for c in h.slack.calls_to("chat.postMessage", include_failed=False)
        if c.args.get("channel") == channel
    ]


async def slack_listed_nobody(h: SlackHarness) -> None:
    """The bot knows no locale, as if ``users.list`` had failed at start-up; Slack knows
    ``STRANGER``, who reads Dutch."""
    locales = h.bot.services.locales
    await locales.started()
    locales.forget_all()
    h.slack.add_user(STRANGER, name="nina", locale="nl-NL")


# -- replies to commands ----------------------------------------------------------------


async def test_a_dutch_slack_user_gets_dutch_replies_and_an_english_one_english(
    ready: SlackHarness,
) -> None:
    h = ready
    dutch = await h.command(NL_MEMBER, "help")
    english = await h.command(EN_ADMIN, "help")

    assert "Wat je kunt doen met /benefits" in dutch.text
    assert "Partnervoordelen" in dutch.text
    assert "What you can do with /benefits" in english.text
    assert "Wat je kunt doen" not in english.text


async def test_a_dutch_request_is_answered_in_dutch_with_a_dutch_date(
    ready: SlackHarness,
) -> None:
    h = ready
    ack = await h.command(NL_MEMBER, "request win11 voor het testlab")
    mine = await h.command(NL_MEMBER, "mine")

    assert "Je aanvraag #" in ack.text
    assert "is naar de globale beheerders verstuurd" in ack.text
    assert "*Wacht op een globale beheerder*" in mine.text  # a t() inside an f-string
    assert "van 15 jan 2026" in mine.text, mine.text  # the fake clock's day, written in Dutch
    assert "Je hebt 0 voordelen en wacht op 1." in mine.json["text"]


async def test_a_refusal_is_in_dutch_too(ready: SlackHarness) -> None:
    h = ready
    unknown = await h.command(NL_MEMBER, "frobnicate")
    refused = await h.command(NL_MEMBER, "grant <@UNLMEMBER1> global_admin")

    assert "Ik ken de opdracht `frobnicate` niet." in unknown.text
    assert "Hiervoor is de rol global_admin nodig." in refused.text


async def test_a_locale_without_a_catalogue_or_a_person_slack_does_not_know_reads_english(
    ready: SlackHarness,
) -> None:
    h = ready
    german = await h.command(DE_MEMBER, "help")
    stranger = await h.command(STRANGER, "help")

    assert "What you can do with /benefits" in german.text
    assert "What you can do with /benefits" in stranger.text


# -- the same flow, each in their own language --------------------------------------------


async def test_approval_requests_modals_and_reminders_reach_each_admin_in_their_language(
    ready: SlackHarness,
) -> None:
    h = ready
    await sweep(h.bot)
    ack = await h.command(NL_MEMBER, "request win11 voor het testlab")
    assert ack.status == 200
    await h.settle()

    [to_dutch] = posts_to(h, NL_ADMIN)
    [to_english] = posts_to(h, EN_ADMIN)
    assert buttons(to_dutch) == ["Goedkeuren", "Afwijzen"]
    assert buttons(to_english) == ["Approve", "Deny"]
    assert "vraagt *Windows 11 Enterprise* aan" in call_text(to_dutch)
    assert "asks for *Windows 11 Enterprise*" in call_text(to_english)

    # A day later both are reminded, each in their language.
    h.clock.advance(timedelta(hours=24))
    assert await sweep(h.bot) == 2  # one reminder for each Global admin
    await h.settle()
    reminders = [
        c
        for c in h.slack.calls_to("chat.postMessage", include_failed=False)
        if isinstance(c.args.get("metadata"), dict)
        and c.args["metadata"]["event_payload"]["kind"] == "approval_waiting"
    ]
    by_admin = {c.args["channel"]: call_text(c) for c in reminders}
    assert "wacht al 24 uur op een globale beheerder" in by_admin[NL_ADMIN]
    assert "has waited 24 hours for a Global admin" in by_admin[EN_ADMIN]

    # The Dutch admin opens the Deny modal: in Dutch, within Block Kit's limits.
    request_id = next(
        e["value"]
        for b in to_dutch.args["blocks"]
        if b.get("type") == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.APPROVE
    )
    click = await h.click(NL_ADMIN, ids.DENY, request_id)
    assert click.status == 200
    [opened] = await h.slack.wait_for("views.open")
    view = opened.args["view"]
    assert view["title"]["text"] == "Aanvraag afwijzen"
    assert "Waarom wordt deze aanvraag afgewezen?" in call_text(opened)
    assert block_kit_violations(view, surface="modal") == []

    # The decision reaches the requester in Dutch, and each admin's copy keeps its language.
    await h.submit(
        NL_ADMIN,
        ids.DENY_VIEW,
        {ids.DENY_REASON_BLOCK: {ids.DENY_REASON_INPUT: "Niet dit kwartaal"}},
        private_metadata=view.get("private_metadata", ""),
    )
    await h.settle()
    [decision] = posts_to(h, NL_MEMBER)
    assert "Je aanvraag voor *Windows 11 Enterprise* is afgewezen" in call_text(decision)
    updates = {c.args["channel"]: call_text(c) for c in h.slack.calls_to("chat.update")}
    dutch_copy = h.slack.dm_channel_for(NL_ADMIN)
    english_copy = h.slack.dm_channel_for(EN_ADMIN)
    assert "Afgewezen door" in updates[dutch_copy], updates
    assert "Denied by" in updates[english_copy], updates


async def test_the_home_tab_is_published_in_its_owners_language(ready: SlackHarness) -> None:
    h = ready
    await h.event({"type": "app_home_opened", "user": NL_MEMBER, "channel": "D1", "tab": "home"})
    await h.event({"type": "app_home_opened", "user": EN_ADMIN, "channel": "D2", "tab": "home"})

    published = await h.slack.wait_for("views.publish", count=2)
    by_owner = {c.args["user_id"]: call_text(c) for c in published}
    assert "Voordeel aanvragen" in by_owner[NL_MEMBER]
    assert "Request a benefit" in by_owner[EN_ADMIN]
    assert "Voordeel aanvragen" not in by_owner[EN_ADMIN]


async def test_a_dutch_member_opening_the_app_home_reads_all_of_it_in_dutch(
    ready: SlackHarness,
) -> None:
    h = ready
    await h.add_benefit("vs-ent", "Visual Studio Enterprise", category=Category.VISUAL_STUDIO)
    await h.command(NL_ADMIN, f"adduser <@{NL_MEMBER}>")
    assigned = await h.command(NL_ADMIN, f"assign vs-ent <@{NL_MEMBER}>")
    assert "heeft nu een plek van *Visual Studio Enterprise*" in assigned.text
    await h.command(NL_MEMBER, "request win11 voor het lab")
    await h.settle()

    ack = await h.event({"type": "app_home_opened", "user": NL_MEMBER, "tab": "home"})
    assert ack.status == 200
    await h.settle()
    [published] = [
        c for c in h.slack.calls_to("views.publish") if c.args.get("user_id") == NL_MEMBER
    ][-1:]
    view = published.args["view"]
    text = call_text(published)

    assert block_kit_violations(view, surface="home") == []
    assert view["blocks"][0]["text"]["text"] == "Partnervoordelen"
    assert buttons(view) == ["Voordeel aanvragen"]
    assert "*Wat je hebt* (1)" in text
    assert "*Je aanvragen die op een globale beheerder wachten* (1)" in text
    assert "*Zo werkt het*" in text
    withdraw = next(
        b["accessory"]
        for b in view["blocks"]
        if b.get("accessory", {}).get("action_id") == ids.WITHDRAW
    )
    assert withdraw["text"]["text"] == "Intrekken"
    assert withdraw["confirm"]["title"]["text"] == "Aanvraag intrekken?"
    assert withdraw["confirm"]["deny"]["text"] == "Behouden"
    for english in ("What you hold", "Request a benefit", "How this works", "Withdraw", "since"):
        assert english not in text, english


# -- choosing a language ------------------------------------------------------------------


async def test_the_language_command_overrides_slack_and_auto_returns_to_it(
    ready: SlackHarness,
) -> None:
    h = ready
    shown = await h.command(NL_MEMBER, "language")
    chosen = await h.command(NL_MEMBER, "language en")
    english = await h.command(NL_MEMBER, "help")
    back = await h.command(NL_MEMBER, "language auto")
    dutch = await h.command(NL_MEMBER, "help")

    assert "Ik schrijf je in de taal van je Slack: Nederlands." in shown.text
    assert "From now on I write to you in English." in chosen.text
    assert "What you can do with /benefits" in english.text
    assert "Vanaf nu schrijf ik je in de taal van je Slack: Nederlands." in back.text
    assert "Wat je kunt doen met /benefits" in dutch.text


async def test_an_english_slack_user_may_choose_dutch_and_the_choice_is_kept(
    ready: SlackHarness,
) -> None:
    h = ready
    chosen = await h.command(EN_ADMIN, "language nl")
    shown = await h.command(EN_ADMIN, "language")

    assert "Vanaf nu schrijf ik je in het Nederlands." in chosen.text
    assert "Ik schrijf je in het Nederlands, zoals je hebt gekozen." in shown.text
    assert await h.bot.services.language.chosen(EN_ADMIN) == "nl"
    # Another replica (or this one after a restart) reads the choice from storage.
    h.bot.services.locales.chose(EN_ADMIN, None)
    await h.bot.services.locales.tick()
    assert "Wat je kunt doen" in (await h.command(EN_ADMIN, "help")).text


async def test_a_language_the_bot_does_not_speak_is_refused_and_nothing_changes(
    ready: SlackHarness,
) -> None:
    h = ready
    refused = await h.command(NL_MEMBER, "language fr")
    too_many = await h.command(NL_MEMBER, "language nl en")

    assert "Ik spreek geen `fr`. Kies een van: `en`, `nl`, `auto`." in refused.text
    assert "Gebruik: `/benefits language [nl|en|auto]`" in too_many.text
    assert await h.bot.services.language.chosen(NL_MEMBER) is None


async def test_the_help_shows_the_language_command(ready: SlackHarness) -> None:
    h = ready
    english = await h.command(EN_ADMIN, "help")
    dutch = await h.command(NL_MEMBER, "help")

    assert "`/benefits language [nl|en|auto]` — the language I write to you in" in english.text
    assert "`/benefits language [nl|en|auto]` — de taal waarin ik je schrijf" in dutch.text


# -- the cache's lifetime -------------------------------------------------------------------


async def test_a_changed_slack_locale_is_read_again_only_once_the_lifetime_has_passed(
    ready: SlackHarness,
) -> None:
    h = ready
    locales = h.bot.services.locales
    h.slack.add_user(NL_MEMBER, name="daan", locale="en-GB")  # changed in Slack

    await locales.tick()
    before = await h.command(NL_MEMBER, "help")
    h.clock.advance(locales.lifetime - timedelta(seconds=1))
    await locales.tick()
    still = await h.command(NL_MEMBER, "help")
    h.clock.advance(timedelta(seconds=1))
    await locales.tick()
    after = await h.command(NL_MEMBER, "help")

    assert "Wat je kunt doen" in before.text
    assert "Wat je kunt doen" in still.text
    assert "What you can do" in after.text
    # The daily offboarding reconciliation lists users too, without locales.
    listed = [
        c
        for c in h.slack.calls_to("users.list", include_failed=False)
        if c.args.get("include_locale") in ("1", "true", True)
    ]
    assert len(listed) >= 2  # at start-up, and once the lifetime had passed


async def test_someone_unknown_at_start_up_is_asked_for_once_slack_could_not_list_anyone(
    harness: SlackHarness,
) -> None:
    h = harness
    await slack_listed_nobody(h)

    first = await h.command(STRANGER, "help")  # never waits: English, asks in the background
    await h.slack.wait_for("users.info", where=lambda c: c.args.get("user") == STRANGER)
    await h.settle()
    second = await h.command(STRANGER, "help")

    assert "What you can do" in first.text
    assert "Wat je kunt doen" in second.text
    asked = [c for c in h.slack.calls_to("users.info") if c.args.get("user") == STRANGER]
    assert len(asked) == 1
    assert asked[0].args.get("include_locale") in ("1", "true", True)


async def test_when_slack_fails_the_answer_is_english_and_nothing_breaks(
    harness: SlackHarness,
) -> None:
    h = harness
    await slack_listed_nobody(h)
    h.slack.fail_next("users.info", "internal_error", status=200)

    first = await h.command(STRANGER, "help")
    await h.settle()

    assert first.status == 200
    assert "What you can do" in first.text
