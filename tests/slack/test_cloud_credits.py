"""Azure credits over Slack's wire format:
activating with a Slack email, approval first where it is needed, one per person."""

from __future__ import annotations

import pytest

from bot.blocks import ids
from tests.slack.harness import SlackHarness
from tests.slack.stocked import (
    ADMIN,
    CREDIT,
    GATED_CREDIT,
    MEMBER,
    NEWBIE,
    button,
    buttons,
    click_in_view,
    directory_email,
    holders,
    last_view_update,
    open_details,
    stock,
)


@pytest.fixture
async def ready(harness: SlackHarness) -> SlackHarness:
    return await stock(harness)


async def test_a_member_activates_a_credit_with_their_slack_email_and_gets_the_portal_link(
    ready: SlackHarness,
) -> None:
    h = ready
    h.slack.add_user(NEWBIE, name="noa", email="Noa@Contoso.com")

    ack = await h.command(NEWBIE, "activate azure-monthly")

    assert "is now yours, for noa@contoso.com" in ack.text, ack.text
    portal = [e for b in ack.json["blocks"] if "accessory" in b for e in [b["accessory"]]]
    assert portal[0]["url"] == "https://portal.azure.com/"
    assert await holders(h, CREDIT.id) == [NEWBIE]
    assert await directory_email(h, NEWBIE) == "noa@contoso.com"
    assert [c.args["user"] for c in h.slack.calls_to("users.info")] == [NEWBIE]
    link = await h.click(NEWBIE, ids.AZURE_PORTAL, CREDIT.id)
    assert link.status == 200


async def test_slack_is_not_asked_for_an_email_the_directory_knows(ready: SlackHarness) -> None:
    h = ready
    ack = await h.command(MEMBER, "activate azure-monthly")

    assert "mia@contoso.com" in ack.text
    # Slack may be asked for the caller's language (in the background), never for more.
    calls = h.slack.calls_to("users.info")
    assert [c.args["user"] for c in calls] in ([], [MEMBER])
    assert all(c.args.get("include_locale") == "1" for c in calls)


async def test_a_credit_for_a_gmail_address_is_refused_and_nothing_is_kept(
    ready: SlackHarness,
) -> None:
    h = ready
    h.slack.add_user(NEWBIE, name="noa", email="noa@gmail.com")
    audit_before = await h.audit_count()

    ack = await h.command(NEWBIE, "activate azure-monthly")

    assert "gmail.com is a free mail domain" in ack.text, ack.text
    assert await holders(h, CREDIT.id) == []
    assert await directory_email(h, NEWBIE) is None
    assert await h.audit_count() == audit_before


@pytest.mark.parametrize("profile", ["no email", "unknown to slack"])
async def test_without_any_email_the_member_is_told_what_to_do(
    ready: SlackHarness, profile: str
) -> None:
    h = ready
    if profile == "no email":
        h.slack.add_user(NEWBIE, name="noa")

    ack = await h.command(NEWBIE, "activate azure-monthly")

    assert "don't know your email address" in ack.text
    assert await holders(h, CREDIT.id) == []


async def test_the_activate_button_in_the_details_updates_the_modal_with_the_result(
    ready: SlackHarness,
) -> None:
    h = ready
    view = await open_details(h, MEMBER, CREDIT.id)
    activate = button(view, ids.CLOUD_ACTIVATE)

    ack = await click_in_view(h, MEMBER, ids.CLOUD_ACTIVATE, activate["value"], view)

    assert ack.status == 200
    result = await last_view_update(h)
    assert "is now yours" in str(result["blocks"])
    assert "https://portal.azure.com/" in str(result["blocks"])
    assert (await h.slack.wait_for("views.update"))[0].args["view_id"] == view["id"]
    assert await holders(h, CREDIT.id) == [MEMBER]

    again = await click_in_view(h, MEMBER, ids.CLOUD_ACTIVATE, activate["value"], view)
    assert again.status == 200
    refusal = await last_view_update(h, count=2)
    assert "You already hold" in str(refusal["blocks"])
    assert await holders(h, CREDIT.id) == [MEMBER]


async def test_a_credit_that_needs_approval_goes_to_the_global_admins_first(
    ready: SlackHarness,
) -> None:
    h = ready
    ack = await h.command(MEMBER, "activate azure-gated")

    assert "needs a Global admin's approval first" in ack.text, ack.text
    await h.settle()
    posts = [
        c
        for c in h.slack.calls_to("chat.postMessage")
        if any(b["action_id"] == ids.APPROVE for b in buttons(c.args))
    ]
    assert [p.args["channel"] for p in posts] == [ADMIN]
    assert await holders(h, GATED_CREDIT.id) == []
    value = button(posts[0].args, ids.APPROVE)["value"]

    await h.click(ADMIN, ids.APPROVE, value)
    await h.settle()

    assert await holders(h, GATED_CREDIT.id) == [MEMBER]


async def test_one_credit_per_person_over_slack(ready: SlackHarness) -> None:
    h = ready
    await h.command(MEMBER, "activate azure-monthly")

    ack = await h.command(MEMBER, "activate azure-gated")

    assert "One credit per person" in ack.text
    await h.settle()
    assert not [c for c in h.slack.calls_to("chat.postMessage") if buttons(c.args)]
