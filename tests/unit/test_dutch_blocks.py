"""Block Kit's limits hold in Dutch, which is longer than English.

Two checks: every fixed text placed in a slot with a small limit (a modal title,
a button, a placeholder, a header) fits in Dutch without being clipped; and the
builders, run for a Dutch reader with long names, produce payloads the Block Kit
checker of ``tests.fakes.blockkit`` accepts.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.blocks import primitives
from bot.blocks.catalog import help_message, mine_message
from bot.blocks.details import details_view
from bot.blocks.digest import digest_message
from bot.blocks.home import home_view
from bot.blocks.idle import seat_answered_message, seat_check_message
from bot.blocks.language import language_message
from bot.blocks.offboarding import offboarding_message
from bot.blocks.picker import request_form_view
from bot.blocks.primitives import error_message
from bot.blocks.reminders import ping_message
from bot.blocks.requests import (
    deny_view,
)
from bot.domain.model import Forbidden, Role
from bot.domain.offboarding import Answer
from bot.domain.outbox import ParamValue
from bot.i18n import catalogs
from bot.i18n.translate import reading_as, t
from bot.runtime.container import Services
from bot.services.idle import IdleSeat, Why
from bot.services.reminders import Kind
from storage.sqlite import SqliteStore
from tests.fakes.blockkit import block_kit_violations
from tests.unit.conftest import ADMIN, MEMBER, AddBenefits
from tests.unit.helpers import long_requests
from tests.unit.test_reminder_blocks import SAMPLES, ping

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")

# Builders whose first argument is shown in a slot with a fixed limit.
FIRST_ARGUMENT_LIMITS = {
    "button": primitives.BUTTON_TEXT_LIMIT,
    "header": primitives.HEADER_LIMIT,
    "_modal": primitives.MODAL_TITLE_LIMIT,  # bot.blocks.keys: the title
}
KEYWORD_LIMITS = {"close": primitives.MODAL_TITLE_LIMIT}


@dataclass(frozen=True)
class Slot:
    where: str
    msgid: str
    limit: int


def _msgid(node: ast.expr) -> str | None:
    """The text of ``t("…")`` (also with parameters), else None."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "t"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return node.args[0].value
    return None


def _limit(node: ast.expr, module: object) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.Name):
        value = getattr(module, node.id, getattr(primitives, node.id, None))
        return value if isinstance(value, int) else None
    return None


def limited_slots() -> Iterator[Slot]:
    """Every ``t("…")`` passed straight into a slot with a limit of 150 characters or less."""
    for path in sorted((ROOT / "bot" / "blocks").glob("*.py")):
        module = importlib.import_module(f"bot.blocks.{path.stem}")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            name, where = node.func.id, f"bot/blocks/{path.name}:{node.lineno}"
            msgid = _msgid(node.args[0]) if node.args else None
            if name == "plain" and msgid and len(node.args) > 1:
                limit = _limit(node.args[1], module)
                if limit is not None and limit <= 150:
                    yield Slot(where, msgid, limit)
            elif name in FIRST_ARGUMENT_LIMITS and msgid:
                yield Slot(where, msgid, FIRST_ARGUMENT_LIMITS[name])
            for keyword in node.keywords:
                kw_msgid = _msgid(keyword.value)
                if keyword.arg in KEYWORD_LIMITS and kw_msgid:
                    yield Slot(where, kw_msgid, KEYWORD_LIMITS[keyword.arg])


def test_the_scan_finds_the_modal_titles_and_buttons() -> None:
    found = {(s.msgid, s.limit) for s in limited_slots()}

    assert ("Deny request", 24) in found  # a modal title
    assert ("Approve", 75) in found  # a button
    assert ("Product keys", 24) in found  # bot.blocks.keys' _modal
    assert ("Why is this request denied?", 150) in found  # a placeholder


def test_every_fixed_text_in_a_limited_slot_fits_in_dutch_without_clipping() -> None:
    dutch = catalogs.read_catalog("nl")
    too_long = []
    for slot in limited_slots():
        message = dutch.get(slot.msgid)
        translation = message.string if message is not None and message.string else slot.msgid
        assert isinstance(translation, str)
        # A placeholder's value is not known here: count it as its name's length.
        length = len(PLACEHOLDER.sub(lambda m: m.group(0)[1:-1], translation))
        if length > slot.limit:
            too_long.append(f"{slot.where}: {translation!r} is {length} (max {slot.limit})")

    assert too_long == []


@pytest.mark.parametrize("kind", list(Kind))
def test_each_reminder_reads_in_dutch_within_block_kit_limits(kind: Kind) -> None:
    params, _ = SAMPLES[kind]
    english = ping_message(ping(kind, params))
    with reading_as("nl-NL"):
        dutch = ping_message(ping(kind, params))

    assert block_kit_violations(dutch, surface="message") == []
    assert dutch["text"] != english["text"]


LONG_NAME = "Microsoft Visual Studio Enterprise-abonnement met GitHub Advanced Security " * 2
LONG_REASON = "Nodig voor de migratie van de Contoso-tenant naar Azure; " * 8 + "x" * 44


async def test_the_builders_stay_within_block_kit_limits_for_a_dutch_reader(
    services: Services, add_benefits: AddBenefits, store: SqliteStore
) -> None:
    assert len(LONG_REASON) == 500
    long = await long_requests(services, add_benefits, LONG_NAME, LONG_REASON)
    long_one = long.benefit
    mine = await services.catalog.mine(MEMBER)
    details = await services.catalog.details(ADMIN, long_one.id)
    # MEMBER waits for another seat, then leaves the company holding the long one.
    await services.requests.request_benefit(MEMBER, "vs-ent", LONG_REASON)
    member_home = await services.home.home_of(MEMBER)
    assert await services.offboarding.user_left(MEMBER) is True
    async with store.read() as uow:
        left = await uow.offboardings.current(MEMBER)
        held = await uow.assignments.find_active(long_one.id, MEMBER)
    assert left is not None
    assert held is not None
    offboarding = dataclasses.replace(
        await services.offboarding.view(left.id), marketing_contact=True
    )
    idle = IdleSeat(held, long_one, Why.NO_REVEAL, keys_unopened=True)
    digest = dataclasses.replace(await services.digest.compute(), idle=(idle,) * 25)
    seat_check: dict[str, ParamValue] = {
        "assignment_id": held.id,
        "benefit_id": long_one.id,
        "benefit": LONG_NAME,
        "since": "2026-01-05",
        "keys": True,
    }

    with reading_as("nl-NL"):
        messages = {
            **long.messages(),
            "mine": mine_message(mine),
            "language": language_message("nl", "en|nl|auto", changed=True),
            "refusal": error_message(
                Forbidden(
                    "This needs the {roles} role. Ask someone who has it: {holder_users}.",
                    roles="global_admin",
                    holder_users=(ADMIN,),
                )
            ),
            **{f"help {r.value}": help_message(frozenset({r})) for r in Role},
            "help, no role": help_message(frozenset()),
            "offboarding": offboarding_message(offboarding),
            "seat check": seat_check_message(seat_check),
            "seat kept": seat_answered_message(long_one, Answer.KEEP),
            "seat offered": seat_answered_message(long_one, Answer.FREE),
            "digest": digest_message(digest),
        }
        views = {
            "details": details_view(details),
            "deny": deny_view(long.denied.request, long_one),
            "request form": request_form_view(),
        }
        home = home_view(await services.home.home_of(ADMIN))
        homes = {"admin": home, "member": home_view(member_home)}
        title = t("Deny request")

    assert title == "Aanvraag afwijzen"
    for name, message in messages.items():
        assert block_kit_violations(message, surface="message") == [], name
    for name, view in views.items():
        assert block_kit_violations(view, surface="modal") == [], name
    for name, view in homes.items():
        assert block_kit_violations(view, surface="home") == [], name
    assert views["deny"]["title"]["text"] == "Aanvraag afwijzen"
    assert "Goedkeuren" in str(messages["approval request"])
    assert views["request form"]["title"]["text"] == "Voordeel aanvragen"
    assert "Alles terugnemen" in str(messages["offboarding"])
    assert "Ja, behouden" in str(messages["seat check"])
    assert "Wekelijks voordelenoverzicht" in str(messages["digest"])
    assert "Aanvraag intrekken?" in str(homes["member"])
