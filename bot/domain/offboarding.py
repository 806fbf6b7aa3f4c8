"""Offboarding and idle seats: the records and the pure rules (docs/rules.md#offboarding,
docs/rules.md#idle-seats).

A person Slack deactivated has *left*: one :class:`Offboarding` per departure
lists what they held to the Global admins, who reclaim it or keep it. A person
who comes back (reactivated) ends the departure (``returned_at``) and gets
nothing back by themselves; a later deactivation is a new departure.

A seat is *idle* when the bot saw no sign of use for ``idle_after`` since it was
assigned: for a benefit with product keys, its holder never revealed them; for
any other seat, its holder did not answer the last "still using it?" check.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_IDLE_AFTER = timedelta(days=60)
ANSWER_WITHIN = timedelta(days=7)
"""How long a holder has to answer "still using it?" before the seat counts as unanswered."""


class OffboardingState(enum.StrEnum):
    OPEN = "open"  # listed to the admins, not decided (items may be reclaimed one by one)
    RECLAIMED = "reclaimed"  # Reclaim all
    KEPT = "kept"  # Keep: the admins leave everything as it is


class Source(enum.StrEnum):
    EVENT = "event"  # Slack's user_change with deleted: true
    RECONCILIATION = "reconciliation"  # the daily comparison with users.list


class Answer(enum.StrEnum):
    KEEP = "keep"  # "Yes, keep it"
    FREE = "free"  # "No, free it"


@dataclass(frozen=True, slots=True)
class Offboarding:
    id: int
    user_id: str
    left_at: datetime
    source: Source
    state: OffboardingState = OffboardingState.OPEN
    decided_by: str | None = None
    decided_at: datetime | None = None
    returned_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SeatCheck:
    """The last "still using it?" question about one seat, and its answer."""

    assignment_id: int
    asked_at: datetime
    answer: Answer | None = None
    answered_at: datetime | None = None


def check_unanswered(check: SeatCheck | None, now: datetime) -> bool:
    """Whether the holder let the last check go unanswered past :data:`ANSWER_WITHIN`."""
    return check is not None and check.answer is None and now - check.asked_at >= ANSWER_WITHIN


def kept_recently(check: SeatCheck | None, now: datetime, idle_after: timedelta) -> bool:
    """Whether the holder said "Yes, keep it" within the last ``idle_after``."""
    return (
        check is not None
        and check.answer is Answer.KEEP
        and check.answered_at is not None
        and now - check.answered_at < idle_after
    )
