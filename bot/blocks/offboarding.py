"""The offboarding message: what a person who left held, with Reclaim all / Keep
and a Reclaim button per item (docs/rules.md#offboarding)."""

from __future__ import annotations

from bot.blocks import ids
from bot.blocks.primitives import (
    Block,
    Message,
    actions,
    button,
    context,
    day,
    escape,
    header,
    mention,
    posted,
    section,
)
from bot.domain.offboarding import OffboardingState
from bot.i18n.translate import t
from bot.services.offboarding import Item, ItemKind, OffboardingView

MAX_ITEMS = 40  # a message holds 50 blocks; the rest is reclaimed with Reclaim all


def item_value(offboarding_id: int, item: Item) -> str:
    return f"{offboarding_id}|{item.value}"


def parse_item_value(value: str) -> tuple[int, Item]:
    """The offboarding id and item of a per-item button's value."""
    number, _, item = value.partition("|")
    return (int(number) if number.isdigit() else 0), Item.parse(item)


def offboarding_message(view: OffboardingView) -> Message:
    offboarding = view.offboarding
    who = mention(offboarding.user_id)
    title = t("{user} has left the company", user=who)
    blocks: list[Block] = [
        header(t("Offboarding")),
        section(
            t(
                "Slack deactivated {user} on {day}. This is what they still hold:",
                user=who,
                day=day(offboarding.left_at),
            )
        ),
    ]
    rows: list[tuple[str, Item | None]] = []
    for seat in view.seats:
        line = t(
            "Seat of *{benefit}* since {day}",
            benefit=escape(seat.benefit.name),
            day=day(seat.assignment.assigned_at),
        )
        if seat.reassignable_from is not None:
            line += " — " + t(
                "Visual Studio before its 90 days: can be freed, not reassigned until {day}",
                day=day(seat.reassignable_from),
            )
        rows.append((line, seat.item))
    for request, benefit in view.requests:
        line = t(
            "Pending request for *{benefit}* (filed {day})",
            benefit=escape(benefit.name),
            day=day(request.created_at),
        )
        rows.append((line, Item(ItemKind.REQUEST, str(request.id))))
    for role in view.roles:
        rows.append((t("Role `{role}`", role=role.value), Item(ItemKind.ROLE, role.value)))
    is_open = offboarding.state is OffboardingState.OPEN and offboarding.returned_at is None
    for line, item in rows[:MAX_ITEMS]:
        accessory = None
        if is_open and item is not None:
            accessory = button(
                t("Reclaim"),
                action_id=ids.OFFBOARD_RECLAIM_ITEM,
                value=item_value(offboarding.id, item),
            )
        blocks.append(section(f"• {line}", accessory=accessory))
    if len(rows) > MAX_ITEMS:
        blocks.append(context(t("…and {count} more.", count=len(rows) - MAX_ITEMS)))
    if view.marketing_contact:
        blocks.append(
            section(
                t(
                    ":warning: {user} is the marketing contact: it counts as missing, and no "
                    "go-to-market offer can be activated until a new one is set with "
                    "`/benefits contact`.",
                    user=who,
                )
            )
        )
    if not rows and is_open:
        blocks.append(context(t("Nothing left to reclaim.")))
    if is_open and rows:
        blocks.append(
            actions(
                [
                    button(
                        t("Reclaim all"),
                        action_id=ids.OFFBOARD_RECLAIM_ALL,
                        value=str(offboarding.id),
                        style="danger",
                    ),
                    button(t("Keep"), action_id=ids.OFFBOARD_KEEP, value=str(offboarding.id)),
                ],
                block_id=ids.OFFBOARD_ACTIONS_BLOCK,
            )
        )
    elif offboarding.returned_at is not None:
        blocks.append(context(t("{user} is back; nothing was given back by itself.", user=who)))
    elif offboarding.state is OffboardingState.RECLAIMED:
        blocks.append(
            context(
                t(
                    "Reclaimed by {admin} on {day}.",
                    admin=mention(offboarding.decided_by),
                    day=day(offboarding.decided_at or offboarding.left_at),
                )
            )
        )
    elif offboarding.state is OffboardingState.KEPT:
        blocks.append(
            context(
                t(
                    "Kept by {admin} on {day}: nothing was changed.",
                    admin=mention(offboarding.decided_by),
                    day=day(offboarding.decided_at or offboarding.left_at),
                )
            )
        )
    return posted(title, blocks)
