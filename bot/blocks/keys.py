"""Block Kit builders for product keys: the modal to pick a language and an OS,
the modal that shows the keys (paged), and the modal that says why not.

Keys are only ever rendered into a modal (never a message), packed several to
a section and paged, so a benefit with hundreds of keys stays within Block
Kit's limits without dropping any.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.blocks import ids
from bot.blocks.primitives import (
    MODAL_BLOCKS,
    MODAL_TITLE_LIMIT,
    OPTION_TEXT_LIMIT,
    Block,
    actions,
    button,
    context,
    escape,
    fields_section,
    packed_sections,
    plain,
    render_error,
    section,
)
from bot.domain.limits import MAX_PRODUCT_KEYS
from bot.domain.model import DomainError
from bot.domain.validation import whole_number
from bot.i18n.translate import t
from bot.services.keys import KeyChoice, RevealedKeys

KEYS_PAGE_SIZE = 100


def _modal(title: str, blocks: list[Block], *, close: str) -> Block:
    return {
        "type": "modal",
        "title": plain(title, MODAL_TITLE_LIMIT),
        "close": plain(close, MODAL_TITLE_LIMIT),
        "blocks": blocks[:MODAL_BLOCKS],
    }


def _select(block_id: str, action_id: str, label: str, options: Sequence[str]) -> Block:
    element: Block = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": plain(t("Choose…"), 150),
        "options": [{"text": plain(o, OPTION_TEXT_LIMIT), "value": o} for o in options],
    }
    if len(options) == 1:
        element["initial_option"] = element["options"][0]
    return {"type": "input", "block_id": block_id, "label": plain(label, 2000), "element": element}


def keys_choice_view(choice: KeyChoice) -> Block:
    """The modal where the caller picks a language and an operating system."""
    b = choice.benefit
    blocks: list[Block] = [
        section(
            t(
                "*{benefit}*: pick what you need. The download link, the special instructions "
                "and the {count} product keys are then shown here, to you only, and the reveal "
                "is recorded in the audit log.",
                benefit=b.name,
                count=choice.key_count,
            )
        )
    ]
    if b.languages:
        blocks.append(
            _select(
                ids.KEYS_LANGUAGE_BLOCK,
                ids.KEYS_LANGUAGE_INPUT,
                t("Language"),
                b.languages,
            )
        )
    if b.operating_systems:
        blocks.append(
            _select(
                ids.KEYS_OS_BLOCK,
                ids.KEYS_OS_INPUT,
                t("Operating system"),
                b.operating_systems,
            )
        )
    view = _modal(t("Product keys"), blocks, close=t("Cancel"))
    view["callback_id"] = ids.KEYS_VIEW
    view["private_metadata"] = b.id
    view["submit"] = plain(t("Show keys"), MODAL_TITLE_LIMIT)
    return view


def result_metadata(revealed: RevealedKeys) -> str:
    """What the keys modal remembers to show another page: the benefit and the choice."""
    return json.dumps(
        {"benefit": revealed.benefit.id, "language": revealed.language, "os": revealed.os},
        separators=(",", ":"),
    )


def parse_result_metadata(text: str) -> tuple[str, str, str]:
    """The benefit id, language and OS of :func:`result_metadata`; ValueError otherwise."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not an object")
    values = (data.get("benefit"), data.get("language"), data.get("os"))
    if not all(isinstance(v, str) for v in values) or not values[0]:
        raise ValueError("missing fields")
    benefit_id, language, os = (str(v) for v in values)
    return benefit_id, language, os


def parse_keys_page(value: str) -> int:
    """The page a keys paging button names; ValueError when it names none a benefit can have."""
    page = whole_number(value, maximum=MAX_PRODUCT_KEYS // KEYS_PAGE_SIZE)
    if page is None:
        raise ValueError("not a page of keys")
    return page


def pages(revealed: RevealedKeys) -> int:
    return max((len(revealed.keys) + KEYS_PAGE_SIZE - 1) // KEYS_PAGE_SIZE, 1)


def keys_view(revealed: RevealedKeys, page: int) -> Block:
    """The modal with the download link, the instructions and one page of keys."""
    b = revealed.benefit
    total = len(revealed.keys)
    page = min(max(page, 0), pages(revealed) - 1)
    first = page * KEYS_PAGE_SIZE
    shown = revealed.keys[first : first + KEYS_PAGE_SIZE]
    blocks: list[Block] = [section(f"*{escape(b.name)}*")]
    chosen = [
        (label, value)
        for label, value in (
            (t("Language"), revealed.language),
            (t("Operating system"), revealed.os),
        )
        if value
    ]
    if chosen:
        blocks.append(fields_section([(label, escape(value)) for label, value in chosen]))
    if revealed.download is not None:
        blocks.append(
            section(f"*{t('Download')}*\n<{escape(revealed.download.url)}>"),
        )
    else:
        blocks.append(
            section(
                t(
                    "No download link is listed for this choice; ask the operator to add one to "
                    "the inventory.",
                )
            )
        )
    if b.instructions:
        blocks.append(section(f"*{t('Special instructions')}*\n{b.instructions}"))
    blocks.append(
        section(
            t(
                "*Product keys* ({first}–{last} of {total})",
                first=first + 1,
                last=first + len(shown),
                total=total,
            )
        )
    )
    blocks += packed_sections(
        f"{number}. `{escape(key)}`" for number, key in enumerate(shown, start=first + 1)
    )
    blocks.append(
        context(
            t(
                "Only you see these keys. Each has a fixed number of activations: don't share "
                "them. This reveal is recorded in the audit log.",
            )
        )
    )
    nav: list[Block] = []
    if page > 0:
        nav.append(button(t("‹ Previous"), action_id=ids.KEYS_PREVIOUS, value=str(page - 1)))
    if page < pages(revealed) - 1:
        nav.append(button(t("Next ›"), action_id=ids.KEYS_NEXT, value=str(page + 1)))
    if nav:
        blocks.append(actions(nav, block_id=ids.KEYS_NAV_BLOCK))
    view = _modal(t("Product keys"), blocks, close=t("Done"))
    view["callback_id"] = ids.KEYS_RESULT_VIEW
    view["private_metadata"] = result_metadata(revealed)
    return view


def keys_error_view(error: DomainError) -> Block:
    """A modal that says why no key is shown."""
    text = render_error(error)
    view = _modal(
        t("Product keys"),
        [section(f":warning: {text}")],
        close=t("Close"),
    )
    view["callback_id"] = ids.KEYS_RESULT_VIEW
    return view
