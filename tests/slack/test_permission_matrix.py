"""docs/rules.md's permission matrix, cell by cell, through Slack.

Every action is done the way a person does it (a signed slash command or a
click) by someone holding exactly one role (or none), against the running bot.
An allowed cell must show the action's effect; a refused one must answer with
a message naming the roles needed and change nothing. The expected table is
copied from docs/rules.md by hand, not computed from ``bot.domain.permissions``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.blocks import ids
from bot.domain.clock import FakeClock
from bot.domain.model import (
    Activation,
    ActivationStatus,
    Benefit,
    Category,
    DirectoryUser,
    Download,
    Level,
    MarketingContact,
    Membership,
    RequestStatus,
    Role,
    SupportKind,
)
from bot.runtime.server import start_bot
from bot.services.keys import KeyVault, store_keys
from tests.fakes.web_api import FakeSlackWebApi
from tests.slack.conftest import make_settings
from tests.slack.harness import Ack, SlackHarness, call_text

ACTOR = "UACTOR001"  # holds exactly the role of the column
ADMIN = "UADMIN001"  # another Global admin, so refusals can name who holds the role
PARTNER = "UPARTNER1"
OTHER = "UOTHER001"  # a member whose request, seat or role the actor acts on
TARGET = "UTARGET01"  # in the directory, holds nothing
NEWCOMER = "UNEWCOME1"  # not in the directory yet

KEY = KeyVault.generate_key()
TODAY = date(2026, 1, 15)
MEMBERSHIP = Membership(
    level=Level.GOLD,
    purchase_date=TODAY - timedelta(days=5),
    end_date=date(2027, 1, 9),
    account_email="partner@contoso.com",
)
WIN = Benefit(
    "win11",
    "Windows 11 Enterprise",
    Category.SOFTWARE,
    seats=10,
    languages=("English",),
    operating_systems=("x64",),
    downloads=(Download("English", "x64", "https://dl.example.com/win11.iso"),),
)
VS = Benefit("vs-ent", "Visual Studio Enterprise", Category.VISUAL_STUDIO, seats=5)
INCIDENTS = Benefit(
    "incidents",
    "Product support incidents",
    Category.TECHNICAL,
    support_kind=SupportKind.PRODUCT_INCIDENTS,
)
ADVISORY = Benefit(
    "advisory", "Advisory hours", Category.TECHNICAL, support_kind=SupportKind.ADVISORY_HOURS
)
GOLD_CORE = Benefit("gold-core", "Gold core", Category.GTM)

MEMBER = "member"
COLUMNS: tuple[str, ...] = (
    MEMBER,
    Role.USER_ADMIN.value,
    Role.ADMIN_AGENT.value,
    Role.MPN_PARTNER_ADMIN.value,
    Role.GLOBAL_ADMIN.value,
)
ROLE_NAMES: dict[str, tuple[str, ...]] = {
    Role.GLOBAL_ADMIN.value: ("global_admin", "Global admin"),
    Role.MPN_PARTNER_ADMIN.value: ("mpn_partner_admin", "MPN partner admin"),
    Role.USER_ADMIN.value: ("user_admin", "User management admin"),
    Role.ADMIN_AGENT.value: ("admin_agent", "Admin agent"),
}


@pytest.fixture
async def h(slack: FakeSlackWebApi, tmp_path: Path) -> AsyncIterator[SlackHarness]:
    """The bot with product keys, a pending request of OTHER, a seat of OTHER held 100
    days, a pending technical activation and a marketing contact."""
    settings = make_settings(slack.api_url, tmp_path / "benefits.db", benefits_encryption_key=KEY)
    clock = FakeClock()
    bot = await start_bot(settings, clock=clock)
    harness = SlackHarness(bot=bot, slack=slack, clock=clock, session=aiohttp.ClientSession())
    try:
        async with bot.store.write() as uow:
            await uow.membership.put(MEMBERSHIP)
            for benefit in (WIN, VS, INCIDENTS, ADVISORY, GOLD_CORE):
                await uow.benefits.put(benefit)
            await store_keys(uow, KeyVault([KEY]), WIN.id, ["WINKY-00001"])
            for user in (OTHER, TARGET):
                await uow.people.put_user(DirectoryUser(user, email=f"{user.lower()}@contoso.com"))
            await uow.assignments.add(
                benefit_id=VS.id,
                user_id=OTHER,
                assigned_at=clock.now() - timedelta(days=100),
                assigned_by=ADMIN,
            )
            await uow.activations.put(
                Activation(ADVISORY.id, ActivationStatus.PENDING, PARTNER, clock.now())
            )
            await uow.marketing_contact.put(
                MarketingContact(
                    OTHER, "marketing@contoso.com", "+31201234567", "en", PARTNER, clock.now()
                )
            )
        await harness.grant(ADMIN, Role.GLOBAL_ADMIN)
        await harness.grant(PARTNER, Role.MPN_PARTNER_ADMIN)
        await bot.services.requests.request_benefit(OTHER, WIN.id, "for the lab")
        yield harness
        await harness.settle()
    finally:
        await bot.stop(timeout=5)
        await harness.session.close()
    slack.assert_no_violations()
    assert not harness.ack_violations, "\n".join(harness.ack_violations)


# -- how each action is done and how its effect shows ---------------------------------------


async def said(h: SlackHarness, ack: Ack) -> str:
    """Everything the actor was told: the acknowledgement and any ephemeral follow-up."""
    await h.settle()
    texts = [ack.text] if isinstance(ack.body, dict) else []
    texts += [call_text(c) for c in h.slack.calls_to("response_url")]
    return "\n".join(texts)


async def opened(h: SlackHarness, callback_id: str) -> bool:
    await h.settle()
    return any(c.args["view"]["callback_id"] == callback_id for c in h.slack.calls_to("views.open"))


async def holders(h: SlackHarness, benefit_id: str) -> list[str | None]:
    async with h.bot.store.read() as uow:
        return [a.user_id for a in await uow.assignments.active(benefit_id)]


async def other_request_status(h: SlackHarness) -> RequestStatus:
    async with h.bot.store.read() as uow:
        requests = [
            r for status in RequestStatus for r in await uow.requests.of_user(OTHER, status=status)
        ]
    return requests[0].status


async def activation_status(h: SlackHarness, benefit_id: str) -> ActivationStatus | None:
    async with h.bot.store.read() as uow:
        found = await uow.activations.get(benefit_id)
    return found.status if found else None


async def other_request_id(h: SlackHarness) -> str:
    async with h.bot.store.read() as uow:
        pending = await uow.requests.of_user(OTHER, status=RequestStatus.PENDING)
    return str(pending[0].id)


Do = Callable[[SlackHarness], Awaitable[Ack]]
Check = Callable[[SlackHarness, str], Awaitable[bool]]


@dataclass(frozen=True)
class Row:
    """One action of the matrix: how it is done, and how its effect shows."""

    do: Do
    done: Check
    cells: tuple[bool, bool, bool, bool, bool]  # member, user_admin, admin_agent, mpn, global


Y, N = True, False


async def _command(h: SlackHarness, text: str) -> Ack:
    return await h.command(ACTOR, text)


async def _approve(h: SlackHarness) -> Ack:
    return await h.click(ACTOR, ids.APPROVE, await other_request_id(h))


async def _deny(h: SlackHarness) -> Ack:
    return await h.click(ACTOR, ids.DENY, await other_request_id(h))


async def _revoke(h: SlackHarness) -> Ack:
    await h.grant(TARGET, Role.ADMIN_AGENT)
    return await h.command(ACTOR, f"revoke <@{TARGET}> admin_agent")


async def _request_seat(h: SlackHarness) -> Ack:
    return await h.command(ACTOR, "request win11 for a project")


async def _own_keys(h: SlackHarness) -> Ack:
    async with h.bot.store.write() as uow:
        await uow.assignments.add(
            benefit_id=WIN.id, user_id=ACTOR, assigned_at=h.clock.now(), assigned_by=ADMIN
        )
    return await h.command(ACTOR, "keys win11")


async def _has_role(h: SlackHarness, user: str, role: Role) -> bool:
    async with h.bot.store.read() as uow:
        return role in await uow.people.roles_of(user)


async def _in_directory(h: SlackHarness, user: str) -> bool:
    async with h.bot.store.read() as uow:
        return await uow.people.get_user(user) is not None


async def _cancellation_filed(h: SlackHarness) -> bool:
    async with h.bot.store.read() as uow:
        return [r.kind for r in await uow.service_requests.all()] == ["cancellation"]


async def _details_shown(h: SlackHarness, _text: str) -> bool:
    return await opened(h, ids.DETAILS_VIEW)


MATRIX: dict[str, Row] = {
    "list": Row(
        lambda h: _command(h, "list"),
        lambda h, text: _true("Windows 11 Enterprise" in text),
        (Y, Y, Y, Y, Y),
    ),
    "view details and support IDs": Row(
        lambda h: h.click(ACTOR, ids.DETAILS, WIN.id),
        _details_shown,
        (Y, Y, Y, Y, Y),
    ),
    "request a benefit for oneself": Row(
        _request_seat,
        lambda h, text: _true("was sent" in text),
        (Y, Y, Y, Y, Y),
    ),
    "approve": Row(
        _approve,
        lambda h, text: _is(other_request_status(h), RequestStatus.APPROVED),
        (N, N, N, N, Y),
    ),
    "deny": Row(
        _deny,
        lambda h, text: opened(h, ids.DENY_VIEW),
        (N, N, N, N, Y),
    ),
    "assign": Row(
        lambda h: _command(h, f"assign win11 <@{TARGET}>"),
        lambda h, text: _is(holders(h, WIN.id), [TARGET]),
        (N, N, N, N, Y),
    ),
    "unassign": Row(
        lambda h: _command(h, f"unassign vs-ent <@{OTHER}>"),
        lambda h, text: _is(holders(h, VS.id), []),
        (N, N, N, N, Y),
    ),
    "reassign": Row(
        lambda h: _command(h, f"reassign vs-ent <@{OTHER}> <@{TARGET}>"),
        lambda h, text: _is(holders(h, VS.id), [TARGET]),
        (N, N, N, N, Y),
    ),
    # docs/rules.md#nobody-assigns-themselves-a-seat: ADMIN is another Global admin.
    "assign a seat to oneself": Row(
        lambda h: _command(h, f"assign win11 <@{ACTOR}>"),
        lambda h, text: _is(holders(h, WIN.id), [ACTOR]),
        (N, N, N, N, N),
    ),
    "reassign a seat to oneself": Row(
        lambda h: _command(h, f"reassign vs-ent <@{OTHER}> <@{ACTOR}>"),
        lambda h, text: _is(holders(h, VS.id), [ACTOR]),
        (N, N, N, N, N),
    ),
    "reveal keys of a benefit not assigned to them": Row(
        lambda h: _command(h, "keys win11"),
        lambda h, text: opened(h, ids.KEYS_VIEW),
        (N, N, N, Y, Y),
    ),
    "reveal keys of a benefit assigned to them": Row(
        _own_keys,
        lambda h, text: opened(h, ids.KEYS_VIEW),
        (Y, Y, Y, Y, Y),
    ),
    "activate a technical benefit": Row(
        lambda h: _command(h, "activate incidents"),
        lambda h, text: _is(activation_status(h, INCIDENTS.id), ActivationStatus.PENDING),
        (N, N, N, Y, Y),
    ),
    "record a technical benefit's completion": Row(
        lambda h: h.click(ACTOR, ids.MARK_ACTIVE, ADVISORY.id),
        lambda h, text: opened(h, ids.ACTIVATION_VIEW),
        (N, N, N, Y, Y),
    ),
    "set the marketing contact": Row(
        lambda h: _command(h, "contact"),
        lambda h, text: opened(h, ids.CONTACT_VIEW),
        (N, N, N, Y, Y),
    ),
    "activate a go-to-market offer": Row(
        lambda h: _command(h, "activate gold-core"),
        lambda h, text: _is(activation_status(h, GOLD_CORE.id), ActivationStatus.PENDING),
        (N, N, N, Y, Y),
    ),
    "check a cancellation": Row(
        lambda h: _command(h, "cancel"),
        lambda h, text: _true("All three conditions hold" in text),
        (N, N, Y, Y, Y),
    ),
    "request cancellation": Row(
        lambda h: h.click(ACTOR, ids.CANCEL_REQUEST, "cancel"),
        lambda h, text: _cancellation_filed(h),
        (N, N, Y, Y, Y),
    ),
    "add a user to the directory": Row(
        lambda h: _command(h, f"adduser <@{NEWCOMER}>"),
        lambda h, text: _in_directory(h, NEWCOMER),
        (N, Y, N, N, Y),
    ),
    "grant a role": Row(
        lambda h: _command(h, f"grant <@{TARGET}> admin_agent"),
        lambda h, text: _has_role(h, TARGET, Role.ADMIN_AGENT),
        (N, N, N, N, Y),
    ),
    "revoke a role": Row(
        _revoke,
        lambda h, text: _not(_has_role(h, TARGET, Role.ADMIN_AGENT)),
        (N, N, N, N, Y),
    ),
    "read the audit log": Row(
        lambda h: _command(h, "audit"),
        lambda h, text: _true("Audit log" in text),
        (N, N, N, Y, Y),
    ),
}


async def _true(value: bool) -> bool:
    return value


async def _is(value: Awaitable[object], expected: object) -> bool:
    return await value == expected


async def _not(value: Awaitable[bool]) -> bool:
    return not await value


CELLS = [
    pytest.param(action, column, allowed, id=f"{action}-{column}")
    for action, row in MATRIX.items()
    for column, allowed in zip(COLUMNS, row.cells, strict=True)
]


def needed_roles(action: str) -> list[str]:
    return [c for c, ok in zip(COLUMNS, MATRIX[action].cells, strict=True) if ok and c != MEMBER]


@pytest.mark.parametrize(("action", "column", "allowed"), CELLS)
async def test_each_role_may_or_may_not_do_each_action_as_the_rules_say(
    h: SlackHarness, action: str, column: str, allowed: bool
) -> None:
    if column != MEMBER:
        await h.grant(ACTOR, Role(column))
    row = MATRIX[action]
    audit_before = await h.audit_count()

    ack = await row.do(h)
    text = await said(h, ack)

    assert ack.status == 200
    if allowed:
        assert "This needs the" not in text, text
        assert await row.done(h, text), text
    else:
        assert not await row.done(h, text), text
        for role in needed_roles(action):
            assert any(name in text for name in ROLE_NAMES[role]), (role, text)
        if action != "revoke a role":  # its setup grants the role it then tries to revoke
            assert await h.audit_count() == audit_before


def test_the_table_has_every_action_of_the_rules() -> None:
    assert list(MATRIX) == [
        "list",
        "view details and support IDs",
        "request a benefit for oneself",
        "approve",
        "deny",
        "assign",
        "unassign",
        "reassign",
        "assign a seat to oneself",
        "reassign a seat to oneself",
        "reveal keys of a benefit not assigned to them",
        "reveal keys of a benefit assigned to them",
        "activate a technical benefit",
        "record a technical benefit's completion",
        "set the marketing contact",
        "activate a go-to-market offer",
        "check a cancellation",
        "request cancellation",
        "add a user to the directory",
        "grant a role",
        "revoke a role",
        "read the audit log",
    ]
