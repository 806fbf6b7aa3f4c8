"""Domain events: facts the service records that other parts react to.

Which sink handles which event is the composition root's table
(:func:`bot.runtime.bootstrap.subscriptions`); the sinks and the bus that hands
events to them within a unit of work live in :mod:`bot.services.core`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.model import (
    Activation,
    AdvisoryRequest,
    Assignment,
    Benefit,
    MessageRef,
    Request,
    ServiceRequest,
)


@dataclass(frozen=True, slots=True)
class ActivationRequested:
    """A technical benefit or go-to-market offer is pending: someone must mark it active."""

    benefit: Benefit
    activation: Activation


@dataclass(frozen=True, slots=True)
class ActivationCompleted:
    """A technical benefit or go-to-market offer became active.

    ``message`` is the lasting message it was marked active from, if any: it is
    updated to show the outcome.
    """

    benefit: Benefit
    activation: Activation
    message: MessageRef | None = None


@dataclass(frozen=True, slots=True)
class RequestCreated:
    """A request now waits for a Global admin."""

    request: Request
    benefit: Benefit


@dataclass(frozen=True, slots=True)
class RequestDecided:
    request: Request
    benefit: Benefit
    at: datetime


@dataclass(frozen=True, slots=True)
class RequestWithdrawn:
    """The requester withdrew a pending request (it is closed); the admins' copies change."""

    request: Request
    benefit: Benefit
    at: datetime


@dataclass(frozen=True, slots=True)
class HoldingsChanged:
    """Seats of ``benefit_id`` were given or taken: ``users`` see other holdings now."""

    benefit_id: str
    users: tuple[str, ...]
    at: datetime


@dataclass(frozen=True, slots=True)
class CancellationRequested:
    """A cancellation of the membership package was filed; the Global admins submit it."""

    request: ServiceRequest
    purchased: date
    refund_window_ends: date


@dataclass(frozen=True, slots=True)
class AdvisoryRequested:
    """Someone asked for advisory hours; the admins are told."""

    request: AdvisoryRequest
    hours_left: int
    hours_total: int


@dataclass(frozen=True, slots=True)
class SeatSelfAssigned:
    """The only Global admin gave a seat to themselves (``from_user``: whose seat it was,
    for a reassignment); ``admins`` are the other admins to tell when there is no admin
    channel."""

    benefit: Benefit
    assignment: Assignment
    from_user: str | None
    admins: tuple[str, ...]


Event = (
    ActivationRequested
    | ActivationCompleted
    | RequestCreated
    | RequestDecided
    | RequestWithdrawn
    | HoldingsChanged
    | CancellationRequested
    | AdvisoryRequested
    | SeatSelfAssigned
)

EVENT_TYPES: tuple[type[Event], ...] = (
    ActivationRequested,
    ActivationCompleted,
    RequestCreated,
    RequestDecided,
    RequestWithdrawn,
    HoldingsChanged,
    CancellationRequested,
    AdvisoryRequested,
    SeatSelfAssigned,
)
