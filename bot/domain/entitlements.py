"""What a membership level is entitled to, and which support answers which problem.

Two declarative tables of docs/rules.md ("Kinds of support and entitlement per
level"): :data:`ENTITLEMENTS` and :data:`SUPPORT_FOR`. The activation and
support services read them; they hold no rule of their own about amounts.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.model import InvalidInput, Level, Membership, SupportKind
from bot.i18n.translate import N_

# -- the entitlement table --------------------------------------------------


class Unit(enum.StrEnum):
    INCIDENTS = "incidents"
    HOURS = "hours"


@dataclass(frozen=True, slots=True)
class Allowance:
    """How much of one kind of support a membership has: ``amount`` of ``unit``,
    ``None`` for unlimited, 0 when the level has none of it."""

    amount: int | None
    unit: Unit

    @property
    def available(self) -> bool:
        return self.amount is None or self.amount > 0

    @property
    def unlimited(self) -> bool:
        return self.amount is None


@dataclass(frozen=True, slots=True)
class Entitlement:
    """One cell of docs/rules.md's table: the allowance of a level, and a different
    one when the membership holds a cloud competency."""

    standard: Allowance
    with_cloud_competency: Allowance | None = None

    def for_membership(self, membership: Membership) -> Allowance:
        if membership.cloud_competency and self.with_cloud_competency is not None:
            return self.with_cloud_competency
        return self.standard


def _incidents(amount: int | None) -> Allowance:
    return Allowance(amount, Unit.INCIDENTS)


def _hours(amount: int) -> Allowance:
    return Allowance(amount, Unit.HOURS)


# docs/rules.md, "Kinds of support and entitlement per level".
ENTITLEMENTS: Mapping[SupportKind, Mapping[Level, Entitlement]] = {
    SupportKind.SIGNATURE_CLOUD: {
        Level.ACTION_PACK: Entitlement(_incidents(0)),
        Level.SILVER: Entitlement(_incidents(5), with_cloud_competency=_incidents(None)),
        Level.GOLD: Entitlement(_incidents(10), with_cloud_competency=_incidents(None)),
    },
    SupportKind.PRODUCT_INCIDENTS: {
        Level.ACTION_PACK: Entitlement(_incidents(10)),
        Level.SILVER: Entitlement(_incidents(15)),
        Level.GOLD: Entitlement(_incidents(20)),
    },
    SupportKind.ADVISORY_HOURS: {
        Level.ACTION_PACK: Entitlement(_hours(5)),
        Level.SILVER: Entitlement(_hours(20)),
        Level.GOLD: Entitlement(_hours(50)),
    },
}

# Advisory hours need no activation: any member files a request.
NEEDS_ACTIVATION: frozenset[SupportKind] = frozenset(
    {SupportKind.SIGNATURE_CLOUD, SupportKind.PRODUCT_INCIDENTS}
)

SUPPORT_LABELS: Mapping[SupportKind, str] = {
    SupportKind.SIGNATURE_CLOUD: N_("Signature cloud support"),
    SupportKind.PRODUCT_INCIDENTS: N_("Product support incidents"),
    SupportKind.ADVISORY_HOURS: N_("Presales and deployment advisory hours"),
}

LEVEL_LABELS: Mapping[Level, str] = {
    Level.ACTION_PACK: N_("Action Pack"),
    Level.SILVER: N_("Silver"),
    Level.GOLD: N_("Gold"),
}


def entitlement(kind: SupportKind, membership: Membership) -> Allowance:
    """What ``membership`` is entitled to of ``kind``."""
    return ENTITLEMENTS[kind][membership.level].for_membership(membership)


# -- which support answers which problem -------------------------------------


class Problem(enum.StrEnum):
    """What a support question is about."""

    CLOUD = "cloud"
    ON_PREMISES = "on_premises"
    ADVICE = "advice"


SUPPORT_FOR: Mapping[Problem, SupportKind] = {
    Problem.CLOUD: SupportKind.SIGNATURE_CLOUD,
    Problem.ON_PREMISES: SupportKind.PRODUCT_INCIDENTS,
    Problem.ADVICE: SupportKind.ADVISORY_HOURS,
}

PROBLEM_LABELS: Mapping[Problem, str] = {
    Problem.CLOUD: N_("Something is broken in a cloud product"),
    Problem.ON_PREMISES: N_("Something is broken in an on-premises product"),
    Problem.ADVICE: N_("Presales or deployment advice"),
}

PROBLEM_ALIASES: Mapping[str, Problem] = {
    "cloud": Problem.CLOUD,
    "azure": Problem.CLOUD,
    "on-premises": Problem.ON_PREMISES,
    "on_premises": Problem.ON_PREMISES,
    "onpremises": Problem.ON_PREMISES,
    "on-prem": Problem.ON_PREMISES,
    "onprem": Problem.ON_PREMISES,
    "advice": Problem.ADVICE,
    "advisory": Problem.ADVICE,
    "presales": Problem.ADVICE,
    "deployment": Problem.ADVICE,
}


def parse_problem(text: str) -> Problem:
    """A problem from its name or an alias (``cloud``, ``on-premises``, ``advice``)."""
    problem = PROBLEM_ALIASES.get(text.strip().casefold())
    if problem is None:
        raise InvalidInput(
            "I don't know the kind of problem `{problem}`. Pick one of: cloud, on-premises, "
            "advice.",
            problem=text.strip()[:40],
        )
    return problem
