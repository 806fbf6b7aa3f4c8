"""Every kind of reminder renders a clear DM within Block Kit's limits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.blocks import ids
from bot.blocks.reminders import metadata, ping_message
from bot.domain.outbox import ParamValue, Ping, PingState
from bot.services.reminders import Kind
from tests.fakes.blockkit import block_kit_violations

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
BENEFIT: dict[str, ParamValue] = {"benefit_id": "gold-core", "benefit": "Gold core"}

SAMPLES: dict[Kind, tuple[dict[str, ParamValue], str]] = {
    Kind.ACTIVATION_COMPLETED: (
        {
            **BENEFIT,
            "category": "technical",
            "completed_by": "UADMIN001",
            "access_id": "AX-1",
            "contract_id": "CT-2",
            "as": "requester",
        },
        "*Gold core* is active now, marked by <@UADMIN001>.",
    ),
    Kind.OFFER_EXPIRING: (
        {**BENEFIT, "ends_on": "2026-03-01", "days_left": 7, "as": "contact"},
        "*Gold core* ends in 7 days, on 2026-03-01.",
    ),
    Kind.BENEFIT_EXPIRING: (
        {**BENEFIT, "ends_on": "2026-03-01", "days_left": 1, "as": "holder"},
        "*Gold core* ends tomorrow, 2026-03-01.",
    ),
    Kind.APPROVAL_WAITING: (
        {
            **BENEFIT,
            "request_id": 12,
            "requester": "UMEMBER01",
            "reason": "<!channel> pls",
            "created_on": "2026-01-14",
            "hours": 24,
            "day": 1,
            "as": "admin",
        },
        "Request #12 from <@UMEMBER01> for *Gold core* has waited 24 hours",
    ),
    Kind.ACTIVATION_PENDING: (
        {**BENEFIT, "requested_by": "UPARTNER1", "requested_on": "2026-01-01", "days": 8},
        "has been pending for 8 days. Check its status in Partner Center",
    ),
    Kind.REFUND_CLOSING: (
        {"purchased": "2026-01-10", "ends_on": "2026-02-09", "days_left": 5},
        "closes on 2026-02-09 (5 days left)",
    ),
    Kind.MEMBERSHIP_ENDING: (
        {"level": "action_pack", "ends_on": "2026-03-31", "days_left": 15},
        "The membership ends in 15 days, on 2026-03-31.",
    ),
    Kind.VS_REASSIGNABLE: (
        {**BENEFIT, "holder": "UMEMBER01", "holder_email": None, "assigned_on": "2025-10-17"},
        "90 days have passed, so it can be reassigned now",
    ),
    Kind.DELIVERY_PARKED: (
        {
            "ping_id": 3,
            "about": "offer_expiring",
            "recipient": "UGONE0001",
            "attempts": 5,
            "error": "user_not_found",
        },
        "A message for <@UGONE0001> could not be delivered after 5 attempts",
    ),
    Kind.REQUEST_DECIDED: (
        {
            **BENEFIT,
            "request_id": 12,
            "status": "denied",
            "decided_by": "UADMIN001",
            "note": "Seats are for <!channel> sales",
        },
        "was denied by <@UADMIN001>: Seats are for &lt;!channel&gt; sales",
    ),
}


def ping(kind: Kind, params: dict[str, ParamValue]) -> Ping:
    return Ping(7, "some:key", "UADMIN001", kind.value, params, PingState.QUEUED, T0, T0)


def test_every_kind_has_a_sample() -> None:
    assert set(SAMPLES) == set(Kind)


@pytest.mark.parametrize("kind", list(Kind))
def test_each_kind_renders_its_message_within_block_kit_limits(kind: Kind) -> None:
    params, expected = SAMPLES[kind]
    payload = ping_message(ping(kind, params))
    assert expected in payload["text"]
    assert block_kit_violations(payload, surface="message", require_fallback_text=True) == []


def test_a_waiting_request_offers_approve_and_deny_and_escapes_the_reason() -> None:
    params, _ = SAMPLES[Kind.APPROVAL_WAITING]
    payload = ping_message(ping(Kind.APPROVAL_WAITING, params))
    buttons = [
        (e["action_id"], e["value"])
        for b in payload["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert buttons == [(ids.APPROVE, "12"), (ids.DENY, "12")]
    assert "<!channel>" not in str(payload["blocks"])
    assert "&lt;!channel&gt; pls" in str(payload["blocks"])


def test_an_ended_date_and_an_unknown_kind_still_read_well() -> None:
    ended = ping(Kind.OFFER_EXPIRING, {**BENEFIT, "ends_on": "2026-01-01", "days_left": -3})
    assert "*Gold core* ended on 2026-01-01." in ping_message(ended)["text"]
    future = Ping(1, "k", "U1", "from_a_newer_bot", {}, PingState.QUEUED, T0, T0)
    assert "reminder" in ping_message(future)["text"]


def test_the_metadata_names_the_ping() -> None:
    assert metadata(ping(Kind.REFUND_CLOSING, {})) == {
        "event_type": "benefits_reminder",
        "event_payload": {"ping": 7, "key": "some:key", "kind": "refund_closing"},
    }


def test_a_parked_message_to_the_admin_channel_names_the_channel() -> None:
    params: dict[str, ParamValue] = {
        "ping_id": 4,
        "about": "approval_request",
        "recipient": "CADMINS01",
        "attempts": 1,
        "error": "channel_not_found",
    }
    text = ping_message(ping(Kind.DELIVERY_PARKED, params))["text"]
    assert "A message for <#CADMINS01> could not be delivered" in text
