"""`audit [n]`: the latest entries of the audit log, paged (see
:mod:`handlers.actions.audit`)."""

from __future__ import annotations

from bot.blocks import audit as audit_blocks
from bot.domain.limits import AUDIT_DEFAULT
from bot.runtime.container import Services
from handlers.replies import Reply


async def show_audit(limit: int | None, actor: str, services: Services) -> Reply:
    count = AUDIT_DEFAULT if limit is None else limit
    entries = await services.audit.audit_log(actor, count)
    return Reply(audit_blocks.audit_message(entries, count, 0))
