"""``user_change``: Slack deactivated someone (``deleted: true``), or brought them
back (docs/rules.md#offboarding).

Replays and retries are harmless: the service records one departure per person,
so the second delivery of the same event changes nothing.
"""

from __future__ import annotations

from typing import Any

from bot.domain.limits import USER_ID
from bot.runtime.container import Services


async def user_changed(event: dict[str, Any], services: Services) -> None:
    user = event.get("user")
    if not isinstance(user, dict):
        return
    user_id = str(user.get("id") or "")
    if not USER_ID.match(user_id) or user.get("is_bot"):
        return
    if user.get("deleted") is True:
        await services.offboarding.user_left(user_id)
    else:
        await services.offboarding.user_returned(user_id)
