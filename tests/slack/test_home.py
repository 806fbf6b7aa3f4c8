"""The App Home over Slack's wire format: what each role sees, paging, decisions made
on it, and its republication through the outbox (debounced).

Every test here runs on a SQLite file and on PostgreSQL (``[postgres]``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.blocks import ids
from bot.domain.model import Benefit, Category, Level, Membership, RequestStatus, Role
from bot.domain.outbox import PingState
from bot.services.home import QUEUE_PAGE, home_prefix
from bot.services.notices import Notice
from tests.fakes.web_api import RecordedCall
from tests.slack.conftest import on_both_engines
from tests.slack.harness import SlackHarness, call_text

MEMBER = "UMEMBER01"
ADMIN = "UADMIN001"
ADMIN2 = "UADMIN002"
PARTNER = "UPARTNER1"
USERADMIN = "UUSERADM1"
AGENT = "UAGENT001"
CHANNEL = "CADMINS01"


database = pytest.fixture(params=["sqlite", "postgres"], name="database")(on_both_engines)


@pytest.fixture
def admin_channel() -> str | None:
    return CHANNEL


def homes_of(h: SlackHarness, user: str) -> list[RecordedCall]:
    return [c for c in h.slack.calls_to("views.publish") if c.args.get("user_id") == user]


def buttons(view: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(action_id, value, label) of every button of a view."""
    found: list[tuple[str, str, str]] = []
    for block in view["blocks"]:
        elements = list(block.get("elements", []))
        if "accessory" in block:
            elements.append(block["accessory"])
        found += [
            (e["action_id"], e.get("value", ""), e["text"]["text"])
            for e in elements
            if e.get("type") == "button"
        ]
    return found


async def requested_win11(h: SlackHarness, *, debounced: bool = False) -> None:
    """Windows 11 Enterprise (2 seats), ADMIN a Global admin and MEMBER's request of it,
    settled (``debounced``: after the Homes' debounce, so they are published too)."""
    await h.add_benefit("win11", "Windows 11 Enterprise", seats=2)
    await h.grant(ADMIN)
    if debounced:
        await have_opened(h, ADMIN, MEMBER)
    await h.command(MEMBER, "request win11 for the lab")
    if debounced:
        h.clock.advance(timedelta(seconds=3))
    await h.settle()


async def have_opened(h: SlackHarness, *users: str) -> None:
    """``users`` opened their Home before (so changes republish it)."""
    for user in users:
        await h.bot.services.home.opened(user)


def value_of(view: dict[str, Any], action_id: str) -> str:
    """The value of the first button of ``view`` with ``action_id``."""
    return next(v for a, v, _ in buttons(view) if a == action_id)


async def open_home(h: SlackHarness, user: str) -> dict[str, Any]:
    before = len(homes_of(h, user))
    ack = await h.event({"type": "app_home_opened", "user": user, "tab": "home"})
    assert ack.status == 200
    await h.settle()
    published = homes_of(h, user)
    assert len(published) == before + 1, h.slack.summary()
    view: dict[str, Any] = published[-1].args["view"]
    assert view["type"] == "home"
    return view


async def crowd(h: SlackHarness, *, pending: int, holdings: int) -> None:
    """``pending`` requests of as many members, and ``holdings`` seats of ADMIN, written
    straight to storage (no notices: this is about what the Home shows)."""
    now = h.clock.now()
    async with h.bot.store.write() as uow:
        for n in range(max(pending, holdings)):
            await uow.benefits.put(
                Benefit(
                    id=f"sw-{n:04d}", name=f"Software {n:04d}", category=Category.SOFTWARE, seats=5
                )
            )
        for n in range(pending):
            await uow.requests.add(
                benefit_id=f"sw-{n:04d}",
                requester_id=f"UREQ{n:05d}",
                reason=f"reason {n}",
                created_at=now - timedelta(minutes=pending - n),
            )
        for n in range(holdings):
            await uow.assignments.add(
                benefit_id=f"sw-{n:04d}", user_id=ADMIN, assigned_at=now, assigned_by=ADMIN2
            )


async def test_a_member_with_nothing_yet_sees_what_to_do_first(harness: SlackHarness) -> None:
    view = await open_home(harness, MEMBER)

    text = call_text(homes_of(harness, MEMBER)[-1])
    assert "Start with *Request a benefit*" in text
    assert (ids.REQUEST_FORM_BUTTON, "home", "Request a benefit") in buttons(view)
    assert "How this works" in text
    assert "Global admin" not in [b.get("text", {}).get("text") for b in view["blocks"]]


async def test_a_global_admin_with_200_pending_and_many_holdings_gets_a_home_within_100_blocks(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(ADMIN)
    await crowd(h, pending=200, holdings=40)

    view = await open_home(h, ADMIN)

    assert len(view["blocks"]) <= 100
    approvals = [b for b in buttons(view) if b[0] == ids.APPROVE]
    assert len(approvals) == QUEUE_PAGE
    text = call_text(homes_of(h, ADMIN)[-1])
    assert "Requests waiting for a decision* (200)" in text
    assert "What you hold* (40)" in text
    assert "Page 1 of 20" in text
    assert (ids.HOME_NEXT, "queue|1", "Next ›") in buttons(view)
    assert "Start with" not in text


async def test_next_on_the_queue_republishes_the_home_with_the_next_page(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(ADMIN)
    await crowd(h, pending=25, holdings=0)
    first = await open_home(h, ADMIN)
    shown_first = {v for a, v, _ in buttons(first) if a == ids.APPROVE}

    ack = await h.click_on_home(ADMIN, ids.HOME_NEXT, "queue|2")
    assert ack.status == 200
    await h.settle()

    last = homes_of(h, ADMIN)[-1].args["view"]
    shown_last = {v for a, v, _ in buttons(last) if a == ids.APPROVE}
    assert len(shown_last) == 5
    assert not shown_last & shown_first
    assert (ids.HOME_PREVIOUS, "queue|1", "‹ Previous") in buttons(last)
    assert "Page 3 of 3" in call_text(homes_of(h, ADMIN)[-1])


async def test_a_broken_page_button_on_the_home_says_so_in_a_modal(harness: SlackHarness) -> None:
    h = harness
    ack = await h.click_on_home(MEMBER, ids.HOME_NEXT, "queue|many")
    assert ack.status == 200
    await h.settle()

    opened = h.slack.calls_to("views.open")
    assert len(opened) == 1
    assert "This button is broken" in call_text(opened[0])
    assert homes_of(h, MEMBER) == []


@pytest.mark.parametrize(
    ("role", "user", "expected", "absent"),
    [
        (Role.MPN_PARTNER_ADMIN, PARTNER, ["Marketing contact", "Activate a benefit", "Audit log"], ["Add a user", "Grant a role"]),
        (Role.USER_ADMIN, USERADMIN, ["Add a user"], ["Audit log", "Marketing contact"]),
        (Role.ADMIN_AGENT, AGENT, ["Cancellation"], ["Add a user", "Audit log"]),
        (Role.GLOBAL_ADMIN, ADMIN, ["Assign a seat", "Grant a role", "Add a user", "Audit log"], []),
    ],
)  # fmt: skip
async def test_each_role_sees_what_it_may_do_as_buttons(
    harness: SlackHarness, role: Role, user: str, expected: list[str], absent: list[str]
) -> None:
    await harness.grant(user, role)

    view = await open_home(harness, user)

    roles = set(ids.HOME_ROLE_ACTIONS.values())
    labels = [label for action, _, label in buttons(view) if action in roles]
    assert all(label in labels for label in expected), labels
    assert not set(absent) & set(labels)
    assert len(view["blocks"]) <= 100
    is_admin = any(b.get("text", {}).get("text") == "Global admin" for b in view["blocks"])
    assert is_admin is (role is Role.GLOBAL_ADMIN)


async def test_a_role_button_opens_the_help_of_the_command_or_the_form(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(PARTNER, Role.MPN_PARTNER_ADMIN)
    today = h.clock.now().date()
    async with h.bot.store.write() as uow:
        await uow.membership.put(
            Membership(Level.GOLD, today, today + timedelta(days=300), "partner@example.com")
        )

    await h.click_on_home(PARTNER, ids.HOME_ROLE_ACTIONS["audit"], "audit")
    await h.click_on_home(PARTNER, ids.HOME_ROLE_ACTIONS["contact"], "contact")
    await h.settle()

    opened = h.slack.calls_to("views.open")
    by_callback = {c.args["view"]["callback_id"]: c for c in opened}
    assert len(opened) == 2
    assert set(by_callback) == {ids.HOME_HELP_VIEW, ids.CONTACT_VIEW}
    assert "/benefits audit [n]" in call_text(by_callback[ids.HOME_HELP_VIEW])


async def test_approve_on_the_home_updates_the_channel_message_and_the_homes(
    harness: SlackHarness,
) -> None:
    h = harness
    await requested_win11(h)
    posted = h.slack.calls_to("chat.postMessage", include_failed=False)
    assert [c.args["channel"] for c in posted] == [CHANNEL]
    await open_home(h, MEMBER)  # only the Homes of people who opened theirs are republished
    view = await open_home(h, ADMIN)
    request_id = value_of(view, ids.APPROVE)

    ack = await h.click_on_home(ADMIN, ids.APPROVE, request_id)
    assert ack.status == 200
    await h.settle()  # the click carried out (right after its acknowledgement, with receipts)
    h.clock.advance(timedelta(seconds=3))
    await h.settle()

    updates = h.slack.calls_to("chat.update", include_failed=False)
    assert len(updates) == 1
    assert updates[0].args["channel"] == CHANNEL
    assert "Approved by" in call_text(updates[0])
    assert await h.seats_used("win11") == 1
    admin_home = homes_of(h, ADMIN)[-1].args["view"]
    assert not [b for b in buttons(admin_home) if b[0] == ids.APPROVE]
    member_home = call_text(homes_of(h, MEMBER)[-1])
    assert "Windows 11 Enterprise" in member_home
    assert "What you hold* (1)" in member_home


async def test_a_home_never_opened_is_not_republished_and_shows_current_data_when_first_opened(
    harness: SlackHarness,
) -> None:
    h = harness
    await requested_win11(h)
    await open_home(h, ADMIN)
    request_id = value_of(homes_of(h, ADMIN)[-1].args["view"], ids.APPROVE)
    await h.click(ADMIN, ids.APPROVE, request_id, channel=CHANNEL)
    await h.settle()
    h.clock.advance(timedelta(seconds=3))
    await h.settle()

    assert homes_of(h, MEMBER) == []  # never opened: no render, no views.publish
    assert len(homes_of(h, ADMIN)) == 2  # opened once, republished after the decision
    await open_home(h, MEMBER)
    assert "What you hold* (1)" in call_text(homes_of(h, MEMBER)[-1])


async def test_a_decision_in_the_channel_republishes_the_admins_home(
    harness: SlackHarness,
) -> None:
    h = harness
    await requested_win11(h, debounced=True)
    before = homes_of(h, ADMIN)[-1].args["view"]
    request_id = value_of(before, ids.APPROVE)

    await h.click(ADMIN, ids.APPROVE, request_id, channel=CHANNEL)
    await h.settle()  # the click carried out (right after its acknowledgement, with receipts)
    h.clock.advance(timedelta(seconds=3))
    await h.settle()

    after = homes_of(h, ADMIN)[-1].args["view"]
    assert not [b for b in buttons(after) if b[0] == ids.APPROVE]
    assert "No request is waiting." in call_text(homes_of(h, ADMIN)[-1])


async def test_many_changes_leave_one_waiting_home_per_person_and_publish_it_once(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(ADMIN)
    await have_opened(h, ADMIN, MEMBER)
    for n in range(6):
        await h.add_benefit(f"b{n}", f"Benefit number {n}", seats=3)
    for n in range(6):
        ack = await h.command(MEMBER, f"request b{n} because {n}")
        assert "was sent" in ack.text, ack.text

    async with h.bot.store.read() as uow:
        admin_rows = await uow.outbox.queued_with_prefix(home_prefix(ADMIN))
        member_rows = await uow.outbox.queued_with_prefix(home_prefix(MEMBER))
    assert len(admin_rows) == 1
    assert len(member_rows) == 1
    assert admin_rows[0].kind == Notice.HOME
    await h.settle()
    assert homes_of(h, ADMIN) == []  # debounced: not due yet

    h.clock.advance(timedelta(seconds=3))
    await h.settle()

    assert len(homes_of(h, ADMIN)) == 1
    assert "Requests waiting for a decision* (6)" in call_text(homes_of(h, ADMIN)[0])
    assert len(homes_of(h, MEMBER)) == 1
    async with h.bot.store.read() as uow:
        sent = await uow.outbox.with_prefix(home_prefix(ADMIN), state=PingState.SENT)
    assert len(sent) == 1


async def test_a_change_after_the_home_was_sent_queues_a_new_one(harness: SlackHarness) -> None:
    h = harness
    await h.grant(ADMIN)
    await have_opened(h, MEMBER)
    await h.add_benefit("b1", "Benefit one", seats=3)
    await h.add_benefit("b2", "Benefit two", seats=3)
    await h.command(MEMBER, "request b1 first")
    h.clock.advance(timedelta(seconds=3))
    await h.settle()
    await h.command(MEMBER, "request b2 second")
    h.clock.advance(timedelta(seconds=3))
    await h.settle()

    published = homes_of(h, MEMBER)
    assert len(published) == 2
    assert "Benefit two" in call_text(published[-1])


async def test_withdraw_on_the_home_closes_the_request_and_updates_the_admin_copy(
    harness: SlackHarness,
) -> None:
    h = harness
    await requested_win11(h)
    view = await open_home(h, MEMBER)
    request_id = value_of(view, ids.WITHDRAW)
    audit_before = await h.audit_count()

    ack = await h.click_on_home(MEMBER, ids.WITHDRAW, request_id)
    assert ack.status == 200
    h.clock.advance(timedelta(seconds=3))
    await h.settle()

    async with h.bot.store.read() as uow:
        request = await uow.requests.get(int(request_id))
        entries = await uow.audit.recent(1)
    assert request is not None
    assert request.status is RequestStatus.CLOSED
    assert entries[0].action == "request.withdraw"
    assert entries[0].actor == MEMBER
    assert await h.audit_count() == audit_before + 1
    updates = h.slack.calls_to("chat.update", include_failed=False)
    assert len(updates) == 1
    assert "Withdrawn by" in call_text(updates[0])
    assert not [b for b in buttons(homes_of(h, MEMBER)[-1].args["view"]) if b[0] == ids.WITHDRAW]


async def test_withdraw_by_someone_else_is_refused_in_a_modal_and_changes_nothing(
    harness: SlackHarness,
) -> None:
    h = harness
    await requested_win11(h)
    view = await open_home(h, MEMBER)
    request_id = value_of(view, ids.WITHDRAW)

    ack = await h.click_on_home(ADMIN, ids.WITHDRAW, request_id)
    assert ack.status == 200
    await h.settle()

    async with h.bot.store.read() as uow:
        request = await uow.requests.get(int(request_id))
    assert request is not None
    assert request.status is RequestStatus.PENDING
    opened = h.slack.calls_to("views.open")
    assert len(opened) == 1
    assert "can withdraw request" in call_text(opened[0])
    assert h.slack.calls_to("chat.update") == []


async def test_withdraw_as_a_command_works_for_the_requester(harness: SlackHarness) -> None:
    h = harness
    await requested_win11(h)
    async with h.bot.store.read() as uow:
        (request,) = await uow.requests.of_user(MEMBER, status=RequestStatus.PENDING)

    refused = await h.command(ADMIN, f"withdraw {request.id}")
    done = await h.command(MEMBER, f"withdraw #{request.id}")
    again = await h.command(MEMBER, f"withdraw {request.id}")

    assert "can withdraw" in refused.text
    assert "is withdrawn" in done.text
    assert "no longer waiting: it was withdrawn" in again.text


async def test_get_keys_and_details_on_the_home_open_their_modals(harness: SlackHarness) -> None:
    h = harness
    await h.add_benefit("win11", "Windows 11 Enterprise", seats=2)
    await h.grant(ADMIN)
    await h.command(ADMIN, f"adduser <@{MEMBER}>")
    await h.command(ADMIN, f"assign win11 <@{MEMBER}>")
    view = await open_home(h, MEMBER)
    assert (ids.KEYS_BUTTON, "win11", "Get keys") in buttons(view)
    assert (ids.DETAILS, "win11", "Details") in buttons(view)

    await h.click_on_home(MEMBER, ids.KEYS_BUTTON, "win11")
    await h.click_on_home(MEMBER, ids.DETAILS, "win11")
    await h.settle()

    opened = h.slack.calls_to("views.open", include_failed=False)
    assert len(opened) == 2
    assert h.slack.calls_to("views.push") == []  # a Home is no modal to stack on
    assert {c.args["view"]["callback_id"] for c in opened} >= {ids.DETAILS_VIEW}
