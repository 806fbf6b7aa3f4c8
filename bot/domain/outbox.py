"""The outbox: every ping the bot owes somebody, written before it is sent.

A ping is one Slack message the bot owes: a reminder or notice posted to one
person or channel, or an update of a message posted earlier (every copy of a
decided request). It is queued in storage in the same transaction as the
change (or the sweep) that causes it, under a unique ``(key, recipient)``: the
key names what it is about, which item and which threshold
(``expiry:offer:gtm-cosell:2026-03-31:7``), so the same message can never be
queued twice. The delivery loop claims due pings with a lease, sends them, and
records Slack's answer (the channel and ``ts`` of what it posted). Before each
Slack call it records that a send began (``send_started_at``); a ping taken
over with that mark set may already be in Slack, so it is looked for in the
conversation (by the metadata naming it) before it is sent again.

An update that refers to a post queued before it (``after_id``) is claimable
only once that post is sent, and uses the post's channel and ``ts``; when the
post is parked or cancelled instead, the update is cancelled with it (there is
no message to update).

::

    queued ──sent (Slack answered ok, ts recorded)──▶ sent
       │ └──failed, attempts left──▶ queued (due later: backoff)
       ├──failed N times, or a permanent error──▶ parked (the admins are told)
       └──no longer relevant when its turn came──▶ cancelled
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

ParamValue = str | int | float | bool | None


class PingState(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    PARKED = "parked"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class NewPing:
    """A ping to queue; ``params`` fill the message when it is sent (JSON values)."""

    key: str
    recipient: str
    kind: str
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    due_at: datetime | None = None  # None: due at once
    after_id: int | None = None  # the queued post this one updates: sent first


@dataclass(frozen=True, slots=True)
class Ping:
    """A queued, sent, parked or cancelled ping, as storage keeps it."""

    id: int
    key: str
    recipient: str
    kind: str
    params: Mapping[str, ParamValue]
    state: PingState
    created_at: datetime
    due_at: datetime
    attempts: int = 0
    last_error: str = ""
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    sent_at: datetime | None = None
    channel: str | None = None
    ts: str | None = None
    after_id: int | None = None
    # When a send to Slack began that was never recorded (None: none did). Slack may
    # have it, so whoever sends the ping next looks for it in the conversation first.
    send_started_at: datetime | None = None
