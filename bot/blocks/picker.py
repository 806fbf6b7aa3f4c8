"""The Request a benefit form: a modal with a benefit picker and a reason.

The picker is an ``external_select``: Slack asks the bot for its options as the
person types (:func:`options_payload`), grouped by category, each with the seats
left. Block Kit allows 100 options over all groups, 75 characters of text per
option and 150 of value; the builders keep to that.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from bot.blocks import ids
from bot.blocks.primitives import (
    MODAL_TITLE_LIMIT,
    OPTION_TEXT_LIMIT,
    Block,
    category_label,
    clip,
    context,
    plain,
    seats_text,
    text_input,
)
from bot.domain.limits import MAX_REASON
from bot.domain.model import BenefitRow, Category
from bot.i18n.translate import t

MAX_OPTIONS: Final = 100
OPTION_VALUE_LIMIT: Final = 150
GROUP_LABEL_LIMIT: Final = 75
MIN_QUERY_LENGTH: Final = 0


def request_form_view() -> Block:
    """The modal that files a request: which benefit, and why."""
    picker: Block = {
        "type": "input",
        "block_id": ids.REQUEST_BENEFIT_BLOCK,
        "label": plain(t("Benefit"), 2000),
        "element": {
            "type": "external_select",
            "action_id": ids.REQUEST_BENEFIT_INPUT,
            "placeholder": plain(t("Type to search, e.g. Visual Studio"), 150),
            "min_query_length": MIN_QUERY_LENGTH,
        },
        "hint": plain(t("Grouped by category, with the seats left."), 2000),
    }
    reason = text_input(
        ids.REQUEST_REASON_BLOCK,
        ids.REQUEST_REASON_INPUT,
        t("Why do you need it?"),
        max_length=MAX_REASON,
        placeholder=t("e.g. for the customer project starting next week"),
    )
    reason["element"]["multiline"] = True
    return {
        "type": "modal",
        "callback_id": ids.REQUEST_VIEW,
        "title": plain(t("Request a benefit"), MODAL_TITLE_LIMIT),
        "submit": plain(t("Send request"), MODAL_TITLE_LIMIT),
        "close": plain(t("Cancel"), MODAL_TITLE_LIMIT),
        "blocks": [
            picker,
            reason,
            context(t("A Global admin approves or denies it; I'll tell you by DM.")),
        ],
    }


def _option(row: BenefitRow) -> dict[str, Any]:
    seats = seats_text(row)
    name = clip(row.benefit.name, max(OPTION_TEXT_LIMIT - len(seats) - 3, 20))
    return {
        "text": plain(clip(f"{name} · {seats}", OPTION_TEXT_LIMIT), OPTION_TEXT_LIMIT),
        "value": clip(row.benefit.id, OPTION_VALUE_LIMIT),
    }


def options_payload(rows: Sequence[BenefitRow]) -> dict[str, Any]:
    """The answer to an options request: the rows grouped by category, in category order."""
    groups: dict[Category, list[dict[str, Any]]] = {}
    for row in rows[:MAX_OPTIONS]:
        groups.setdefault(row.benefit.category, []).append(_option(row))
    if not groups:
        return {"options": []}
    return {
        "option_groups": [
            {"label": plain(category_label(c), GROUP_LABEL_LIMIT), "options": groups[c]}
            for c in Category
            if c in groups
        ]
    }


def request_sent_text(request_id: int, benefit: str, where: str) -> str:
    return t(
        "Your request #{request_id} for *{benefit}* was sent {where}. I'll tell you "
        "when it is decided.",
        request_id=request_id,
        benefit=benefit,
        where=where,
    )
