"""conversations.*: the kept messages read back, and DMs opened.

conversations.history serves a conversation's messages newest first, with
``oldest``/``latest``/``inclusive``, ``limit`` and cursor paging, and their metadata
only when ``include_all_metadata`` is asked for.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from typing import Any

from bot.playground.fake_slack.core import WebApiCore


class ConversationMethods(WebApiCore):
    """conversations.history and conversations.open."""

    def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        try:
            oldest = _micros(args.get("oldest"), 0)
            latest = _micros(args.get("latest"), 2**62)
            limit = min(max(int(args.get("limit") or 100), 1), 999)
            before = latest + 1 if _flag(args.get("inclusive")) else latest
            if args.get("cursor"):
                before = min(before, int(base64.b64decode(str(args["cursor"])).split(b":")[1]))
        except (ValueError, IndexError):
            return {"ok": False, "error": "invalid_arguments"}
        after = oldest - 1 if _flag(args.get("inclusive")) else oldest
        newest_first = [
            m
            for m in reversed(self._messages.get(channel, []))
            if after < _micros(m["ts"], 0) < before
        ]
        page, more = newest_first[:limit], len(newest_first) > limit
        with_metadata = _flag(args.get("include_all_metadata"))
        messages = [
            {k: copy.deepcopy(v) for k, v in m.items() if with_metadata or k != "metadata"}
            for m in page
        ]
        cursor = ""
        if more:
            cursor = base64.b64encode(f"next_ts:{_micros(page[-1]['ts'], 0)}".encode()).decode()
        return {
            "ok": True,
            "messages": messages,
            "has_more": more,
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": cursor},
        }

    def _m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            return {"ok": True, "channel": {"id": str(args["channel"])}}
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        if len(users) == 1:
            channel_id = self.dm_channel_for(users[0])
        else:
            digest = hashlib.sha1(",".join(sorted(users)).encode(), usedforsecurity=False)
            channel_id = "G" + digest.hexdigest()[:10].upper()
        return {"ok": True, "no_op": False, "already_open": False, "channel": {"id": channel_id}}


def _flag(value: Any) -> bool:
    """A boolean argument as slack-sdk sends it in a query or form ("1"/"true") or JSON."""
    return value is True or str(value).lower() in ("1", "true")


def _micros(ts: Any, default: int) -> int:
    """A Slack ``ts`` ("1700000000.000100") in whole microseconds; ``default`` when absent."""
    if ts is None or ts == "":
        return default
    seconds, _, fraction = str(ts).partition(".")
    return int(seconds) * 1_000_000 + int((fraction + "000000")[:6])
