"""`grant`, `revoke`, `roles` and `adduser`: who may do what, and who is known."""

from __future__ import annotations

from bot.blocks import roles as role_blocks
from bot.blocks.primitives import mention, notice
from bot.domain.model import Role
from bot.i18n.translate import t
from bot.runtime.container import Services
from handlers.replies import Reply


async def grant(user_id: str, role: Role, actor: str, services: Services) -> Reply:
    await services.roles.grant(actor, user_id, role)
    text = t("{holder} now holds the {role} role.", holder=mention(user_id), role=role.value)
    return Reply(notice(text))


async def revoke(user_id: str, role: Role, actor: str, services: Services) -> Reply:
    await services.roles.revoke(actor, user_id, role)
    text = t("{holder} no longer holds the {role} role.", holder=mention(user_id), role=role.value)
    return Reply(notice(text))


async def show_roles(actor: str, services: Services) -> Reply:
    return Reply(role_blocks.roles_message(await services.roles.roles(actor)))


async def add_user(user_id: str, actor: str, services: Services) -> Reply:
    added = await services.roles.add_user(actor, user_id)
    text = (
        t("{user} is now in the bot's directory.", user=mention(user_id))
        if added
        else t("{user} was already in the directory.", user=mention(user_id))
    )
    return Reply(notice(text))
