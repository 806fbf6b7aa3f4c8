"""The upkeep jobs of the sweep: offboarding's daily reconciliation with Slack's
directory, the idle-seat check and the weekly digest (docs/rules.md#offboarding).

They run in the reminder sweep (:mod:`bot.runtime.scheduler`), so on one replica
at a time. The idle check and the digest are services' sweeps; only the
reconciliation talks to Slack here: once a day it pages through ``users.list``
(200 a page, following ``next_cursor``) and hands who is deactivated to
:meth:`bot.services.offboarding.OffboardingService.reconcile`. When Slack
can't be read, the next sweep tries again (the day's mark is set only after
a complete pass).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from functools import partial

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime.container import Services
from bot.runtime.scheduler import Sweep
from bot.services.offboarding import OffboardingService

log = logging.getLogger(__name__)

RECONCILE_EVERY = timedelta(days=1)
PAGE = 200
MAX_PAGES = 5000  # a million accounts: a bound against a cursor that never ends


def upkeep_sweeps(services: Services, client: AsyncWebClient) -> Sequence[Sweep]:
    return (
        partial(reconcile_daily, services.offboarding, client),
        services.idle.sweep,
        services.digest.sweep,
    )


async def directory(client: AsyncWebClient) -> dict[str, bool]:
    """Every account of the workspace: user id → deactivated (bots left out)."""
    found: dict[str, bool] = {}
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        response = await client.users_list(limit=PAGE, cursor=cursor)
        for member in response.get("members") or []:
            if isinstance(member, dict) and member.get("id") and not member.get("is_bot"):
                found[str(member["id"])] = bool(member.get("deleted"))
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if cursor is None:
            break
    return found


async def reconcile_daily(offboarding: OffboardingService, client: AsyncWebClient) -> int:
    """Reconcile when a day has passed since the last complete pass; new departures."""
    if not await offboarding.reconciliation_due(RECONCILE_EVERY):
        return 0
    try:
        accounts = await directory(client)
    except SlackApiError as error:
        log.warning(
            "could not read users.list (%s); trying again later", error.response.get("error")
        )
        return 0
    found = await offboarding.reconcile(accounts)
    if found:
        log.info("reconciliation found %d people who left", found)
    return found
