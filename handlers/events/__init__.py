"""Events API listeners; ``register`` only wires."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.events import files, home, users


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(home.home_opened)
    app.event("user_change")(users.user_changed)
    # A file shared in a DM with the bot (message.im); other messages are left alone.
    app.event({"type": "message", "subtype": "file_share"})(files.file_shared)
    app.event("message")(files.other_message)
