"""The life cycle of an activation and what it looks like to a person (docs/rules.md).

Technical benefits and go-to-market offers are activated, not assigned::

    (none) ──activate──▶ pending ──complete(IDs or expiry)──▶ active ──end date──▶ expired
                                                                   (expired ──activate──▶ pending)

Who may activate which category is :data:`CATEGORY_ACTION`; the functions here
compute a state from the stored facts and today's date, without storage.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date

from bot.domain.entitlements import Allowance
from bot.domain.model import Activation, ActivationStatus, Benefit, Category, SupportKind
from bot.domain.permissions import Action

CATEGORY_ACTION: Mapping[Category, Action] = {
    Category.TECHNICAL: Action.ACTIVATE_TECHNICAL,
    Category.GTM: Action.MANAGE_GTM,
}
"""The action that activates (and marks active) a benefit of each activated category."""

ACTIVATED_CATEGORIES: frozenset[Category] = frozenset(CATEGORY_ACTION)


class State(enum.StrEnum):
    """What a technical benefit or offer looks like to a person right now."""

    NOT_AVAILABLE = "not_available"  # the membership level has none of it
    NO_ACTIVATION_NEEDED = "no_activation_needed"  # advisory hours
    NOT_ACTIVATED = "not_activated"
    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"


def is_past(expires_on: date | None, today: date) -> bool:
    """Whether an offer that could be used until ``expires_on`` has ended."""
    return expires_on is not None and expires_on < today


def activation_state(
    benefit: Benefit, activation: Activation | None, allowance: Allowance | None, today: date
) -> State:
    """The state of a technical benefit or offer, given its activation and entitlement."""
    if allowance is not None and not allowance.available:
        return State.NOT_AVAILABLE
    if benefit.support_kind is SupportKind.ADVISORY_HOURS:
        return State.NO_ACTIVATION_NEEDED
    if activation is None:
        return State.NOT_ACTIVATED
    if activation.status is ActivationStatus.PENDING:
        return State.PENDING
    if activation.status is ActivationStatus.EXPIRED or is_past(activation.expires_on, today):
        return State.EXPIRED
    return State.ACTIVE


def benefit_status(
    benefit: Benefit, activation: Activation | None, expires_on: date | None, today: date
) -> ActivationStatus | None:
    """Pending / active / expired: from the activation for technical benefits and
    go-to-market offers (None before one is asked for), from the expiry date otherwise."""
    if benefit.category in (Category.TECHNICAL, Category.GTM):
        if activation is None:
            return None
        if activation.status is ActivationStatus.PENDING:
            return ActivationStatus.PENDING
    if expires_on is not None and expires_on < today:
        return ActivationStatus.EXPIRED
    if activation is not None:
        return activation.status
    return ActivationStatus.ACTIVE
