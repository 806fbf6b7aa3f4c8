"""`request <benefit> [reason]`: ask the Global admins for a seat.

The approval request is queued in the outbox with the request itself; the
delivery loop posts it.
"""

from __future__ import annotations

from bot.blocks.primitives import notice
from bot.i18n.translate import t
from bot.runtime.container import Services
from handlers.replies import Reply, admins_where


async def request_benefit(
    benefit: str, reason: str | None, actor: str, services: Services
) -> Reply:
    created = await services.requests.request_benefit(actor, benefit, reason)
    where = admins_where(services, otherwise=t("to the Global admins"))
    text = t(
        "Your request #{request_id} for *{benefit}* was sent {where}. I'll tell you "
        "when it is decided.",
        request_id=created.request.id,
        benefit=created.benefit.name,
        where=where,
    )
    return Reply(notice(text))
