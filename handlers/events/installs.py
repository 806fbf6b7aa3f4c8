"""``app_uninstalled`` and ``tokens_revoked``: all sending to the workspace stops at once
(docs/installations.md, "Uninstalls and revoked tokens").

In one write the workspace is marked suspended and every queued message parked
(``services.tenancy``); with Add to Slack the installation, whose token is dead,
is forgotten in that write too. Only the bot's tokens matter: a ``tokens_revoked``
that names people's tokens alone changes nothing (the bot keeps none). An event
for another workspace than the database's is ignored. A second delivery of the
same event parks nothing more.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from bot.domain.tenancy import Reason
from bot.runtime.container import Services

log = logging.getLogger(__name__)


async def app_uninstalled(context: AsyncBoltContext, services: Services) -> None:
    await _stop(Reason.UNINSTALLED, context, services)


async def tokens_revoked(
    event: dict[str, Any], context: AsyncBoltContext, services: Services
) -> None:
    tokens = event.get("tokens")
    bots = tokens.get("bot") if isinstance(tokens, dict) else None
    if not bots:
        log.info("people's tokens were revoked; the bot uses none, so nothing stops")
        return
    await _stop(Reason.TOKEN_REVOKED, context, services)


async def _stop(reason: Reason, context: AsyncBoltContext, services: Services) -> None:
    suspension = await services.tenancy.suspend(
        reason, enterprise_id=context.enterprise_id, team_id=context.team_id, named=True
    )
    if suspension is None:
        log.warning(
            "ignored %s for team %s: this database holds another workspace's data",
            reason.value,
            context.team_id or context.enterprise_id,
        )
        return
    services.installation_gone(suspension.tenant.key)
    if suspension.started:
        log.warning(
            "%s (%s): sending stopped, %d queued messages parked; the data is kept for %d days "
            "(BENEFITS_RETENTION_DAYS_AFTER_UNINSTALL) unless the bot is installed again",
            suspension.tenant.describe(),
            reason.value,
            suspension.parked,
            services.tenancy.retention.days,
        )
