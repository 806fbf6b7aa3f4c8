"""Receipts (``BENEFITS_RECEIPTS=on``): filing and approving are acknowledged once the payload
is saved, carried out right after, and taken over by another process if this one dies.

Every test runs on a SQLite file and on PostgreSQL (``[postgres]``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.blocks import ids
from bot.domain.receipts import Receipt
from bot.services.receipts import MAX_ATTEMPTS
from handlers.receipts import carry_out
from tests.fakes.signing import slash_command_body
from tests.fakes.waiting import wait_until
from tests.fakes.web_api import FakeSlackWebApi
from tests.slack.conftest import make_settings, on_both_engines, running_harness
from tests.slack.harness import SlackHarness, call_text

MEMBER = "UMEMBER01"
ADMIN = "UADMIN001"

database = pytest.fixture(params=["sqlite", "postgres"], name="database")(on_both_engines)


@pytest.fixture
async def harness(slack: FakeSlackWebApi, database: Path | str) -> AsyncIterator[SlackHarness]:
    settings = make_settings(
        slack.api_url,
        database,
        benefits_receipts="on",
        benefits_delivery_poll_seconds=0.05,  # the take-over looks every 0.25 s
    )
    async with running_harness(slack, settings) as h:
        await h.add_benefit("win11", "Windows 11 Enterprise", seats=1)
        await h.grant(ADMIN)
        yield h


async def pending_ids(h: SlackHarness) -> list[int]:
    """The member's pending requests (for win11, the one benefit)."""
    async with h.bot.store.read() as uow:
        pending = await uow.requests.pending(MEMBER, "win11")
    return [] if pending is None else [pending.id]


async def test_a_filed_request_is_acknowledged_with_nothing_and_answered_at_its_response_url(
    harness: SlackHarness,
) -> None:
    h = harness
    raw = await h.post(
        slash_command_body(
            text="request win11 for the lab",
            user_id=MEMBER,
            response_url=h.slack.response_url("filing"),
        )
    )
    assert raw.status == 200
    assert raw.body == ""  # the acknowledgement came once the payload was saved

    await h.settle()
    (answer,) = h.responses_to("filing")
    assert "Your request #1 for *Windows 11 Enterprise* was sent" in call_text(answer)
    assert answer.args["response_type"] == "ephemeral"
    assert await pending_ids(h) == [1]
    posted = [c for c in h.slack.calls_to("chat.postMessage") if c.args["channel"] == ADMIN]
    assert len(posted) == 1
    assert await h.bot.store.receipts.waiting() == 0


async def test_a_refused_request_is_answered_at_its_response_url_and_files_nothing(
    harness: SlackHarness,
) -> None:
    h = harness
    answer = await h.command(MEMBER, "request no-such-benefit please")
    assert "no-such-benefit" in answer.text or "No benefit" in answer.text, answer.text
    assert await pending_ids(h) == []
    assert await h.bot.store.receipts.waiting() == 0


async def test_other_commands_still_answer_in_the_acknowledgement(harness: SlackHarness) -> None:
    h = harness
    raw = await h.post(
        slash_command_body(text="list", user_id=MEMBER, response_url=h.slack.response_url("l"))
    )
    assert "Windows 11 Enterprise" in raw.text
    assert await h.bot.store.receipts.waiting() == 0


async def test_an_approval_saved_as_a_receipt_assigns_the_seat_and_a_retry_changes_nothing(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.command(MEMBER, "request win11 for the lab")
    await h.settle()
    (request_id,) = await pending_ids(h)

    first = await h.click(ADMIN, ids.APPROVE, str(request_id))
    retry = await h.click(ADMIN, ids.APPROVE, str(request_id))  # Slack's retry, or a double click
    assert (first.status, first.body) == (200, "")
    assert (retry.status, retry.body) == (200, "")
    await h.settle()

    assert await h.seats_used("win11") == 1
    dms = [c for c in h.slack.calls_to("chat.postMessage") if c.args["channel"] == MEMBER]
    assert len(dms) == 1
    refusals = [call_text(c) for c in h.responses_to("click-")]
    assert len(refusals) == 1
    assert "already approved" in refusals[0]
    assert await h.bot.store.receipts.waiting() == 0


async def test_a_receipt_left_by_a_process_that_died_is_carried_out_by_another(
    harness: SlackHarness,
) -> None:
    h = harness
    body = {
        "user_id": MEMBER,
        "user_name": "member",
        "command": "/benefits",
        "text": "request win11 left behind",
        "channel_id": "C0001",
        "team_id": "T0001",
        "response_url": h.slack.response_url("orphan"),
        "trigger_id": "1.2.3",
    }
    now = h.clock.now()
    await h.bot.store.receipts.receive(  # saved and acknowledged by a process that then died
        "command", body, owner="dead-replica", at=now - timedelta(minutes=2), until=now
    )

    async def answered() -> bool:
        return bool(h.responses_to("orphan"))

    await wait_until(answered, timeout=10, what="the orphaned receipt to be carried out")
    await h.settle()
    assert "was sent" in call_text(h.responses_to("orphan")[0])
    assert len(await pending_ids(h)) == 1
    assert await h.bot.store.receipts.waiting() == 0


async def test_a_receipt_that_fails_is_left_for_another_try_and_given_up_after_the_last(
    harness: SlackHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    body = {
        "user_id": MEMBER,
        "command": "/benefits",
        "text": "request win11 never works",
        "response_url": h.slack.response_url("poison"),
    }
    now = h.clock.now()
    receipt_id = await h.bot.store.receipts.receive(
        "command", body, owner=h.bot.services.receipts.owner, at=now, until=now + timedelta(hours=1)
    )

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(h.bot.services.requests, "request_benefit", broken)
    client, services = h.bot.app.client, h.bot.services
    await carry_out(Receipt(receipt_id, "command", body, now, attempts=1), client, services)
    assert await services.receipts.waiting() == 1  # left for a take-over
    assert not h.responses_to("poison")

    last = Receipt(receipt_id, "command", body, now, attempts=MAX_ATTEMPTS)
    await carry_out(last, client, services)
    assert await services.receipts.waiting() == 0
    (told,) = h.responses_to("poison")
    assert "Nothing was changed" in call_text(told)
    assert await pending_ids(h) == []


async def test_the_saved_payload_keeps_no_verification_token(harness: SlackHarness) -> None:
    h = harness
    receipt = await h.bot.services.receipts.receive(
        "command", {"token": "legacy-verification-token", "user_id": MEMBER, "text": "x"}
    )
    now = h.clock.now() + timedelta(hours=1)
    (taken,) = await h.bot.store.receipts.take_over(owner="probe", now=now, until=now, limit=5)
    assert taken.id == receipt.id
    assert "token" not in taken.body
    assert "legacy-verification-token" not in json.dumps(dict(taken.body))
    assert await h.bot.store.receipts.finish(receipt.id)
