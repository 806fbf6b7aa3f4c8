"""Domain events: facts the service records that other parts react to.

Which sink handles which event is the composition root's table
(:func:`bot.runtime.bootstrap.subscriptions`); the sinks and the bus that hands
events to them within a unit of work live in :mod:`bot.services.core`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.model import Activation, Benefit, Request


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

EVENT_TYPES: tuple[type[Event], ...] = (ActivationCompleted, RequestCreated, RequestDecided)
