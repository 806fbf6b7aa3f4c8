"""App Home: the Home tab of whoever opens it, built from one service call.

Opening the tab publishes it at once (in the background, after the event is
acknowledged); later changes republish it through the outbox (``home`` notices,
see :mod:`bot.services.home`).
"""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import home as home_blocks
from bot.runtime.container import Services
from bot.services.home import HomePages


async def home_opened(event: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    if event.get("tab", "home") != "home" or not isinstance(event.get("user"), str):
        return
    services.background.spawn(publish_home(client, services, event["user"]), name="home")
    services.background.spawn(services.home.opened(event["user"]), name="home opened")


async def publish_home(
    client: AsyncWebClient, services: Services, user: str, pages: HomePages | None = None
) -> None:
    home = await services.home.home_of(user, pages)
    await client.views_publish(user_id=user, view=home_blocks.home_view(home))
