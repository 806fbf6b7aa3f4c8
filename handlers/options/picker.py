"""The options of the benefit picker, filtered by what the person typed.

Slack waits for them as for any acknowledgement (3 seconds), so the answer is
the acknowledgement itself, served from the picker's kept copy of the inventory.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck

from bot.blocks.picker import options_payload
from bot.runtime.container import Services


async def benefit_options(ack: AsyncAck, body: dict[str, Any], services: Services) -> None:
    typed = body.get("value")
    rows = await services.picker.options(typed if isinstance(typed, str) else "")
    await ack(**options_payload(rows))
