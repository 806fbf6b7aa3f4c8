"""Whose language: chosen > Slack locale > English, known ahead so requests never wait."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from bot.domain.clock import FakeClock
from bot.runtime.locales import ReaderLocales, is_channel


class FakeSlack:
    """``users.list`` and ``users.info`` answers, counted; ``fail`` makes them raise."""

    def __init__(self, locales: dict[str, str]) -> None:
        self.locales = locales
        self.listed = 0
        self.asked: list[str] = []
        self.fail = False

    async def users(self) -> dict[str, str]:
        self.listed += 1
        if self.fail:
            raise RuntimeError("slack is down")
        return dict(self.locales)

    async def user(self, user_id: str) -> dict[str, Any] | None:
        self.asked.append(user_id)
        if self.fail:
            raise RuntimeError("slack is down")
        if user_id not in self.locales:
            return None
        return {"id": user_id, "locale": self.locales[user_id], "profile": {"email": "a@b.nl"}}


def make(slack: FakeSlack, clock: FakeClock, chosen: dict[str, str] | None = None) -> ReaderLocales:
    async def all_chosen() -> dict[str, str]:
        return dict(chosen or {})

    locales = ReaderLocales(clock=clock, all_chosen=all_chosen, lifetime=600)
    locales.slack_user = slack.user
    locales.slack_users = slack.users
    return locales


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def test_a_choice_beats_the_slack_locale_which_beats_english(clock: FakeClock) -> None:
    slack = FakeSlack({"U1": "nl-NL", "U2": "en-US", "U3": "de-DE", "U4": ""})
    locales = make(slack, clock, chosen={"U2": "nl"})
    await locales.tick()

    assert locales.for_request("U1") == "nl"
    assert locales.for_request("U2") == "nl"  # chose Dutch over Slack's English
    assert locales.for_request("U3") == "en"  # no German catalogue
    assert locales.for_request("U4") == "en"  # Slack has no locale for them
    assert locales.for_request("U404") == "en"  # not in the workspace
    assert locales.for_request(None) == "en"
    assert slack.asked == []  # a loaded workspace: nobody asked one by one


async def test_choosing_here_counts_at_once_and_auto_returns_to_slack(clock: FakeClock) -> None:
    slack = FakeSlack({"U1": "nl-NL"})
    locales = make(slack, clock)
    await locales.tick()

    locales.chose("U1", "en")
    assert locales.for_request("U1") == "en"
    locales.chose("U1", None)
    assert locales.for_request("U1") == "nl"


async def test_slack_is_listed_again_only_once_the_lifetime_has_passed(clock: FakeClock) -> None:
    slack = FakeSlack({"U1": "nl-NL"})
    locales = make(slack, clock)
    await locales.tick()
    slack.locales["U1"] = "en-GB"

    clock.advance(timedelta(seconds=599))
    await locales.tick()
    assert (slack.listed, locales.for_request("U1")) == (1, "nl")
    clock.advance(timedelta(seconds=1))
    await locales.tick()
    assert (slack.listed, locales.for_request("U1")) == (2, "en")


async def test_before_any_list_a_person_is_english_at_once_and_asked_for_in_the_background(
    clock: FakeClock,
) -> None:
    slack = FakeSlack({"U1": "nl-NL"})
    locales = make(slack, clock)

    assert locales.for_request("U1") == "en"
    assert locales.for_request("U1") == "en"  # one lookup at a time
    await asyncio.sleep(0.01)
    assert locales.for_request("U1") == "nl"
    assert slack.asked == ["U1"]
    await locales.stop()


async def test_a_failing_slack_means_english_and_keeps_what_was_known(clock: FakeClock) -> None:
    slack = FakeSlack({"U1": "nl-NL"})
    locales = make(slack, clock)
    await locales.tick()
    slack.fail = True
    clock.advance(timedelta(hours=1))

    await locales.tick()  # the list fails: the old locales stay
    assert locales.for_request("U1") == "nl"
    assert await locales.locale_of("U2") == "en"  # the lookup fails: English, no error


async def test_a_delivery_waits_for_its_recipients_locale_and_a_channel_reads_the_setting(
    clock: FakeClock,
) -> None:
    slack = FakeSlack({"U9": "nl-BE"})
    locales = make(slack, clock)  # never listed: a delivery asks and waits

    assert await locales.locale_of("U9") == "nl"
    assert await locales.locale_of("C0ADMIN") == "en"
    assert await locales.locale_of("") == "en"
    assert slack.asked == ["U9"]
    dutch_channel = ReaderLocales(clock=clock, channel_language="nl")
    assert await dutch_channel.locale_of("C0ADMIN") == "nl"


async def test_the_email_lookup_shares_the_users_info_call(clock: FakeClock) -> None:
    slack = FakeSlack({"U1": "nl-NL"})
    locales = make(slack, clock)

    profile = await locales.slack_profile("U1")
    again = await locales.slack_profile("U1")

    assert profile is not None
    assert profile["profile"]["email"] == "a@b.nl"
    assert again == profile
    assert slack.asked == ["U1"]
    assert locales.for_request("U1") == "nl"


def test_conversations_are_told_apart_from_people() -> None:
    assert [is_channel(x) for x in ("C1", "G1", "D1", "U1", "W1")] == [
        True,
        True,
        True,
        False,
        False,
    ]
