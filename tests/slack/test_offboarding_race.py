"""An approval racing with a departure and its reclaim, on SQLite and PostgreSQL: the
seat count ends right whichever commits first (docs/rules.md#offboarding)."""

from __future__ import annotations

import asyncio

import pytest

from bot.blocks import ids
from bot.domain.model import RequestStatus
from tests.slack.conftest import on_both_engines
from tests.slack.harness import SlackHarness

ADMIN, MEMBER, MEMBER2 = "UADMIN001", "UMEMBER01", "UMEMBER02"
ROUNDS = 3  # leave, race, reclaim, come back: three times

database = pytest.fixture(params=["sqlite", "postgres"], name="database")(on_both_engines)


async def test_approvals_racing_with_departures_leave_the_seat_count_right(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(ADMIN)
    await h.add_benefit("m365", "Microsoft 365 E3", seats=10)
    for user in (MEMBER, MEMBER2):
        await h.bot.services.roles.add_user(ADMIN, user)
    await h.bot.services.seats.assign(ADMIN, "m365", MEMBER2)

    for _ in range(ROUNDS):
        filed = await h.bot.services.requests.request_benefit(MEMBER, "m365")
        left = {"id": MEMBER, "deleted": True}
        await asyncio.gather(
            h.click(ADMIN, ids.APPROVE, str(filed.request.id)),
            h.event({"type": "user_change", "user": left}),
        )
        await h.settle()
        async with h.bot.store.read() as uow:
            departure = await uow.offboardings.current(MEMBER)
        assert departure is not None
        await asyncio.gather(
            h.click(ADMIN, ids.OFFBOARD_RECLAIM_ALL, str(departure.id)),
            h.click(ADMIN, ids.APPROVE, str(filed.request.id)),
        )
        await h.settle()

        assert await h.seats_used("m365") == 1  # MEMBER2's only
        async with h.bot.store.read() as uow:
            assert await uow.assignments.of_user(MEMBER) == []
            request = await uow.requests.get(filed.request.id)
        assert request is not None
        assert request.status in (RequestStatus.APPROVED, RequestStatus.CLOSED)
        # Back, and leaving again next round.
        await h.event({"type": "user_change", "user": {"id": MEMBER, "deleted": False}})
