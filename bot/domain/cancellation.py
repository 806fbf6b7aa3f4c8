"""When a membership package can be cancelled with a refund (docs/rules.md).

All three must hold: the request is made within 30 days of the purchase, no
software benefit has been activated, and no product key has been viewed.
:func:`refund_blockers` says which of them fail and since when; the service
reads the facts from storage and files the service request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bot.domain.model import Assignment, Benefit, Conflict, KeyReveal, Membership, ServiceRequest

REFUND_WINDOW_DAYS = 30
CANCELLATION = "cancellation"
"""The ``kind`` of a cancellation service request."""


@dataclass(frozen=True, slots=True)
class Blocker:
    """One failed condition, as a msgid and its parameters (``*_user`` are user IDs)."""

    message: str
    since: date
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CancellationCheck:
    """The outcome of checking the three conditions today."""

    membership: Membership
    today: date
    blockers: list[Blocker]
    open_request: ServiceRequest | None

    @property
    def refund_window_ends(self) -> date:
        return refund_deadline(self.membership)

    @property
    def eligible(self) -> bool:
        return not self.blockers and self.open_request is None


@dataclass(frozen=True, slots=True)
class CancellationFiled:
    request: ServiceRequest
    check: CancellationCheck
    global_admins: list[str]


class CancellationRefused(Conflict):
    """A cancellation request refused because conditions fail; ``blockers`` says which."""

    def __init__(self, blockers: list[Blocker]) -> None:
        super().__init__(
            "The package can't be cancelled with a refund: {count} of the three conditions fail.",
            count=len(blockers),
        )
        self.blockers = blockers


def refund_deadline(membership: Membership) -> date:
    """The last day a cancellation with a refund may be requested."""
    return membership.purchase_date + timedelta(days=REFUND_WINDOW_DAYS)


def refund_blockers(
    membership: Membership,
    today: date,
    *,
    software: tuple[Assignment, Benefit | None] | None,
    reveal: tuple[KeyReveal, Benefit | None] | None,
) -> list[Blocker]:
    """The conditions that fail today, each with the day it started failing.

    Args:
        membership: The company's membership (its purchase date).
        today: The day of the request.
        software: The first software assignment ever made and its benefit, if any.
        reveal: The first key reveal ever made and its benefit, if any.
    """
    blockers: list[Blocker] = []
    deadline = refund_deadline(membership)
    if today > deadline:
        blockers.append(
            Blocker(
                "More than 30 days have passed since the purchase on {purchased}: the refund "
                "window closed on {deadline}.",
                since=deadline + timedelta(days=1),
                params={
                    "purchased": membership.purchase_date.isoformat(),
                    "deadline": deadline.isoformat(),
                },
            )
        )
    if software is not None:
        assignment, benefit = software
        when = assignment.assigned_at.date()
        if assignment.user_id:
            blockers.append(
                Blocker(
                    "A software benefit was activated: *{benefit}* was assigned to {holder_user} "
                    "on {date}.",
                    since=when,
                    params={
                        "benefit": benefit.name if benefit else assignment.benefit_id,
                        "holder_user": assignment.user_id,
                        "date": when.isoformat(),
                    },
                )
            )
        else:
            blockers.append(
                Blocker(
                    "A software benefit was activated: *{benefit}* was assigned to {email} on "
                    "{date}.",
                    since=when,
                    params={
                        "benefit": benefit.name if benefit else assignment.benefit_id,
                        "email": assignment.holder_email or "?",
                        "date": when.isoformat(),
                    },
                )
            )
    if reveal is not None:
        seen, benefit = reveal
        when = seen.at.date()
        blockers.append(
            Blocker(
                "A product key was viewed: a key of *{benefit}* was viewed on {date} by "
                "{viewer_user}.",
                since=when,
                params={
                    "benefit": benefit.name if benefit else seen.benefit_id,
                    "date": when.isoformat(),
                    "viewer_user": seen.user_id,
                },
            )
        )
    return blockers
