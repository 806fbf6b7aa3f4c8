"""Block Kit primitives every feature's builders share: payload types, Block Kit's limits,
the blocks and elements, domain values as text (mentions, dates, refusals) and list paging.

Every builder returns plain dicts within Block Kit's limits: lists are paged or packed
into several sections, and free text is clipped with an ellipsis where one field has a
hard limit. The feature modules (:mod:`bot.blocks.catalog`, :mod:`bot.blocks.requests`,
...) compose these; none of them builds a raw block by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.blocks import ids
from bot.domain.limits import MAX_PAGE
from bot.domain.model import (
    CATEGORY_LABELS,
    BenefitRow,
    Category,
    DomainError,
    InvalidInput,
    NoMatch,
    Page,
)
from bot.domain.validation import safe_text, whole_number
from bot.i18n.translate import format_day, t

Block = dict[str, Any]


Message = dict[str, Any]


SECTION_TEXT_LIMIT = 3000


FIELD_TEXT_LIMIT = 2000


HEADER_LIMIT = 150


BUTTON_TEXT_LIMIT = 75

# The text of one option of a select menu.
OPTION_TEXT_LIMIT = 75

# One inline error under an input of a modal (``response_action: errors``).
ERROR_LIMIT = 2000


MESSAGE_BLOCKS = 50


MODAL_BLOCKS = 100


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str, *, multiline: bool = True) -> str:
    """User-typed text made inert in mrkdwn: no mentions, links or ``<!channel>`` pings,
    no control characters and no bidirectional overrides (:func:`safe_text`).

    A plain ``@channel`` typed as text is left as it is: the messages the bot posts
    are sent with Slack's own parsing of mentions off (:func:`posted`)."""
    text = safe_text(text, multiline=multiline)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str, limit: int = SECTION_TEXT_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT_LIMIT) -> dict[str, Any]:
    """Formatted text, ``verbatim``: Slack turns no bare URL, channel name or ``@here``
    in it into a link or a ping; the bot writes its links and mentions as ``<...>``."""
    return {"type": "mrkdwn", "text": clip(text, limit) or " ", "verbatim": True}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_LIMIT)}


def section(text: str, *, accessory: Block | None = None, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id is not None:
        block["block_id"] = block_id
    return block


def fields_section(pairs: Sequence[tuple[str, str]]) -> Block:
    return {
        "type": "section",
        "fields": [mrkdwn(f"*{label}*\n{value}", FIELD_TEXT_LIMIT) for label, value in pairs[:10]],
    }


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text)]}


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str, *, action_id: str, value: str, style: str | None = None, url: str | None = None
) -> Block:
    element: Block = {
        "type": "button",
        "text": plain(text, BUTTON_TEXT_LIMIT),
        "action_id": action_id,
        "value": value,
    }
    if style is not None:
        element["style"] = style
    if url is not None:
        element["url"] = url
    return element


def actions(elements: list[Block], *, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": elements}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def packed_sections(lines: Iterable[str], *, limit: int = SECTION_TEXT_LIMIT) -> list[Block]:
    """Lines joined into as few sections as fit, none over ``limit`` characters."""
    blocks: list[Block] = []
    current: list[str] = []
    size = 0
    for raw in lines:
        line = clip(raw, limit)
        if current and size + 1 + len(line) > limit:
            blocks.append(section("\n".join(current)))
            current, size = [], 0
        current.append(line)
        size += len(line) + (1 if size else 0)
    if current:
        blocks.append(section("\n".join(current)))
    return blocks


def message(text: str, blocks: list[Block] | None = None) -> Message:
    """A message payload: fallback ``text`` (notifications, screen readers) and blocks."""
    payload: Message = {"text": clip(text, 3000)}
    if blocks:
        payload["blocks"] = blocks[:MESSAGE_BLOCKS]
    return payload


def posted(text: str, blocks: list[Block] | None = None) -> Message:
    """A message the bot posts or updates through the Web API (``chat.postMessage``,
    ``chat.update``): :func:`message` with Slack's own parsing of the text turned off
    (``parse: "none"``, ``link_names: false``), so that a plain ``@channel``, ``@here``
    or ``@everyone`` someone typed into a reason or a topic pings nobody.

    Only for Web API calls: an acknowledgement or a response URL takes no such fields.
    """
    return {**message(text, blocks), "parse": "none", "link_names": False}


def mention(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "nobody"


def day(moment: datetime) -> str:
    """The day of ``moment`` as the reader writes it (see :func:`bot.i18n.translate.format_day`)."""
    return format_day(moment)


def category_label(category: Category) -> str:
    return t(CATEGORY_LABELS[category])


def seats_text(row: BenefitRow) -> str:
    if row.benefit.seats is None:
        return t("no seat limit")
    return t(
        "{left} of {seats} seats left",
        left=row.seats_left,
        seats=row.benefit.seats,
    )


def render_error(error: DomainError) -> str:
    """The refusal as a sentence, user references rendered as mentions."""
    params: dict[str, Any] = {}
    for name, value in error.params.items():
        if name.endswith("_users"):
            params[name] = ", ".join(mention(u) for u in value) or t("nobody")
        elif name.endswith("_user"):
            params[name] = mention(value)
        else:
            params[name] = value
    text = t(error.message, **params)
    if isinstance(error, NoMatch) and error.candidates:
        options = "\n".join(f"• *{b.name}* (`{b.id}`)" for b in error.candidates)
        text = f"{text}\n{t('Closest matches:')}\n{options}"
    return text


def error_message(error: DomainError) -> Message:
    text = render_error(error)
    return message(text, [section(f":warning: {text}")])


def notice(text: str) -> Message:
    return message(text, [section(text)])


def page_value(category: Category | None, page: int) -> str:
    return f"{category.value if category else 'all'}|{page}"


def broken_page() -> InvalidInput:
    """The refusal of a paging button that names no page (crafted, or from an old version)."""
    return InvalidInput("This button is broken: it names no page.")


def parse_page_value(value: str) -> tuple[Category | None, int]:
    """The category and page of a list paging button; :func:`broken_page` when broken."""
    name, _, number = value.partition("|")
    try:
        category = None if name == "all" else Category(name)
    except ValueError:
        raise broken_page() from None
    return category, parse_page(number)


def parse_page(text: str) -> int:
    """A page number from a paging button; :func:`broken_page` when it is not one."""
    page = whole_number(text, maximum=MAX_PAGE)
    if page is None:
        raise broken_page()
    return page


def list_nav(page: Page[Any], category: Category | None) -> list[Block]:
    """The Previous and Next buttons of an inventory list page (none on a single page)."""
    nav: list[Block] = []
    if page.has_previous:
        nav.append(
            button(
                t("‹ Previous"),
                action_id=ids.LIST_PREVIOUS,
                value=page_value(category, page.page - 1),
            )
        )
    if page.has_next:
        nav.append(
            button(
                t("Next ›"),
                action_id=ids.LIST_NEXT,
                value=page_value(category, page.page + 1),
            )
        )
    return [actions(nav, block_id=ids.LIST_NAV_BLOCK)] if nav else []


MODAL_TITLE_LIMIT = 24


def text_input(
    block_id: str,
    action_id: str,
    label: str,
    *,
    max_length: int,
    initial: str = "",
    placeholder: str = "",
    hint: str = "",
) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": action_id,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = clip(initial, max_length)
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block
