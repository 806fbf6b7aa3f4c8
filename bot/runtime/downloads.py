"""Downloading a file shared with the bot: ``files.info`` for its private download link,
then that link with the bot token (Slack's ``files:read`` scope), at most a limit of bytes.

The token is the one the Web API client carries for the workspace (in OAuth mode the
installed one, set on the client by its ``files.info`` call); it goes in the
``Authorization`` header only, never in a log line or a message.
"""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.setup import Fetch, FetchFailed, TooLarge

TIMEOUT_SECONDS = 30.0


def downloader(client: AsyncWebClient, file_id: str) -> Fetch:
    """What downloads the file ``file_id`` through ``client`` (see :data:`Fetch`)."""

    async def fetch(limit: int) -> bytes:
        try:
            info = await client.files_info(file=file_id)
        except SlackApiError as error:
            raise FetchFailed(f"files.info answered {error.response.get('error')}") from None
        found = info.get("file")
        found = found if isinstance(found, dict) else {}
        size = found.get("size")
        if isinstance(size, int) and size > limit:
            raise TooLarge()
        url = found.get("url_private_download") or found.get("url_private")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise FetchFailed("Slack gave no link to download it")
        headers = {"Authorization": f"Bearer {client.token}"}
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
        ssl = True if client.ssl is None else client.ssl  # True: the default checks
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(url, headers=headers, proxy=client.proxy, ssl=ssl) as answer,
            ):
                kind = answer.headers.get("Content-Type", "")
                if answer.status != 200 or kind.startswith("text/html"):
                    # Slack answers its sign-in page when the token may not read files.
                    raise FetchFailed(f"the download answered HTTP {answer.status} ({kind})")
                content = bytearray()
                async for chunk in answer.content.iter_chunked(64 * 1024):
                    content += chunk
                    if len(content) > limit:
                        raise TooLarge()
        except (aiohttp.ClientError, TimeoutError) as error:
            raise FetchFailed(f"the download failed ({type(error).__name__})") from None
        return bytes(content)

    return fetch
