"""oauth.v2.access: installs through Slack's OAuth flow, and the tokens they hand out.

A test plays the person who clicks "Allow" on Slack's authorize page with
:meth:`OAuthMethods.authorize`, which gives the ``code`` Slack puts in the
redirect; ``oauth.v2.access`` exchanges it once for a bot token of that workspace
(with a refresh token and ``expires_in`` when the install has token rotation
on), and exchanges a refresh token for a new bot token. ``auth.test`` answers a
token handed out this way with its own workspace and bot.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from bot.playground.fake_slack.core import Grant, WebApiCore

ROTATION_SECONDS = 12 * 60 * 60  # how long Slack's rotating tokens live


class OAuthMethods(WebApiCore):
    """authorize (the test's "Allow"), then oauth.v2.access; auth.test for the tokens."""

    oauth_client: tuple[str, str] | None = None
    """``(client_id, client_secret)`` that oauth.v2.access accepts; None: any."""

    def authorize(
        self,
        user_id: str,
        *,
        team_id: str | None = None,
        team: str | None = None,
        enterprise_id: str | None = None,
        enterprise: str | None = None,
        scopes: tuple[str, ...] = ("commands", "chat:write"),
        bot_user_id: str | None = None,
        bot_id: str | None = None,
        token_rotation: bool = False,
        expires_in: int = ROTATION_SECONDS,
        org_wide: bool = False,
    ) -> str:
        """The ``code`` Slack redirects with once ``user_id`` allowed the install into
        ``team_id`` (the fake's own workspace by default); good once. With
        ``token_rotation``, its token expires in ``expires_in`` seconds (a refreshed
        one in twelve hours). ``org_wide``: an Enterprise Grid org-wide install into
        ``enterprise_id``, which names no workspace."""
        own = team_id is None or team_id == self.team_id
        code = f"code-{secrets.token_hex(8)}"
        self._oauth_codes[code] = Grant(
            team_id=None if org_wide else self.team_id if team_id is None else team_id,
            team=team or (self.team if own else team_id),
            enterprise_id=enterprise_id,
            enterprise=enterprise,
            user_id=user_id,
            scopes=scopes,
            bot_user_id=bot_user_id or (self.bot_user_id if own else f"UBOT{team_id}"),
            bot_id=bot_id or (self.bot_id if own else f"BBOT{team_id}"),
            token_rotation=token_rotation,
            expires_in=expires_in,
        )
        return code

    def issued_tokens(self) -> dict[str, str | None]:
        """Every bot token handed out, with its workspace (or org)."""
        return {
            token: grant.team_id or grant.enterprise_id
            for token, grant in self._granted_tokens.items()
        }

    def _m_oauth_v2_access(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.oauth_client is not None:
            client_id, client_secret = self.oauth_client
            if args.get("client_id") != client_id:
                return {"ok": False, "error": "invalid_client_id"}
            if args.get("client_secret") != client_secret:
                return {"ok": False, "error": "bad_client_secret"}
        if args.get("grant_type") == "refresh_token":
            grant = self._granted_refresh_tokens.pop(str(args.get("refresh_token")), None)
            if grant is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            grant = replace(grant, expires_in=ROTATION_SECONDS)
            token, refresh = self._hand_out(grant)
            return {
                "ok": True,
                "app_id": self.app_id,
                "token_type": "bot",
                "access_token": token,
                "refresh_token": refresh,
                "expires_in": ROTATION_SECONDS,
                "scope": ",".join(grant.scopes),
                "bot_user_id": grant.bot_user_id,
                "team": {"id": grant.team_id, "name": grant.team},
                "enterprise": None,
            }
        grant = self._oauth_codes.pop(str(args.get("code")), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        token, refresh = self._hand_out(grant)
        answer: dict[str, Any] = {
            "ok": True,
            "app_id": self.app_id,
            "authed_user": {"id": grant.user_id},
            "scope": ",".join(grant.scopes),
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": grant.bot_user_id,
            "team": None if grant.team_id is None else {"id": grant.team_id, "name": grant.team},
            "enterprise": (
                None
                if grant.enterprise_id is None
                else {"id": grant.enterprise_id, "name": grant.enterprise}
            ),
            "is_enterprise_install": grant.team_id is None and grant.enterprise_id is not None,
        }
        if refresh is not None:
            answer.update(refresh_token=refresh, expires_in=grant.expires_in)
        return answer

    def _hand_out(self, grant: Grant) -> tuple[str, str | None]:
        token = f"xoxb-{grant.team_id or grant.enterprise_id}-{secrets.token_hex(8)}"
        if grant.token_rotation:
            token = "xoxe.xoxb-" + token.removeprefix("xoxb-")
        self._granted_tokens[token] = grant
        if not grant.token_rotation:
            return token, None
        refresh = f"xoxe-1-{secrets.token_hex(12)}"
        self._granted_refresh_tokens[refresh] = grant
        return token, refresh

    def _answer(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        grant = self._granted_tokens.get(token or "")
        if method != "auth.test" or grant is None:
            return super()._answer(method, args, token)
        return {
            "ok": True,
            "url": f"https://{(grant.team or 'org').lower()}.slack.com/",
            "team": grant.team,
            "user": self.bot_name,
            "team_id": grant.team_id,
            "user_id": grant.bot_user_id,
            "bot_id": grant.bot_id,
            "enterprise_id": grant.enterprise_id,
            "is_enterprise_install": False,
        }
