"""Details, Azure credits, Visual Studio reassignment, cancellation, PMC and the audit log,
over Slack's wire format: signed commands, clicks in messages and in modals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from bot.blocks import ids
from bot.domain.model import (
    Activation,
    ActivationStatus,
    Benefit,
    Category,
    DirectoryUser,
    KeyReveal,
    Level,
    Membership,
    Role,
    ServiceRequest,
    SupportKind,
)
from tests.fakes.signing import block_actions_body
from tests.fakes.web_api import RecordedCall
from tests.slack.harness import Ack, SlackHarness, call_text

MEMBER = "UMEMBER01"
MEMBER2 = "UMEMBER02"
NEWBIE = "UNEWBIE01"  # in Slack, not yet in the bot's directory
ADMIN = "UADMIN001"
ADMIN2 = "UADMIN002"
PARTNER = "UPARTNER1"
AGENT = "UAGENT001"

TODAY = date(2026, 1, 15)  # the FakeClock's start
MEMBERSHIP = Membership(
    level=Level.GOLD,
    purchase_date=TODAY - timedelta(days=10),
    end_date=date(2027, 1, 4),
    account_email="partner@contoso.com",
)
CREDIT = Benefit(
    "azure-monthly", "Azure monthly credit", Category.CLOUD, seats=3, usage_based=True, monthly=True
)
GATED_CREDIT = Benefit(
    "azure-gated",
    "Azure sponsored credit",
    Category.CLOUD,
    seats=2,
    usage_based=True,
    needs_approval=True,
)
VS = Benefit("vs-ent", "Visual Studio Enterprise", Category.VISUAL_STUDIO, seats=5)
WINDOWS = Benefit(
    "win11",
    "Windows 11 Enterprise",
    Category.SOFTWARE,
    seats=300,
    languages=("English", "German"),
    operating_systems=("x64", "ARM64"),
    expires_on=date(2026, 12, 31),
)
SUPPORT = Benefit(
    "incidents",
    "Product support incidents",
    Category.TECHNICAL,
    support_kind=SupportKind.PRODUCT_INCIDENTS,
)
ADVISORY = Benefit(
    "advisory", "Advisory hours", Category.TECHNICAL, support_kind=SupportKind.ADVISORY_HOURS
)
OFFER = Benefit("gold-core", "Gold core", Category.GTM)
LICENSED = Benefit("m365-business", "Microsoft 365 Business Premium", Category.CLOUD, seats=5)
BENEFITS = (CREDIT, GATED_CREDIT, VS, WINDOWS, SUPPORT, LICENSED, ADVISORY, OFFER)


@pytest.fixture
async def ready(harness: SlackHarness) -> SlackHarness:
    async with harness.bot.store.write() as uow:
        await uow.membership.put(MEMBERSHIP)
        for benefit in BENEFITS:
            await uow.benefits.put(benefit)
        await uow.people.put_user(DirectoryUser(MEMBER, "Mia", "mia@contoso.com"))
        await uow.people.put_user(DirectoryUser(MEMBER2, "Max", "max@contoso.com"))
    await harness.grant(ADMIN, Role.GLOBAL_ADMIN)
    await harness.grant(PARTNER, Role.MPN_PARTNER_ADMIN)
    await harness.grant(AGENT, Role.ADMIN_AGENT)
    return harness


# -- helpers --------------------------------------------------------------------------------------


def buttons(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        element
        for block in payload.get("blocks", [])
        if block.get("type") == "actions"
        for element in block["elements"]
    ]


def button(payload: dict[str, Any], action_id: str) -> dict[str, Any]:
    found = [b for b in buttons(payload) if b["action_id"] == action_id]
    assert len(found) == 1, payload
    return found[0]


async def click_in_view(
    h: SlackHarness, user: str, action_id: str, value: str, view: dict[str, Any]
) -> Ack:
    """A click on a button of an open modal (no response_url, the view instead)."""
    return await h.post(
        block_actions_body(user_id=user, action_id=action_id, value=value, view=view)
    )


async def open_details(h: SlackHarness, user: str, benefit_id: str) -> dict[str, Any]:
    """Click Details and return the modal as Slack answered it (with its id and hash)."""
    before = len(h.slack.calls_to("views.open"))
    ack = await h.click(user, ids.DETAILS, benefit_id)
    assert ack.status == 200
    opened = await h.slack.wait_for("views.open", count=before + 1)
    view: dict[str, Any] = opened[-1].response["view"]
    return view


async def last_view_update(h: SlackHarness, count: int = 1) -> dict[str, Any]:
    updates = await h.slack.wait_for("views.update", count=count)
    view: dict[str, Any] = updates[-1].args["view"]
    return view


async def last_response(h: SlackHarness) -> RecordedCall:
    await h.settle()
    responses = h.slack.calls_to("response_url")
    assert responses, h.slack.summary()
    return responses[-1]


async def holders(h: SlackHarness, benefit_id: str) -> list[str | None]:
    async with h.bot.store.read() as uow:
        return [a.user_id for a in await uow.assignments.active(benefit_id)]


async def directory_email(h: SlackHarness, user: str) -> str | None:
    async with h.bot.store.read() as uow:
        found = await uow.people.get_user(user)
    return found.email if found else None


async def service_requests(h: SlackHarness) -> list[ServiceRequest]:
    async with h.bot.store.read() as uow:
        return await uow.service_requests.all()


async def assign_many(h: SlackHarness, benefit_id: str, count: int) -> list[str]:
    users = [f"UHOLD{i:05d}" for i in range(count)]
    async with h.bot.store.write() as uow:
        for user in users:
            await uow.assignments.add(
                benefit_id=benefit_id, user_id=user, assigned_at=h.clock.now(), assigned_by=ADMIN
            )
    return users


# -- details ----------------------------------------------------------------------------------------


async def test_details_show_languages_systems_expiry_and_status_to_everyone(
    ready: SlackHarness,
) -> None:
    view = await open_details(ready, MEMBER, WINDOWS.id)

    text = call_text(RecordedCall("views.open", {"view": view}, None))
    for shown in ("English, German", "x64, ARM64", "2026-12-31", "Active", "300 of 300 seats"):
        assert shown in text, text


async def test_everyone_sees_the_access_and_contract_id_of_an_active_technical_benefit(
    ready: SlackHarness,
) -> None:
    h = ready
    async with h.bot.store.write() as uow:
        await uow.activations.put(
            Activation(
                SUPPORT.id,
                ActivationStatus.ACTIVE,
                PARTNER,
                h.clock.now(),
                completed_by=ADMIN,
                completed_at=h.clock.now(),
                access_id="ACC-778",
                contract_id="CON-991",
            )
        )

    view = await open_details(h, MEMBER, SUPPORT.id)

    text = str(view["blocks"])
    assert "ACC-778" in text
    assert "CON-991" in text


async def test_500_holders_are_paged_in_the_modal_and_next_updates_it_in_place(
    ready: SlackHarness,
) -> None:
    h = ready
    users = await assign_many(h, WINDOWS.id, 500)
    view = await open_details(h, ADMIN, WINDOWS.id)
    assert "page 1 of 10" in str(view["blocks"])
    assert f"<@{users[0]}>" in str(view["blocks"])
    assert f"<@{users[60]}>" not in str(view["blocks"])

    nxt = button(view, ids.DETAILS_HOLDERS_NEXT)
    ack = await click_in_view(h, ADMIN, ids.DETAILS_HOLDERS_NEXT, nxt["value"], view)

    assert ack.status == 200
    updates = await h.slack.wait_for("views.update")
    assert updates[0].args["view_id"] == view["id"]
    page2 = updates[0].args["view"]
    assert "page 2 of 10" in str(page2["blocks"])
    assert f"<@{users[60]}>" in str(page2["blocks"])
    assert {b["action_id"] for b in buttons(page2)} >= {
        ids.DETAILS_HOLDERS_PREVIOUS,
        ids.DETAILS_HOLDERS_NEXT,
    }


async def test_a_member_sees_how_many_seats_are_used_but_not_by_whom(ready: SlackHarness) -> None:
    h = ready
    users = await assign_many(h, WINDOWS.id, 3)

    view = await open_details(h, MEMBER, WINDOWS.id)

    text = str(view["blocks"])
    assert "297 of 300 seats left" in text
    assert not any(f"<@{u}>" in text for u in users)
    assert not [b for b in buttons(view) if b["action_id"] == ids.DETAILS_HOLDERS_NEXT]


# -- Azure credits -----------------------------------------------------------------------------------


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
    assert h.slack.calls_to("users.info") == []


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


# -- Visual Studio reassignment -----------------------------------------------------------------


async def test_reassign_before_90_days_says_when_it_becomes_possible(ready: SlackHarness) -> None:
    h = ready
    await h.command(ADMIN, f"assign vs-ent <@{MEMBER}>")
    h.clock.advance(timedelta(days=30))

    ack = await h.command(ADMIN, f"reassign vs-ent <@{MEMBER}> <@{MEMBER2}>")

    assert "2026-04-15" in ack.text, ack.text
    assert await holders(h, VS.id) == [MEMBER]


async def test_reassign_after_90_days_moves_the_subscription(ready: SlackHarness) -> None:
    h = ready
    await h.command(ADMIN, f"assign vs-ent <@{MEMBER}>")
    h.clock.advance(timedelta(days=91))
    audit_before = await h.audit_count()

    ack = await h.command(
        ADMIN, f'reassign "Visual Studio Enterprise" <@{MEMBER}|mia> <@{MEMBER2}>'
    )

    assert f"moved from <@{MEMBER}> to <@{MEMBER2}>" in ack.text, ack.text
    assert await holders(h, VS.id) == [MEMBER2]
    assert await h.audit_count() == audit_before + 1


async def test_reassign_to_someone_not_in_the_directory_says_who_must_add_them(
    ready: SlackHarness,
) -> None:
    h = ready
    await h.command(ADMIN, f"assign vs-ent <@{MEMBER}>")
    h.clock.advance(timedelta(days=91))

    ack = await h.command(ADMIN, f"reassign vs-ent <@{MEMBER}> <@{NEWBIE}>")

    assert "User management admin or Global admin must add them" in ack.text
    assert "adduser" in ack.text
    assert await holders(h, VS.id) == [MEMBER]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (f"reassign vs-ent <@{MEMBER}>", "Usage: `/benefits reassign <benefit> @from @to`"),
        (f"reassign <@{MEMBER}> <@{MEMBER2}>", "Usage"),
        (f"reassign vs-ent <@{MEMBER}> <@{MEMBER2}> <@{ADMIN}>", "Usage"),
        (f"reassign vs-ent <@{MEMBER}> <@{MEMBER2}> please", "Usage"),
        (f"reassign vs-ent @mia <@{MEMBER2}>", "Slack's @ suggestions"),
        (f"reassign no-such-thing <@{MEMBER}> <@{MEMBER2}>", "No benefit matches"),
        (f"reassign {'x' * 150} <@{MEMBER}> <@{MEMBER2}>", "too long"),
        (f"reassign incidents <@{MEMBER}> <@{MEMBER2}>", "no seat to reassign"),
        (f"reassign vs-ent <@{MEMBER}> <@{MEMBER}>", "two different people"),
        ("audit many", "takes a number of entries"),
        ("audit 500", "1 to 200"),
        ("audit 0", "1 to 200"),
        ("cancel now", "Usage: `/benefits cancel`"),
        ("activate m365-business", "not a usage-based cloud credit"),
    ],
)
async def test_bad_input_gets_a_clear_message_and_writes_nothing(
    ready: SlackHarness, text: str, says: str
) -> None:
    h = ready
    await h.command(ADMIN, f"assign vs-ent <@{MEMBER}>")
    h.clock.advance(timedelta(days=91))
    audit_before = await h.audit_count()

    ack = await h.command(ADMIN, text)

    assert says in ack.text, ack.text
    assert await h.audit_count() == audit_before
    assert await holders(h, VS.id) == [MEMBER]
    assert await service_requests(h) == []


# -- cancellation ------------------------------------------------------------------------------------


async def test_cancel_shows_the_check_then_the_confirmed_click_files_it_and_tells_admins(
    ready: SlackHarness,
) -> None:
    h = ready
    await h.grant(ADMIN2, Role.GLOBAL_ADMIN)

    ack = await h.command(AGENT, "cancel")

    assert "All three conditions hold" in ack.text, ack.text
    request = button(ack.json, ids.CANCEL_REQUEST)
    assert request["style"] == "danger"
    assert request["confirm"]["style"] == "danger"
    assert request["confirm"]["confirm"]["text"] == "Request cancellation"
    assert await service_requests(h) == []  # the check alone files nothing

    click = await h.click(AGENT, ids.CANCEL_REQUEST, request["value"])

    assert click.status == 200
    answer = await last_response(h)
    assert answer.args["replace_original"] is True
    assert "Cancellation request #" in call_text(answer)
    assert "status: open" in call_text(answer)
    filed = await service_requests(h)
    assert [(r.kind, r.status, r.created_by) for r in filed] == [("cancellation", "open", AGENT)]
    dms = await h.slack.wait_for("chat.postMessage", count=2)
    assert sorted(c.args["channel"] for c in dms) == [ADMIN, ADMIN2]
    assert all(f"<@{AGENT}> filed cancellation request" in call_text(c) for c in dms)


async def test_a_second_cancellation_while_one_is_open_is_refused_clearly(
    ready: SlackHarness,
) -> None:
    h = ready
    await h.click(PARTNER, ids.CANCEL_REQUEST, "cancel")
    await h.settle()
    assert len(await service_requests(h)) == 1

    ack = await h.command(ADMIN, "cancel")
    assert "already open" in ack.text
    assert not [b for b in buttons(ack.json) if b["action_id"] == ids.CANCEL_REQUEST]

    await h.click(ADMIN, ids.CANCEL_REQUEST, "cancel")
    answer = await last_response(h)
    assert "already open" in call_text(answer)
    assert len(await service_requests(h)) == 1


async def test_cancel_explains_exactly_which_conditions_fail_and_since_when(
    ready: SlackHarness,
) -> None:
    h = ready
    async with h.bot.store.write() as uow:
        await uow.membership.put(replace(MEMBERSHIP, purchase_date=date(2025, 11, 1)))
        await uow.keys.add_reveal(KeyReveal(WINDOWS.id, MEMBER2, h.clock.now()))

    ack = await h.command(PARTNER, "cancel")

    assert "refund window closed on 2025-12-01" in ack.text
    assert f"a key of *{WINDOWS.name}* was viewed on 2026-01-15 by <@{MEMBER2}>" in ack.text
    assert not [b for b in buttons(ack.json) if b["action_id"] == ids.CANCEL_REQUEST]

    click = await h.click(PARTNER, ids.CANCEL_REQUEST, "cancel")  # an old button
    assert click.status == 200
    answer = await last_response(h)
    assert "2 of the three conditions fail" in call_text(answer)
    assert "viewed on 2026-01-15" in call_text(answer)
    assert await service_requests(h) == []


# -- the audit log -------------------------------------------------------------------------------------


async def test_audit_shows_the_latest_entries_and_pages_through_them(ready: SlackHarness) -> None:
    h = ready
    for i in range(40):
        await h.command(ADMIN, f"adduser <@UAUD{i:05d}>")

    ack = await h.command(PARTNER, "audit 40")

    assert "Latest 40 entries" in ack.text, ack.text
    assert "<@UAUD00039>" in ack.text
    assert "<@UAUD00000>" not in ack.text  # on the second page
    nxt = button(ack.json, ids.AUDIT_NEXT)

    await h.click(PARTNER, ids.AUDIT_NEXT, nxt["value"])
    page2 = await last_response(h)

    assert page2.args["replace_original"] is True
    assert "<@UAUD00000>" in call_text(page2)
    assert "page 2 of 2" in call_text(page2)


async def test_the_audit_log_is_refused_to_an_admin_agent_naming_the_roles(
    ready: SlackHarness,
) -> None:
    ack = await ready.command(AGENT, "audit")

    assert "mpn_partner_admin" in ack.text
    assert "global_admin" in ack.text
    assert "Audit log" not in ack.text


# -- PMC -------------------------------------------------------------------------------------------------

PMC_COMMANDS = {
    "request": (MEMBER, "request win11 for the lab"),
    "assign": (ADMIN, f"assign win11 <@{MEMBER2}>"),
    "unassign": (ADMIN, f"unassign vs-ent <@{MEMBER}>"),
    "reassign": (ADMIN, f"reassign vs-ent <@{MEMBER}> <@{MEMBER2}>"),
    "activate a credit": (MEMBER2, "activate azure-monthly"),
    "activate a gated credit": (MEMBER2, "activate azure-gated"),
    "cancel": (AGENT, "cancel"),
    "activate a technical benefit": (PARTNER, "activate incidents"),
    "activate an offer": (PARTNER, "activate gold-core"),
    "set the marketing contact": (PARTNER, "contact"),
    "file advisory hours": (MEMBER, "advisory 2 migration planning"),
}


@pytest.mark.parametrize("command", list(PMC_COMMANDS))
async def test_in_pmc_every_changing_command_points_to_pmc_and_changes_nothing(
    ready: SlackHarness, command: str
) -> None:
    h = ready
    await h.command(ADMIN, f"assign vs-ent <@{MEMBER}>")
    h.clock.advance(timedelta(days=91))
    async with h.bot.store.write() as uow:
        await uow.membership.put(
            replace(MEMBERSHIP, managed_in_pmc=True, purchase_date=h.clock.now().date())
        )
    audit_before = await h.audit_count()
    user, text = PMC_COMMANDS[command]

    ack = await h.command(user, text)

    assert "Partner Membership Center" in ack.text, ack.text
    assert "Partner Frontline" in ack.text
    assert await h.audit_count() == audit_before
    assert await holders(h, VS.id) == [MEMBER]
    assert await holders(h, WINDOWS.id) == []
    assert await holders(h, CREDIT.id) == []
    assert await service_requests(h) == []
    async with h.bot.store.read() as uow:
        assert await uow.activations.all() == []
        assert await uow.advisory.hours_used(ADVISORY.id) == 0


async def test_in_pmc_the_cancel_button_files_nothing(ready: SlackHarness) -> None:
    h = ready
    async with h.bot.store.write() as uow:
        await uow.membership.put(replace(MEMBERSHIP, managed_in_pmc=True))

    await h.click(AGENT, ids.CANCEL_REQUEST, "cancel")

    assert "Partner Membership Center" in call_text(await last_response(h))
    assert await service_requests(h) == []
