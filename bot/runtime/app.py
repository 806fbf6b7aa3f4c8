"""Assembling the Bolt app: the Web API client, listeners and one error handler."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.i18n.translate import t
from bot.runtime.container import Services
from handlers import register_all
from handlers.cloud import slack_user_email

log = logging.getLogger(__name__)


def build_app(
    *,
    bot_token: str,
    signing_secret: str | None,
    api_url: str,
    services: Services,
    session: aiohttp.ClientSession | None = None,
) -> AsyncApp:
    """A Bolt ``AsyncApp`` with every listener registered.

    Args:
        bot_token: The bot token (``xoxb-…``).
        signing_secret: Verifies HTTP requests; ``None`` in Socket Mode, where
            Slack's requests arrive over the app's own websocket.
        api_url: The Web API base URL (tests point it at a fake Slack).
        services: What the listeners call.
        session: One HTTP session for every Web API call, so connections are
            reused instead of opened per call; the caller closes it.
    """
    client = AsyncWebClient(token=bot_token, base_url=api_url, session=session)
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=signing_secret is not None,
        process_before_response=True,
        logger=logging.getLogger("bot.bolt"),
    )
    services.user_email = slack_user_email(client)
    register_all(app, services)

    async def on_error(error: Exception, body: dict[str, Any], respond: AsyncRespond) -> None:
        # Only the kind of error: its text may quote a payload.
        log.error("listener failed: %s", type(error).__name__, exc_info=error)
        if body.get("response_url"):
            services.background.spawn(
                respond(
                    response_type="ephemeral",
                    replace_original=False,
                    text=t(
                        "Something went wrong on my side. Please try again; if it keeps happening, tell the operator."
                    ),
                ),
                name="error notice",
            )

    app.error(on_error)
    return app
