"""`request <benefit> [reason]`: ask the Global admins for a seat; `request` alone opens
the form, `withdraw <n>` takes a pending request back.

The approval request is queued in the outbox with the request itself; the
delivery loop posts it.
"""

from __future__ import annotations

from bot.blocks.picker import request_form_view
from bot.blocks.primitives import notice
from bot.i18n.translate import t
from bot.runtime.container import Services
from handlers.replies import Reply, admins_where


async def request_benefit(
    benefit: str, reason: str | None, actor: str, services: Services
) -> Reply:
    created = await services.requests.request_benefit(actor, benefit, reason)
    where = await admins_where(services, otherwise=t("to the Global admins"))
    text = t(
        "Your request #{request_id} for *{benefit}* was sent {where}. I'll tell you "
        "when it is decided.",
        request_id=created.request.id,
        benefit=created.benefit.name,
        where=where,
    )
    return Reply(notice(text))


def request_form() -> Reply:
    """`request` alone: the form with the benefit picker."""
    return Reply({}, view=request_form_view())


async def withdraw(request_id: int, actor: str, services: Services) -> Reply:
    """`withdraw <n>`: the requester closes their pending request."""
    withdrawn = await services.requests.withdraw(actor, request_id)
    text = t(
        "Request #{request_id} for *{benefit}* is withdrawn; the admins' copies show it.",
        request_id=withdrawn.request.id,
        benefit=withdrawn.benefit.name,
    )
    return Reply(notice(text))
