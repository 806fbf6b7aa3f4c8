"""A local fake of Slack's Web API (and of response_url endpoints) that records every call.

Point the bot at ``slack.api_url`` (``SLACK_API_URL`` / ``AsyncWebClient(base_url=...)``).
The tests and the playground's workspace (:mod:`bot.playground.workspace`) share it.
It is put together from :mod:`bot.playground.fake_slack`:

=================  ====================================================================
``core``           the server, what slack-sdk sends and how it is read, the recorded
                   calls, injected failures and rate limits, tokens, the shared state
``chat``           chat.postMessage, chat.postEphemeral, chat.update, chat.delete
``conversations``  conversations.history (paged, with metadata on request), .open
``users``          add_user; users.info, users.lookupByEmail, users.list
``views``          views.open, views.push, views.update, views.publish
``files``          files.getUploadURLExternal, the upload URL, files.completeUploadExternal
``oauth``          authorize (a person allowing an install), oauth.v2.access; auth.test of
                   the tokens it hands out
=================  ====================================================================

Messages it accepted are kept per conversation, updated by chat.update, removed by
chat.delete and served by conversations.history (see :meth:`FakeSlackWebApi.messages`).
"""

from __future__ import annotations

from typing import Any

from bot.playground.fake_slack.chat import ChatMethods
from bot.playground.fake_slack.conversations import ConversationMethods
from bot.playground.fake_slack.core import RESPONSE_URL, RecordedCall
from bot.playground.fake_slack.files import FileMethods
from bot.playground.fake_slack.oauth import OAuthMethods
from bot.playground.fake_slack.users import UserMethods
from bot.playground.fake_slack.views import ViewMethods

__all__ = ["RESPONSE_URL", "FakeSlackWebApi", "RecordedCall"]


class FakeSlackWebApi(
    ChatMethods, ConversationMethods, UserMethods, ViewMethods, FileMethods, OAuthMethods
):
    """An aiohttp server on 127.0.0.1 answering Slack Web API methods realistically.

    Use ``async with FakeSlackWebApi() as slack:`` (or ``await start()`` / ``await stop()``).
    A method it has no answer for is answered ``{"ok": true}``.
    """

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{self.team.lower()}.slack.com/",
            "team": self.team,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.socket_url is None:
            return {"ok": False, "error": "fake_socket_url_not_set"}
        return {"ok": True, "url": self.socket_url}
