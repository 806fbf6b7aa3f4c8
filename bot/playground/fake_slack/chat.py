"""chat.*: messages posted, updated and deleted, kept per conversation.

A post to a user ID lands in their DM (``D`` + the rest of the ID, the channel
conversations.open answers for them).  A message's ``ts`` follows ``wall`` (Unix
seconds, the real time unless a test passes its own), one microsecond apart at least.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from bot.playground.fake_slack.core import WebApiCore


class ChatMethods(WebApiCore):
    """chat.postMessage, chat.postEphemeral, chat.update, chat.delete."""

    def _message(self, args: Mapping[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "user": self.bot_user_id,
            "type": "message",
            "ts": ts,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": args.get("text", ""),
            "team": self.team_id,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if args.get(key) is not None:
                message[key] = args[key]
        return message

    @staticmethod
    def _has_content(args: Mapping[str, Any]) -> bool:
        return any(args.get(k) for k in ("text", "blocks", "attachments"))

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not self._has_content(args):
            return {"ok": False, "error": "no_text"}
        ts = self._next_ts()
        channel = self._channel(args["channel"])
        message = self._message(args, ts)
        self._messages.setdefault(channel, []).append(copy.deepcopy(message))
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        if not self._has_content(args):
            return {"ok": False, "error": "no_text"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        ts = str(args["ts"])
        channel = self._channel(args["channel"])
        message = self._message(args, ts)
        kept = self._messages.get(channel, [])
        for i, old in enumerate(kept):
            if old["ts"] == ts:  # a message it never saw (posted elsewhere) is answered too
                if "metadata" not in message and "metadata" in old:
                    message["metadata"] = old["metadata"]
                kept[i] = copy.deepcopy(message)
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": args.get("text", ""),
            "message": message,
        }

    def _m_chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        channel = self._channel(args["channel"])
        kept = self._messages.get(channel, [])
        kept[:] = [m for m in kept if m["ts"] != str(args["ts"])]
        return {"ok": True, "channel": channel, "ts": str(args["ts"])}
