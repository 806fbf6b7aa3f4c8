"""The offboarding and digest messages stay within Block Kit's limits, however much
a person held or how many seats are idle."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.blocks.digest import digest_message, digest_text
from bot.blocks.offboarding import offboarding_message, parse_item_value
from bot.domain.model import Assignment, Benefit, Category, Role
from bot.domain.offboarding import Offboarding, OffboardingState, Source
from bot.services.digest import BenefitUse, Digest
from bot.services.idle import IdleSeat, Why
from bot.services.offboarding import HeldSeat, ItemKind, OffboardingView
from tests.fakes.blockkit import block_kit_violations

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _seat(i: int) -> HeldSeat:
    benefit = Benefit(f"b{i}", "A benefit with a long name " * 6, Category.VISUAL_STUDIO, seats=9)
    return HeldSeat(
        Assignment(i, benefit.id, "UMEMBER01", NOW - timedelta(days=3), "UADMIN001"),
        benefit,
        reassignable_from=NOW + timedelta(days=87),
    )


def test_an_offboarding_of_someone_who_held_sixty_seats_fits_in_one_message() -> None:
    view = OffboardingView(
        offboarding=Offboarding(7, "UMEMBER01", NOW, Source.EVENT),
        seats=tuple(_seat(i) for i in range(60)),
        requests=(),
        roles=(Role.GLOBAL_ADMIN, Role.MPN_PARTNER_ADMIN),
        marketing_contact=True,
    )
    message = offboarding_message(view)
    assert block_kit_violations(message, surface="message") == []
    assert "…and 22 more." in str(message["blocks"])
    buttons = [b["accessory"]["value"] for b in message["blocks"] if "accessory" in b]
    assert parse_item_value(buttons[0]) == (7, view.items[0])
    assert view.items[0].kind is ItemKind.SEAT


def test_a_decided_offboarding_shows_no_buttons() -> None:
    view = OffboardingView(
        offboarding=Offboarding(
            7, "UMEMBER01", NOW, Source.EVENT, OffboardingState.KEPT, "UADMIN001", NOW
        ),
        seats=(_seat(1),),
        requests=(),
        roles=(),
        marketing_contact=False,
    )
    message = offboarding_message(view)
    assert "button" not in str(message["blocks"])
    assert "Kept by <@UADMIN001>" in str(message["blocks"])


def test_a_digest_with_a_hundred_idle_seats_fits_in_one_message() -> None:
    benefit = Benefit("m365", "Microsoft 365 E3", Category.SOFTWARE, seats=200)
    idle = tuple(
        IdleSeat(
            Assignment(i, "m365", f"U{i:08d}", NOW - timedelta(days=90), "UADMIN001"),
            benefit,
            Why.NO_ANSWER,
            keys_unopened=True,
        )
        for i in range(100)
    )
    digest = Digest(
        today=date(2026, 3, 2),
        categories=(),
        benefits=(BenefitUse("m365", benefit.name, Category.SOFTWARE, 150, 200, 100),),
        idle=idle,
        ending_soon=(),
        ending_later=(),
        advisory_hours_left=None,
        advisory_hours_total=None,
        incidents=None,
        pending=(),
        parked=0,
        membership_days_left=None,
        refund_open_until=None,
    )
    message = digest_message(digest)
    assert block_kit_violations(message, surface="message") == []
    assert "Idle seats offered for reclaim: 100" in digest_text(digest)
