"""users.*: the users a test registers, answered by ID, by email and as a list."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from bot.playground.fake_slack.core import WebApiCore


class UserMethods(WebApiCore):
    """add_user, then users.info, users.lookupByEmail and users.list."""

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        email: str | None = None,
        locale: str = "en-US",
        real_name: str | None = None,
        tz: str = "Europe/London",
        tz_offset: int = 0,
        is_admin: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
    ) -> dict[str, Any]:
        """Register a user for users.info / users.lookupByEmail and return its object.

        As on Slack, ``locale`` is only answered when the call passes ``include_locale``.
        """
        real = real_name or name
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": deleted,
            "color": "9f69e7",
            "real_name": real,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": tz_offset,
            "profile": {
                "real_name": real,
                "real_name_normalized": real,
                "display_name": name,
                "display_name_normalized": name,
                "team": self.team_id,
                **({"email": email} if email is not None else {}),
            },
            "is_admin": is_admin,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": 1700000000,
            "locale": locale,
        }
        self._users[user_id] = user
        return user

    def _user_answer(
        self, user: dict[str, Any] | None, args: Mapping[str, Any], error: str
    ) -> dict[str, Any]:
        if user is None:
            return {"ok": False, "error": error}
        answer = dict(user)
        if str(args.get("include_locale", "")).lower() not in ("1", "true"):
            answer.pop("locale", None)
        return {"ok": True, "user": answer}

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._user_answer(self._users.get(str(args.get("user"))), args, "user_not_found")

    def _m_users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args.get("email", "")).lower()
        user = next(
            (
                u
                for u in self._users.values()
                if str(u["profile"].get("email", "")).lower() == email
            ),
            None,
        )
        return self._user_answer(user, args, "users_not_found")

    def _m_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every user, by ID, ``limit`` a page (at most 1000), with cursor paging; their
        locale only with ``include_locale``."""
        users = [self._users[u] for u in sorted(self._users)]
        cursor = str(args.get("cursor") or "")
        try:
            limit = int(str(args.get("limit") or 0) or 0)
        except ValueError:
            return {"ok": False, "error": "invalid_limit"}
        limit = 1000 if limit <= 0 else min(limit, 1000)
        try:
            start = int(base64.b64decode(cursor).decode().removeprefix("offset:")) if cursor else 0
        except ValueError:
            return {"ok": False, "error": "invalid_cursor"}
        page = users[start : start + limit]
        following = start + limit
        next_cursor = (
            base64.b64encode(f"offset:{following}".encode()).decode()
            if following < len(users)
            else ""
        )
        return {
            "ok": True,
            "members": [self._user_answer(u, args, "")["user"] for u in page],
            "response_metadata": {"next_cursor": next_cursor},
        }
