"""`contact`: open the modal that sets the marketing contact (its submission is
:mod:`handlers.views.contact`)."""

from __future__ import annotations

from bot.blocks import contact as contact_blocks
from bot.runtime.container import Services
from handlers.replies import Reply


async def set_contact(actor: str, services: Services) -> Reply:
    form = await services.contact.contact_form(actor)
    return Reply({}, view=contact_blocks.contact_view(form))
