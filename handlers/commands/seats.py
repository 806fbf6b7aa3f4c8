"""`assign`, `unassign` and `reassign`: admins move seats.

A seat the only Global admin gives to themselves is announced to the admins: in the
admin channel, or by DM to the other Global admins and MPN partner admins.
"""

from __future__ import annotations

import asyncio

from slack_bolt.async_app import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import seats as seat_blocks
from bot.blocks.primitives import mention, notice
from bot.i18n.translate import t
from bot.runtime.container import Services
from bot.services.seats import AssignmentChange, Reassignment
from handlers.replies import FollowUp, Reply, post_quietly


async def assign(benefit: str, user_id: str, actor: str, services: Services) -> Reply:
    change = await services.seats.assign(actor, benefit, user_id)
    text = t(
        "{holder} now holds a seat of *{benefit}*.",
        holder=mention(user_id),
        benefit=change.benefit.name,
    )
    return Reply(notice(text), _announce(services, change))


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
    return Reply(seat_blocks.reassigned_message(moved), _announce(services, moved))


def _announce(services: Services, change: AssignmentChange | Reassignment) -> FollowUp | None:
    """Tell the admins of a seat the only Global admin gave to themselves.

    Posted like the other admin notices (advisory hours): there is no outbox kind for
    an admin notice yet, so a failed post is logged, not retried.
    """
    if not change.self_assigned:
        return None

    async def post(client: AsyncWebClient, respond: AsyncRespond) -> None:
        del respond
        targets = [services.admin_channel] if services.admin_channel else list(change.admins)
        payload = seat_blocks.self_assigned_notice(change)
        await asyncio.gather(*(post_quietly(client, target, payload) for target in targets))

    return post
