"""A benefit's details modal, with its holders paged for admins."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks import ids
from bot.blocks.primitives import (
    MODAL_BLOCKS,
    Block,
    actions,
    broken_page,
    button,
    category_label,
    context,
    day,
    divider,
    fields_section,
    header,
    mention,
    packed_sections,
    parse_page,
    plain,
    seats_text,
    section,
)
from bot.domain.model import ActivationStatus, Assignment, Category
from bot.i18n.translate import N_, format_day, t
from bot.services.catalog import Details
from bot.services.keys import keys_possible

_STATUS_LABELS: dict[ActivationStatus, str] = {
    ActivationStatus.PENDING: N_("Pending"),
    ActivationStatus.ACTIVE: N_("Active"),
    ActivationStatus.EXPIRED: N_("Expired"),
}


LIST_ITEMS_SHOWN = 30


def status_text(details: Details) -> str:
    """Pending (since when), Active, Expired, or not activated yet."""
    if details.status is None:
        return t("Not activated")
    label = t(_STATUS_LABELS[details.status])
    activation = details.activation
    if details.status is ActivationStatus.PENDING and activation is not None:
        return t("{status} (requested {date})", status=label, date=day(activation.requested_at))
    return label


def _names(values: Sequence[str]) -> str:
    shown = ", ".join(values[:LIST_ITEMS_SHOWN])
    if len(values) > LIST_ITEMS_SHOWN:
        shown += " " + t("and {count} more", count=len(values) - LIST_ITEMS_SHOWN)
    return shown


def holders_page_value(benefit_id: str, page: int) -> str:
    return f"{benefit_id}|{page}"


def parse_holders_page_value(value: str) -> tuple[str, int]:
    """The benefit id and page of a holders paging button; :func:`broken_page` when broken."""
    benefit_id, _, number = value.rpartition("|")
    if not benefit_id:
        raise broken_page()
    return benefit_id, parse_page(number)


def details_view(details: Details) -> Block:
    """A benefit's details modal: what its category has, as Partner Center shows it.

    Holders' names appear only when ``details.holders`` is set (admins), one
    page at a time with Previous / Next buttons that update the modal.
    """
    b = details.row.benefit
    facts = [
        (t("Category"), category_label(b.category)),
        (t("Seats"), seats_text(details.row)),
        (t("Status"), status_text(details)),
        (t("Id"), f"`{b.id}`"),
    ]
    if details.expires_on is not None:
        facts.append((t("Expires"), format_day(details.expires_on)))
    if b.languages:
        facts.append((t("Languages"), _names(b.languages)))
    if b.operating_systems:
        facts.append((t("Operating systems"), _names(b.operating_systems)))
    activation = details.activation
    if (
        b.category is Category.TECHNICAL
        and activation is not None
        and details.status is ActivationStatus.ACTIVE
    ):
        facts.append((t("Access ID"), f"`{activation.access_id or '—'}`"))
        facts.append((t("Contract ID"), f"`{activation.contract_id or '—'}`"))
    blocks: list[Block] = [header(b.name), fields_section(facts)]
    if b.description:
        blocks.append(section(b.description))
    if b.instructions:
        blocks.append(section(f"*{t('Special instructions')}*\n{b.instructions}"))
    buttons: list[Block] = []
    if b.category is Category.CLOUD and b.usage_based:
        buttons.append(
            button(t("Activate"), action_id=ids.CLOUD_ACTIVATE, value=b.id, style="primary")
        )
    if details.key_count and keys_possible(b):
        buttons.append(button(t("Get keys"), action_id=ids.KEYS_BUTTON, value=b.id))
    if buttons:
        blocks.append(actions(buttons, block_id=ids.DETAILS_ACTIONS_BLOCK))
    if details.holders is not None:
        blocks.append(divider())
        if details.holders:
            blocks.append(
                section(
                    f"*{t('Holders')}* ({details.row.seats_used})"
                    + (
                        " · "
                        + t(
                            "page {page} of {pages}",
                            page=details.holders_page + 1,
                            pages=details.holders_pages,
                        )
                        if details.holders_pages > 1
                        else ""
                    )
                )
            )
            blocks += packed_sections(holder_line(a) for a in details.holders)
            blocks += _holders_nav(details)
        else:
            blocks.append(section(t("Nobody holds a seat yet.")))
    blocks.append(
        context(
            t(
                "Ask for it with `{command} request {id} [reason]`.",
                command=ids.COMMAND,
                id=b.id,
            )
        )
    )
    return {
        "type": "modal",
        "callback_id": ids.DETAILS_VIEW,
        "private_metadata": b.id,
        "title": plain(t("Benefit details"), 24),
        "close": plain(t("Close"), 24),
        "blocks": blocks[:MODAL_BLOCKS],
    }


def _holders_nav(details: Details) -> list[Block]:
    b = details.row.benefit
    nav: list[Block] = []
    if details.holders_page > 0:
        nav.append(
            button(
                t("‹ Previous"),
                action_id=ids.DETAILS_HOLDERS_PREVIOUS,
                value=holders_page_value(b.id, details.holders_page - 1),
            )
        )
    if details.holders_page + 1 < details.holders_pages:
        nav.append(
            button(
                t("Next ›"),
                action_id=ids.DETAILS_HOLDERS_NEXT,
                value=holders_page_value(b.id, details.holders_page + 1),
            )
        )
    return [actions(nav, block_id=ids.DETAILS_HOLDERS_NAV_BLOCK)] if nav else []


def holder_line(a: Assignment) -> str:
    who = mention(a.user_id) if a.user_id else f"{a.holder_email} (pending)"
    return f"{who} · {day(a.assigned_at)}"
