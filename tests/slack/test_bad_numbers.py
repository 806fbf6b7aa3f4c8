"""Numbers that come from Slack, over the wire: typed in a command, a button's value, a
modal's hidden field. Only ASCII digits, in a bounded length and range, are read; anything
else (``²`` and ``٣`` pass ``str.isdigit``; 19 or 5,000 digits) gets a clear refusal, never
an HTTP 500 or a traceback, and changes nothing."""

from __future__ import annotations

import logging

import pytest

from bot.blocks import ids
from bot.domain.model import RequestStatus
from tests.slack.harness import SlackHarness, call_text

MEMBER = "UMEMBER01"
ADMIN = "UADMIN001"

# Unicode digits str.isdigit() accepts, numbers beyond any id, and other near misses.
# "١" is ARABIC-INDIC DIGIT ONE: int() reads it as 1, the id of the first request.
BAD_NUMBERS = ["²", "١", "٣", "1²", "１", " 1", "+1", "-1", "1.0", "1" * 19, "9" * 5000, ""]
# A command holds at most 2,000 characters: its longest number is shorter.
TYPED_NUMBERS = [n for n in BAD_NUMBERS if n and n == n.strip() and len(n) < 100] + ["9" * 1900]


def short(value: object) -> str:
    return repr(value)[:24]


@pytest.fixture
async def ready(harness: SlackHarness) -> SlackHarness:
    await harness.add_benefit("win11", "Windows 11 Enterprise", seats=2)
    await harness.grant(ADMIN)
    ack = await harness.command(MEMBER, "request win11 for the lab")
    assert "was sent" in ack.text, ack.text
    await harness.settle()
    return harness


async def request_status(h: SlackHarness) -> RequestStatus:
    async with h.bot.store.read() as uow:
        request = await uow.requests.get(1)
    assert request is not None
    return request.status


def no_traceback(records: list[logging.LogRecord], typed: str) -> None:
    """No error logged (an unhandled exception is), and nothing logged the text typed."""
    assert not [r for r in records if r.levelno >= logging.ERROR or r.exc_info]
    if typed.strip():
        assert not [r for r in records if typed in r.getMessage()]


@pytest.mark.parametrize("number", TYPED_NUMBERS, ids=short)
async def test_advisory_hours_that_are_not_ascii_digits_get_a_refusal_not_a_500(
    ready: SlackHarness, caplog: pytest.LogCaptureFixture, number: str
) -> None:
    h = ready
    caplog.set_level(logging.WARNING)
    before = await h.audit_count()

    ack = await h.command(MEMBER, f"advisory {number} topic")

    assert ack.status == 200
    assert ack.json["response_type"] == "ephemeral"
    assert "positive whole number" in ack.text
    assert await h.audit_count() == before
    await h.settle()
    no_traceback(caplog.records, number)


@pytest.mark.parametrize("number", ["²", "١", "1" * 19, "9" * 1900], ids=short)
async def test_an_audit_count_that_is_not_ascii_digits_gets_the_usage(
    ready: SlackHarness, caplog: pytest.LogCaptureFixture, number: str
) -> None:
    caplog.set_level(logging.WARNING)
    ack = await ready.command(ADMIN, f"audit {number}")
    assert ack.status == 200
    assert "takes a number of entries" in ack.text
    no_traceback(caplog.records, number)


@pytest.mark.parametrize("action_id", [ids.APPROVE, ids.DENY])
@pytest.mark.parametrize("value", BAD_NUMBERS, ids=short)
async def test_an_approve_or_deny_value_that_is_not_a_request_id_is_refused_and_decides_nothing(
    ready: SlackHarness, caplog: pytest.LogCaptureFixture, action_id: str, value: str
) -> None:
    h = ready
    caplog.set_level(logging.WARNING)
    before = await h.audit_count()

    ack = await h.click(ADMIN, action_id, value)

    assert ack.status == 200
    await h.settle()
    refusal = h.slack.calls_to("response_url")[-1]
    assert refusal.args["response_type"] == "ephemeral"
    assert "names no request" in call_text(refusal)
    assert await request_status(h) is RequestStatus.PENDING
    assert await h.seats_used("win11") == 0
    assert await h.audit_count() == before
    assert not h.slack.calls_to("views.open")
    assert not h.slack.calls_to("chat.update")
    no_traceback(caplog.records, value)


@pytest.mark.parametrize("metadata", BAD_NUMBERS, ids=short)
async def test_a_deny_form_whose_hidden_field_is_not_a_request_id_is_refused_and_denies_nothing(
    ready: SlackHarness, caplog: pytest.LogCaptureFixture, metadata: str
) -> None:
    h = ready
    caplog.set_level(logging.WARNING)
    before = await h.audit_count()

    ack = await h.submit(
        ADMIN,
        ids.DENY_VIEW,
        {ids.DENY_REASON_BLOCK: {ids.DENY_REASON_INPUT: "No budget"}},
        private_metadata=metadata,
    )

    assert ack.status == 200
    assert ack.json["response_action"] == "errors"
    assert "names no request" in ack.json["errors"][ids.DENY_REASON_BLOCK]
    await h.settle()
    assert await request_status(h) is RequestStatus.PENDING
    assert await h.audit_count() == before
    assert not h.slack.calls_to("chat.update")
    no_traceback(caplog.records, metadata)


@pytest.mark.parametrize(
    ("action_id", "value"),
    [
        (ids.LIST_NEXT, "all|²"),
        (ids.LIST_NEXT, "all|١"),
        (ids.LIST_NEXT, "software|" + "9" * 5000),
        (ids.LIST_PREVIOUS, "spaceships|1"),
        (ids.AUDIT_NEXT, "20|²"),
        (ids.AUDIT_NEXT, "²|1"),
        (ids.AUDIT_NEXT, "1" * 19 + "|1"),
        (ids.DETAILS_HOLDERS_NEXT, "win11|²"),
        (ids.DETAILS_HOLDERS_NEXT, "win11|" + "1" * 19),
    ],
    ids=short,
)
async def test_a_paging_button_that_names_no_page_is_refused(
    ready: SlackHarness, caplog: pytest.LogCaptureFixture, action_id: str, value: str
) -> None:
    h = ready
    caplog.set_level(logging.WARNING)

    ack = await h.click(ADMIN, action_id, value)

    assert ack.status == 200
    await h.settle()
    refusal = h.slack.calls_to("response_url")[-1]
    assert "names no page" in call_text(refusal)
    no_traceback(caplog.records, value)
