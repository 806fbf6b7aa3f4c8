"""Buttons on reminder DMs that only open a link (e.g. Partner Center).

Slack still sends a ``block_actions`` request for a link button; it is acknowledged
and nothing else happens. The other buttons on reminders reuse the listeners of
their action ids (Approve, Deny, Details).
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck


async def link_opened(ack: AsyncAck) -> None:
    await ack()
