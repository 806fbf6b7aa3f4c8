"""The audit log in Slack: the latest entries, newest first, paged."""

from __future__ import annotations

import re
from datetime import datetime

from bot.blocks import ids
from bot.blocks.primitives import (
    Block,
    Message,
    actions,
    broken_page,
    button,
    clip,
    context,
    escape,
    header,
    mention,
    message,
    packed_sections,
    parse_page,
    section,
)
from bot.domain.limits import AUDIT_MAX
from bot.domain.model import AuditEntry
from bot.domain.validation import whole_number
from bot.i18n.translate import format_moment, t

AUDIT_PAGE_SIZE = 25


AUDIT_DETAIL_LIMIT = 200


_USER_TOKEN = re.compile(r"\buser:([UW][A-Z0-9]{2,})\b")


_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def audit_page_value(limit: int, page: int) -> str:
    return f"{limit}|{page}"


def parse_audit_page_value(value: str) -> tuple[int, int]:
    """The entry count and page of an audit paging button; :func:`broken_page` when broken."""
    limit, _, page = value.partition("|")
    count = whole_number(limit, maximum=AUDIT_MAX)
    if count is None:
        raise broken_page()
    return count, parse_page(page)


def _who(actor: str) -> str:
    return mention(actor) if _USER_ID.match(actor) else f"`{clip(actor, 40)}`"


def _with_mentions(text: str) -> str:
    return _USER_TOKEN.sub(lambda m: mention(m.group(1)), escape(text))


def _when(moment: datetime) -> str:
    return format_moment(moment)


def audit_line(entry: AuditEntry) -> str:
    parts = [_when(entry.at), _who(entry.actor), f"`{clip(entry.action, 60)}`"]
    parts.append(_with_mentions(clip(entry.subject, 100)))
    if entry.detail:
        parts.append(_with_mentions(clip(" ".join(entry.detail.split()), AUDIT_DETAIL_LIMIT)))
    return " · ".join(parts)


def audit_message(entries: list[AuditEntry], limit: int, page: int) -> Message:
    """One page of the latest ``limit`` audit entries, newest first."""
    pages = max((len(entries) + AUDIT_PAGE_SIZE - 1) // AUDIT_PAGE_SIZE, 1)
    page = min(max(page, 0), pages - 1)
    shown = entries[page * AUDIT_PAGE_SIZE : (page + 1) * AUDIT_PAGE_SIZE]
    title = t("Audit log")
    if not entries:
        text = t("The audit log is empty.")
        return message(text, [header(title), section(text)])
    blocks: list[Block] = [header(title), *packed_sections(audit_line(e) for e in shown)]
    blocks.append(
        context(
            t(
                "Latest {count} entries, newest first · page {page} of {pages} · everything: "
                "`benefits-bot audit --csv`",
                count=len(entries),
                page=page + 1,
                pages=pages,
            )
        )
    )
    nav: list[Block] = []
    if page > 0:
        nav.append(
            button(
                t("‹ Previous"),
                action_id=ids.AUDIT_PREVIOUS,
                value=audit_page_value(limit, page - 1),
            )
        )
    if page + 1 < pages:
        nav.append(
            button(
                t("Next ›"),
                action_id=ids.AUDIT_NEXT,
                value=audit_page_value(limit, page + 1),
            )
        )
    if nav:
        blocks.append(actions(nav, block_id=ids.AUDIT_NAV_BLOCK))
    text = t("Audit log: the latest {count} entries", count=len(entries))
    return message(text, blocks)
