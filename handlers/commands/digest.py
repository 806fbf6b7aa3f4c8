"""`digest`: the weekly utilisation digest on demand (Global admins, MPN partner
admins); the chart follows in the caller's DM through the outbox."""

from __future__ import annotations

from bot.blocks.digest import digest_message
from bot.runtime.container import Services
from handlers.replies import Reply


async def show_digest(actor: str, services: Services) -> Reply:
    digest = await services.digest.on_demand(actor)
    payload = digest_message(digest)
    payload.pop("parse", None)
    payload.pop("link_names", None)
    return Reply(payload)
