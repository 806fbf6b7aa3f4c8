"""App Home: the caller's benefits and what they can do, published when the tab opens."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import catalog as catalog_blocks
from bot.runtime.container import Services


async def home_opened(event: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    if event.get("tab", "home") != "home":
        return
    services.background.spawn(publish_home(client, services, event["user"]), name="home")


async def publish_home(client: AsyncWebClient, services: Services, user: str) -> None:
    roles = await services.roles.roles_of(user)
    mine = await services.catalog.mine(user)
    await client.views_publish(user_id=user, view=catalog_blocks.home_view(roles, mine))
