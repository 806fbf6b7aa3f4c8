"""The entitlement table of docs/rules.md: what each membership level and cloud competency
is entitled to, and how a problem is named."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain.entitlements import (
    ENTITLEMENTS,
    Allowance,
    Problem,
    Unit,
    entitlement,
    parse_problem,
)
from bot.domain.model import InvalidInput, Level, SupportKind
from tests.unit.conftest import MEMBERSHIP, rendered

# -- the entitlement table ------------------------------------------------------


# docs/rules.md, "Kinds of support and entitlement per level", row by row:
# (kind, level, cloud competency) -> incidents or hours (None: unlimited, 0: none).
DOMAIN_TABLE = [
    (SupportKind.SIGNATURE_CLOUD, Level.ACTION_PACK, False, 0),
    (SupportKind.SIGNATURE_CLOUD, Level.ACTION_PACK, True, 0),
    (SupportKind.SIGNATURE_CLOUD, Level.SILVER, False, 5),
    (SupportKind.SIGNATURE_CLOUD, Level.SILVER, True, None),
    (SupportKind.SIGNATURE_CLOUD, Level.GOLD, False, 10),
    (SupportKind.SIGNATURE_CLOUD, Level.GOLD, True, None),
    (SupportKind.PRODUCT_INCIDENTS, Level.ACTION_PACK, False, 10),
    (SupportKind.PRODUCT_INCIDENTS, Level.ACTION_PACK, True, 10),
    (SupportKind.PRODUCT_INCIDENTS, Level.SILVER, False, 15),
    (SupportKind.PRODUCT_INCIDENTS, Level.SILVER, True, 15),
    (SupportKind.PRODUCT_INCIDENTS, Level.GOLD, False, 20),
    (SupportKind.PRODUCT_INCIDENTS, Level.GOLD, True, 20),
    (SupportKind.ADVISORY_HOURS, Level.ACTION_PACK, False, 5),
    (SupportKind.ADVISORY_HOURS, Level.ACTION_PACK, True, 5),
    (SupportKind.ADVISORY_HOURS, Level.SILVER, False, 20),
    (SupportKind.ADVISORY_HOURS, Level.SILVER, True, 20),
    (SupportKind.ADVISORY_HOURS, Level.GOLD, False, 50),
    (SupportKind.ADVISORY_HOURS, Level.GOLD, True, 50),
]


@pytest.mark.parametrize(("kind", "level", "cloud", "amount"), DOMAIN_TABLE)
def test_each_level_is_entitled_to_what_the_domain_table_says(
    kind: SupportKind, level: Level, cloud: bool, amount: int | None
) -> None:
    membership = replace(MEMBERSHIP, level=level, cloud_competency=cloud)
    unit = Unit.HOURS if kind is SupportKind.ADVISORY_HOURS else Unit.INCIDENTS
    assert entitlement(kind, membership) == Allowance(amount, unit)


def test_the_table_covers_every_kind_and_level_and_nothing_else() -> None:
    assert set(ENTITLEMENTS) == set(SupportKind)
    assert all(set(row) == set(Level) for row in ENTITLEMENTS.values())
    assert len(DOMAIN_TABLE) == len(SupportKind) * len(Level) * 2


def test_an_action_pack_has_no_signature_cloud_support_but_silver_does() -> None:
    pack = replace(MEMBERSHIP, level=Level.ACTION_PACK, cloud_competency=True)
    assert not entitlement(SupportKind.SIGNATURE_CLOUD, pack).available
    assert entitlement(SupportKind.SIGNATURE_CLOUD, MEMBERSHIP).available


@pytest.mark.parametrize(
    ("text", "problem"),
    [("cloud", Problem.CLOUD), ("On-Premises", Problem.ON_PREMISES), ("advice", Problem.ADVICE)],
)
def test_a_problem_is_named_by_a_word(text: str, problem: Problem) -> None:
    assert parse_problem(text) is problem


def test_an_unknown_problem_names_the_choices() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_problem("printer")
    assert "on-premises" in rendered(caught.value)
