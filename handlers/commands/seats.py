"""`assign`, `unassign` and `reassign`: admins move seats.

A seat the only Global admin gives to themselves is announced to the admins (in the
admin channel, or by DM to the other Global and MPN partner admins) through the outbox,
queued by the seat service with the change.
"""

from __future__ import annotations

from bot.blocks import seats as seat_blocks
from bot.blocks.primitives import mention, notice
from bot.i18n.translate import t
from bot.runtime.container import Services
from handlers.replies import Reply


async def assign(benefit: str, user_id: str, actor: str, services: Services) -> Reply:
    change = await services.seats.assign(actor, benefit, user_id)
    text = t(
        "{holder} now holds a seat of *{benefit}*.",
        holder=mention(user_id),
        benefit=change.benefit.name,
    )
    return Reply(notice(text))


async def unassign(benefit: str, user_id: str, actor: str, services: Services) -> Reply:
    change = await services.seats.unassign(actor, benefit, user_id)
    text = t(
        "{holder}'s seat of *{benefit}* is free again.",
        holder=mention(user_id),
        benefit=change.benefit.name,
    )
    return Reply(notice(text))


async def reassign(
    benefit: str, from_user: str, to_user: str, actor: str, services: Services
) -> Reply:
    moved = await services.seats.reassign(actor, benefit, from_user, to_user)
    return Reply(seat_blocks.reassigned_message(moved))
