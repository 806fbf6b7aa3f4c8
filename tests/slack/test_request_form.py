"""Requests through a form, over Slack's wire format: opening it three ways, the options
of its picker, the refusals shown at the fields, and a submission filing one request."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.blocks import ids
from bot.domain.model import Category, RequestStatus
from tests.slack.harness import Ack, SlackHarness, call_text

MEMBER = "UMEMBER01"
OTHER = "UMEMBER02"
ADMIN = "UADMIN001"
CHANNEL = "CADMINS01"


@pytest.fixture
def admin_channel() -> str | None:
    return CHANNEL


@pytest.fixture
async def stocked(harness: SlackHarness) -> SlackHarness:
    h = harness
    await h.grant(ADMIN)
    await h.add_benefit("win11", "Windows 11 Enterprise", seats=2)
    await h.add_benefit(
        "vs-ent", "Visual Studio Enterprise", seats=3, category=Category.VISUAL_STUDIO
    )
    await h.add_benefit(
        "vs-pro", "Visual Studio Professional", seats=1, category=Category.VISUAL_STUDIO
    )
    await h.add_benefit("azure-150", "Azure credit 150", seats=None, category=Category.CLOUD)
    await h.add_benefit(
        "sig-support", "Signature cloud support", seats=None, category=Category.TECHNICAL
    )
    return h


def form(benefit: str | None, reason: str | None = "for the customer project") -> dict[str, Any]:
    picked: Any = (
        {"type": "external_select", "selected_option": None}
        if benefit is None
        else {
            "type": "external_select",
            "selected_option": {"text": {"type": "plain_text", "text": benefit}, "value": benefit},
        }
    )
    return {
        ids.REQUEST_BENEFIT_BLOCK: {ids.REQUEST_BENEFIT_INPUT: picked},
        ids.REQUEST_REASON_BLOCK: {ids.REQUEST_REASON_INPUT: reason},
    }


async def submit(
    h: SlackHarness, user: str, benefit: str | None, reason: str | None = "for the customer project"
) -> Ack:
    return await h.submit(user, ids.REQUEST_VIEW, form(benefit, reason))


def options_of(ack: Ack) -> list[tuple[str, str, str]]:
    """(group label, value, text) of every option answered."""
    return [
        (group["label"]["text"], option["value"], option["text"]["text"])
        for group in ack.json.get("option_groups", [])
        for option in group["options"]
    ]


async def pending_of(h: SlackHarness, user: str) -> list[int]:
    async with h.bot.store.read() as uow:
        return [r.id for r in await uow.requests.of_user(user, status=RequestStatus.PENDING)]


async def test_the_form_opens_from_the_home_button_the_shortcut_and_the_bare_command(
    stocked: SlackHarness,
) -> None:
    h = stocked
    by_button = await h.click_on_home(MEMBER, ids.REQUEST_FORM_BUTTON, "home")
    by_shortcut = await h.shortcut(MEMBER, ids.REQUEST_SHORTCUT)
    by_command = await h.command(MEMBER, "request")
    await h.settle()

    assert [a.status for a in (by_button, by_shortcut, by_command)] == [200, 200, 200]
    opened = h.slack.calls_to("views.open", include_failed=False)
    assert [c.args["view"]["callback_id"] for c in opened] == [ids.REQUEST_VIEW] * 3
    picker = opened[0].args["view"]["blocks"][0]["element"]
    assert picker["type"] == "external_select"
    assert picker["action_id"] == ids.REQUEST_BENEFIT_INPUT


async def assign(h: SlackHarness, benefit: str, user: str) -> None:
    await h.command(ADMIN, f"adduser <@{user}>")
    ack = await h.command(ADMIN, f"assign {benefit} <@{user}>")
    assert ":warning:" not in ack.text, ack.text


async def test_the_picker_offers_requestable_benefits_grouped_by_category_with_seats_left(
    stocked: SlackHarness,
) -> None:
    h = stocked
    await assign(h, "vs-ent", OTHER)
    ack = await h.options(MEMBER, ids.REQUEST_BENEFIT_INPUT, ids.REQUEST_BENEFIT_BLOCK, "")

    found = options_of(ack)
    assert [g for g, _, _ in found] == [
        "Software",
        "Cloud services",
        "Visual Studio subscriptions",
        "Visual Studio subscriptions",
    ]
    texts = {value: text for _, value, text in found}
    assert texts["vs-ent"] == "Visual Studio Enterprise · 2 of 3 seats left"
    assert texts["azure-150"].endswith("no seat limit")
    assert "sig-support" not in texts  # technical benefits are activated, not requested


async def test_the_picker_filters_by_what_is_typed(stocked: SlackHarness) -> None:
    h = stocked

    starts = await h.options(MEMBER, ids.REQUEST_BENEFIT_INPUT, ids.REQUEST_BENEFIT_BLOCK, "visual")
    contains = await h.options(
        MEMBER, ids.REQUEST_BENEFIT_INPUT, ids.REQUEST_BENEFIT_BLOCK, "enterprise"
    )
    typo = await h.options(
        MEMBER, ids.REQUEST_BENEFIT_INPUT, ids.REQUEST_BENEFIT_BLOCK, "windos 11"
    )
    nothing = await h.options(
        MEMBER, ids.REQUEST_BENEFIT_INPUT, ids.REQUEST_BENEFIT_BLOCK, "zzzzqqq"
    )

    assert {v for _, v, _ in options_of(starts)} == {"vs-ent", "vs-pro"}
    assert {v for _, v, _ in options_of(contains)} == {"win11", "vs-ent"}
    assert next(v for _, v, _ in options_of(typo)) == "win11"
    assert nothing.json == {"options": []}


async def test_the_picker_answers_at_most_100_options_within_block_kit_limits(
    harness: SlackHarness,
) -> None:
    h = harness
    for n in range(150):
        await h.add_benefit(
            f"b{n:03d}", f"Benefit with a rather long name to be clipped {n:03d} " + "x" * 80
        )

    ack = await h.options(MEMBER, ids.REQUEST_BENEFIT_INPUT, ids.REQUEST_BENEFIT_BLOCK, "")

    found = options_of(ack)
    assert len(found) == 100
    assert all(len(text) <= 75 and len(value) <= 150 for _, value, text in found)


async def test_a_submission_files_one_request_posts_it_to_the_admins_and_confirms_by_dm(
    stocked: SlackHarness,
) -> None:
    h = stocked
    ack = await submit(h, MEMBER, "vs-ent")
    await h.settle()

    assert ack.status == 200
    assert ack.body in ("", {})
    assert len(await pending_of(h, MEMBER)) == 1
    posts = h.slack.calls_to("chat.postMessage", include_failed=False)
    to_admins = [c for c in posts if c.args["channel"] == CHANNEL]
    to_member = [c for c in posts if c.args["channel"] == MEMBER]
    assert len(to_admins) == 1
    assert "for the customer project" in call_text(to_admins[0])
    assert len(to_member) == 1
    assert "was sent in <#CADMINS01>" in call_text(to_member[0])


async def test_a_double_submit_files_one_request(stocked: SlackHarness) -> None:
    h = stocked
    first, second = await asyncio.gather(submit(h, MEMBER, "win11"), submit(h, MEMBER, "win11"))
    await h.settle()

    assert sorted(a.status for a in (first, second)) == [200, 200]
    assert len(await pending_of(h, MEMBER)) == 1
    refused = [a for a in (first, second) if isinstance(a.body, dict) and a.body]
    assert len(refused) == 1
    assert "already asked" in refused[0].json["errors"][ids.REQUEST_BENEFIT_BLOCK]


@pytest.mark.parametrize(
    ("situation", "expected"),
    [("no seat left", "No seat of *Visual Studio Professional* is left"), ("already held", "You already hold"), ("already pending", "You already asked")],
)  # fmt: skip
async def test_each_refusal_shows_inline_at_the_picker_and_files_nothing(
    stocked: SlackHarness, situation: str, expected: str
) -> None:
    h = stocked
    if situation == "no seat left":
        await assign(h, "vs-pro", OTHER)
    elif situation == "already held":
        await assign(h, "vs-pro", MEMBER)
    else:
        await h.command(MEMBER, "request vs-pro first ask")
    before = await pending_of(h, MEMBER)

    ack = await submit(h, MEMBER, "vs-pro")

    assert ack.json["response_action"] == "errors"
    assert expected in ack.json["errors"][ids.REQUEST_BENEFIT_BLOCK]
    assert await pending_of(h, MEMBER) == before


async def test_a_missing_pick_or_a_too_long_reason_is_refused_at_its_field(
    stocked: SlackHarness,
) -> None:
    h = stocked
    no_pick = await submit(h, MEMBER, None)
    long_reason = await submit(h, MEMBER, "win11", "x" * 600)
    unknown = await submit(h, MEMBER, "no-such-benefit")

    assert "Pick a benefit" in no_pick.json["errors"][ids.REQUEST_BENEFIT_BLOCK]
    assert ids.REQUEST_REASON_BLOCK in long_reason.json["errors"]
    assert "no-such-benefit" in unknown.json["errors"][ids.REQUEST_BENEFIT_BLOCK]
    assert await pending_of(h, MEMBER) == []
