"""Buttons of the App Home: paging its lists, what a role may do, and Withdraw.

Approve, Deny, Details and Get keys on the Home are the same buttons as elsewhere
and reach the same listeners. A click on the Home has no response URL, so a
refusal opens a small modal instead (see :mod:`handlers.refusals`).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import contact as contact_blocks
from bot.blocks import home as home_blocks
from bot.runtime.container import Services
from handlers.actions.requests import request_id_of
from handlers.events.home import publish_home
from handlers.refusals import refusing_click


@refusing_click
async def home_page_turned(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Publish the Home again showing the page the button names."""
    pages = home_blocks.parse_home_page(str(action.get("value", "")))
    await ack()
    services.background.spawn(
        publish_home(client, services, body["user"]["id"], pages), name="home page"
    )


@refusing_click
async def role_action(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Open the form of what the button names, or how to do it with the command."""
    actor = body["user"]["id"]
    key = str(action.get("value", ""))
    if key in home_blocks.FORM_ACTIONS:
        view = contact_blocks.contact_view(await services.contact.contact_form(actor))
    else:
        view = home_blocks.role_help_view(key, await services.roles.roles_of(actor))
    await ack()
    services.background.spawn(
        client.views_open(trigger_id=str(body.get("trigger_id", "")), view=view), name="role help"
    )


@refusing_click
async def withdraw(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    services: Services,
) -> None:
    """The requester withdraws a pending request; the admins' copies and the Homes
    that show it are updated through the outbox."""
    await services.requests.withdraw(body["user"]["id"], request_id_of(action))
    await ack()
