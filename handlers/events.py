"""Events API: App Home."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import benefits as blocks
from bot.runtime.container import Services


def register(app: AsyncApp, services: Services) -> None:
    async def on_home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        services.background.spawn(publish_home(client, services, event["user"]), name="home")

    app.event("app_home_opened")(on_home_opened)


async def publish_home(client: AsyncWebClient, services: Services, user: str) -> None:
    roles = await services.benefits.roles_of(user)
    mine = await services.benefits.mine(user)
    await client.views_publish(user_id=user, view=blocks.home_view(roles, mine))
