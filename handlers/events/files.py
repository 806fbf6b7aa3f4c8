"""A message in a DM with the bot: a file it shares is read. A Global admin's inventory
file is imported (:meth:`bot.services.setup.SetupService.receive_file`); anyone else is
told politely that only a Global admin can. Any other message is acknowledged and left
alone (the bot's own messages never reach here: Bolt ignores them).

The import runs after the event is acknowledged. Slack's retries of the event, and the
same file shared again, import nothing more (the service keys its work by the file and
the message).
"""

from __future__ import annotations

from typing import Any, Final

from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.limits import USER_ID
from bot.runtime.container import Services
from bot.runtime.downloads import downloader
from bot.services.setup import FILE_ID, SharedFile

FILES_READ: Final = 3
"""At most this many files of one message are read (an inventory is one file)."""


async def message_received(
    event: dict[str, Any], client: AsyncWebClient, services: Services
) -> None:
    user = event.get("user")
    files = event.get("files")
    if (
        event.get("channel_type") != "im"
        or event.get("bot_id")
        or not isinstance(user, str)
        or not USER_ID.match(user)
        or not isinstance(files, list)
        or event.get("subtype") not in (None, "file_share")
    ):
        return
    message = str(event.get("ts") or event.get("event_ts") or "")
    for found in files[:FILES_READ]:
        if not isinstance(found, dict) or not FILE_ID.match(str(found.get("id") or "")):
            continue
        size = found.get("size")
        shared = SharedFile(
            id=str(found["id"]),
            name=str(found.get("name") or found.get("title") or ""),
            size=size if isinstance(size, int) else None,
            event=message,
        )
        services.background.spawn(
            services.setup.receive_file(user, shared, downloader(client, shared.id)),
            name="inventory upload",
        )
