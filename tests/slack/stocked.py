"""A workspace stocked for the Slack-level tests of details, credits, reassignment,
cancellation, the audit log and PMC: the people, the catalogue and the helpers they share."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.blocks import ids
from bot.domain.model import (
    Benefit,
    Category,
    DirectoryUser,
    Level,
    Membership,
    Role,
    ServiceRequest,
    SupportKind,
)
from tests.fakes.signing import block_actions_body
from tests.fakes.web_api import RecordedCall
from tests.slack.harness import Ack, SlackHarness

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


async def stock(harness: SlackHarness) -> SlackHarness:
    """Membership, the catalogue, two directory members and the admins' roles."""
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
