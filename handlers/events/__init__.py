"""Events API listeners; ``register`` only wires."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.events import files, home, installs, users


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(home.home_opened)
    app.event("user_change")(users.user_changed)
    app.event("app_uninstalled")(installs.app_uninstalled)
    app.event("tokens_revoked")(installs.tokens_revoked)
    # Every message in a DM with the bot (message.im): one that shares a file is read.
    app.event("message")(files.message_received)
