"""Who holds which role (`/benefits roles`)."""

from __future__ import annotations

from bot.blocks.primitives import Block, Message, header, mention, message, packed_sections
from bot.domain.model import Role
from bot.i18n.translate import t


def roles_message(pairs: list[tuple[str, Role]]) -> Message:
    blocks: list[Block] = [header(t("Roles"))]
    for role in Role:
        holders = [u for u, r in pairs if r is role]
        names = ", ".join(mention(u) for u in holders) or t("nobody")
        blocks += packed_sections([f"*{role.value}*: {names}"])
    return message(t("Who holds which role"), blocks)
