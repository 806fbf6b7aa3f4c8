"""The start-up check of the bot token: Slack's ``auth.test``.

A token Slack rejects stops start-up with one line saying what to do (a
:class:`~bot.settings.SettingsError`), instead of a bot that looks healthy and
fails the first command. A Slack that can't be reached (no network, a 5xx, a
rate limit) is asked again with a doubling wait, one log line per attempt,
until it answers; the caller keeps ``/healthz`` at 503 meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import SettingsError

log = logging.getLogger(__name__)

MAX_WAIT_SECONDS = 60.0
"""The longest wait between two attempts; the first wait is a setting."""

# auth.test errors that say Slack could not answer now, not that the token is bad.
TRANSIENT_ERRORS = frozenset(
    {
        "ratelimited",
        "accesslimited",
        "request_timeout",
        "service_unavailable",
        "internal_error",
        "fatal_error",
        "team_added_to_org",
    }
)

_REINSTALL = (
    "reinstall the app to your workspace (OAuth & Permissions → Reinstall to Workspace) "
    "and put its new Bot User OAuth Token (xoxb-…) in SLACK_BOT_TOKEN"
)
REJECTIONS: dict[str, str] = {
    "invalid_auth": (
        "Slack does not know SLACK_BOT_TOKEN (invalid_auth): copy the Bot User OAuth Token "
        "(xoxb-…) again from your app's OAuth & Permissions page; it may be mistyped or "
        "belong to another app"
    ),
    "not_authed": (
        "Slack got no token (not_authed): set SLACK_BOT_TOKEN to the Bot User OAuth Token "
        "(xoxb-…) from your app's OAuth & Permissions page"
    ),
    "token_revoked": (
        "Slack says SLACK_BOT_TOKEN was revoked (token_revoked), e.g. because the app was "
        f"uninstalled: {_REINSTALL}"
    ),
    "token_expired": (
        f"Slack says SLACK_BOT_TOKEN has expired (token_expired): {_REINSTALL}; the bot "
        "needs a token without token rotation"
    ),
    "account_inactive": (
        "Slack says the account behind SLACK_BOT_TOKEN is inactive (account_inactive): the "
        f"bot user or its workspace was deactivated; {_REINSTALL}"
    ),
}

Sleep = Callable[[float], Awaitable[None]]


def rejection_line(error: str) -> str:
    """What to do about a token Slack refused with ``error``."""
    return REJECTIONS.get(error) or (
        f"Slack refused SLACK_BOT_TOKEN ({error}): check the Bot User OAuth Token on your app's "
        "OAuth & Permissions page and that the app is installed to your workspace"
    )


def _answer(error: SlackApiError) -> tuple[int, str | None, float]:
    """The HTTP status, Slack's ``error`` and ``Retry-After`` of a failed call.

    slack-sdk puts its own response in ``error.response``, except for a body that
    is not JSON, where it puts aiohttp's.
    """
    response: Any = error.response
    status = getattr(response, "status_code", None) or getattr(response, "status", 0) or 0
    data = getattr(response, "data", None)
    code = data.get("error") if isinstance(data, dict) else None
    headers = getattr(response, "headers", None) or {}
    try:
        retry_after = float(headers.get("Retry-After") or headers.get("retry-after") or 0)
    except (TypeError, ValueError):
        retry_after = 0.0
    return int(status), (str(code) if code else None), retry_after


async def verify_bot_token(
    client: AsyncWebClient,
    *,
    first_wait: float,
    max_wait: float = MAX_WAIT_SECONDS,
    sleep: Sleep = asyncio.sleep,
) -> dict[str, Any]:
    """Call ``auth.test`` until Slack answers; return its answer.

    Raises:
        SettingsError: Slack refused the token (one line saying what to do).
    """
    wait = first_wait
    attempt = 0
    while True:
        attempt += 1
        try:
            response = await client.auth_test()
        except SlackApiError as error:
            status, code, retry_after = _answer(error)
            if code is not None and code not in TRANSIENT_ERRORS and status < 500:
                raise SettingsError([rejection_line(code) + "."]) from None
            if code is None and 400 <= status < 500 and status != 429:
                raise SettingsError(
                    [
                        f"SLACK_API_URL ({client.base_url}) answered auth.test with HTTP {status}, "
                        "not as Slack's Web API does: set it to https://slack.com/api/ or leave "
                        "it unset."
                    ]
                ) from None
            reason = f"HTTP {status}" + (f", {code}" if code else "")
            wait = max(wait, retry_after)
        except (aiohttp.ClientError, SlackClientError, TimeoutError, OSError) as error:
            reason = str(error) or type(error).__name__
        else:
            answer = dict(response.data) if isinstance(response.data, dict) else {}
            log.info(
                "Slack accepted the bot token: bot user %s in workspace %s",
                answer.get("user_id", "?"),
                answer.get("team", "?"),
            )
            return answer
        log.warning(
            "Slack is not reachable at %s (%s); asking again in %g s (attempt %d)",
            client.base_url,
            reason,
            wait,
            attempt,
        )
        await sleep(wait)
        wait = min(wait * 2, max_wait)
