"""Domain events: facts the service records that other parts react to.

A sink is called with the repository of the unit of work that raised the
event, so what it writes (e.g. a reminder in the outbox) commits or rolls
back together with the change itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.model import Activation, Benefit, Request
from storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class ActivationCompleted:
    """A technical benefit or go-to-market offer became active."""

    benefit: Benefit
    activation: Activation


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


Event = ActivationCompleted | RequestCreated | RequestDecided
EventSink = Callable[[UnitOfWork, Event], Awaitable[None]]
