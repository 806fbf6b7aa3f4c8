"""`keys <benefit>`: open the modal to pick a language and an OS (see
:mod:`handlers.views.keys` for its submission)."""

from __future__ import annotations

from bot.blocks import keys as key_blocks
from bot.runtime.container import Services
from handlers.replies import Reply


async def show_keys(benefit: str, actor: str, services: Services) -> Reply:
    choice = await services.keys.prepare(actor, benefit)
    return Reply({}, view=key_blocks.keys_choice_view(choice))
