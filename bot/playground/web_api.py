"""A local fake of Slack's Web API (and of response_url endpoints) that records every call.

Point the bot at ``slack.api_url`` (``SLACK_API_URL`` / ``AsyncWebClient(base_url=...)``).  The
fake accepts what slack-sdk really sends: JSON bodies (chat.*, views.*), form bodies, and
query-string parameters (slack-sdk's ``params=`` - e.g. conversations.open, auth.test,
apps.connections.open - go into the URL of a POST with an empty body; users.info,
users.lookupByEmail and conversations.history are GETs).  Form and query values are always
strings, so booleans arrive as ``"1"``/``"0"``.

Messages it accepted are kept per conversation (a post to a user ID lands in their DM,
``D`` + the rest of the ID, the channel conversations.open answers for them), updated by
chat.update and removed by chat.delete, and served by conversations.history newest first,
with ``oldest``/``latest``/``inclusive``, ``limit`` and cursor paging, and their metadata
only when ``include_all_metadata`` is asked for.  A message's ``ts`` follows ``wall``
(Unix seconds, the real time unless a test passes its own), one microsecond apart at least.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import hashlib
import json
import math
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.playground.blockkit import Surface, block_kit_violations
from bot.playground.loopback import LoopbackServer

# Fields slack-sdk (or a hand-written form) sends as JSON strings.
JSON_FIELDS = frozenset(
    {"blocks", "attachments", "view", "metadata", "unfurls", "user_auth_blocks", "options"}
)
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
VIEW_METHODS = frozenset({"views.open", "views.push", "views.update", "views.publish"})
RESPONSE_URL = "response_url"
# Methods Slack answers without a token (others answer "not_authed").
TOKENLESS_METHODS = frozenset(
    {"api.test", "oauth.access", "oauth.v2.access", "oauth.v2.exchange", "openid.connect.token"}
)
# Methods accepting an app-level (xapp-) token; other methods answer "not_allowed_token_type".
APP_TOKEN_METHODS = frozenset(
    {"apps.connections.open", "apps.event.authorizations.list", "api.test"}
)

Predicate = Callable[["RecordedCall"], bool]


@dataclass(frozen=True)
class RecordedCall:
    """One request the fake received.

    ``args`` merges query string, form or JSON body, with JSON-string fields (``blocks``,
    ``view``...) decoded; the token (``Authorization: Bearer`` or a ``token`` field) is
    removed from ``args`` and kept in ``token``.  ``failed`` is True when the fake answered
    with an error (injected failure, rate limit, or a realistic error such as
    ``user_not_found``).
    """

    method: str
    args: dict[str, Any]
    token: str | None
    failed: bool = False
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    http_verb: str = "POST"
    content_type: str = ""
    at: float = 0.0  # when the fake answered, by its ``clock``


@dataclass
class _Failure:
    error: str
    status: int
    retry_after: int
    remaining: int


@dataclass
class _TokenBucket:
    rate: float
    burst: int
    tokens: dict[str | None, tuple[float, float]] = field(default_factory=dict)

    def take(self, key: str | None, now: float) -> float:
        """Take a token for ``key``; return 0 when allowed, else seconds until one is free."""
        tokens, updated = self.tokens.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - updated) * self.rate)
        if tokens >= 1.0:
            self.tokens[key] = (tokens - 1.0, now)
            return 0.0
        self.tokens[key] = (tokens, now)
        return (1.0 - tokens) / self.rate


class FakeSlackWebApi(LoopbackServer):
    """An aiohttp server on 127.0.0.1 answering Slack Web API methods realistically.

    Use ``async with FakeSlackWebApi() as slack:`` (or ``await start()`` / ``await stop()``).
    """

    def __init__(
        self,
        *,
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        bot_name: str = "benefits-bot",
        team_id: str = "T0001",
        team: str = "Test",
        app_id: str = "A0001",
        require_token: bool = True,
        reject_invalid_blocks: bool = False,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.team_id = team_id
        self.team = team
        self.app_id = app_id
        self.require_token = require_token
        self.reject_invalid_blocks = reject_invalid_blocks
        self.clock = clock
        self.wall = wall
        self.calls: list[RecordedCall] = []
        self.violations: list[str] = []
        self.ratelimited_count = 0
        self.socket_url: str | None = None
        self._users: dict[str, dict[str, Any]] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._disconnects: dict[str, int] = {}
        self._rejected_tokens: dict[str, str] = {}
        self._rate_limits: dict[str, _TokenBucket] = {}
        self._last_ts = 0  # microseconds
        self._messages: dict[str, list[dict[str, Any]]] = {}  # channel → messages, by ts
        self._stalls: dict[str, int] = {}
        self._released = asyncio.Event()
        self._view_counter = 0
        self._views_by_external_id: dict[str, str] = {}
        self._changed = asyncio.Condition()
        self._files: dict[str, dict[str, Any]] = {}  # file ID → what was announced and uploaded

    # -- lifecycle ----------------------------------------------------------------------------

    def _routes(self, app: web.Application) -> None:
        app.router.add_route("POST", "/response/{name}", self._handle_response_url)
        app.router.add_route("POST", "/upload/{file_id}", self._handle_upload)
        app.router.add_route("*", "/api/{method}", self._handle_api)

    @property
    def base_root(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        if self._root is None:
            raise RuntimeError("FakeSlackWebApi is not started")
        return self._root

    @property
    def api_url(self) -> str:
        """The Web API base URL, ending with "/" (slack-sdk urljoins the method name)."""
        return f"{self.base_root}/api/"

    def response_url(self, name: str) -> str:
        """A response_url on this server; POSTs are recorded as method ``"response_url"``."""
        return f"{self.base_root}/response/{name}"

    # -- configuration ------------------------------------------------------------------------

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

    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with ``status`` and ``error``.

        A 429 also carries ``Retry-After: <retry_after>``.  Use status 200 for Slack's usual
        ``{"ok": false, "error": ...}`` answers (e.g. ``channel_not_found``).  ``method`` may be
        ``"response_url"``, or ``"upload"`` (the upload URL of the two-step file upload).
        """
        self._failures.setdefault(method, []).append(
            _Failure(error=error, status=status, retry_after=retry_after, remaining=times)
        )

    def reject_token(self, token: str, error: str = "invalid_auth") -> None:
        """Answer every call made with ``token`` with ``error``, as Slack answers a token it
        does not know (``invalid_auth``) or no longer accepts (``token_revoked``,
        ``account_inactive``...)."""
        self._rejected_tokens[token] = error

    def disconnect_next(self, method: str, times: int = 1) -> None:
        """Drop the connection of the next ``times`` calls of ``method`` without answering,
        as an unreachable Slack (or a proxy in between) does; the caller sees a connection
        error. Dropped calls are not recorded (Slack never saw them)."""
        self._disconnects[method] = self._disconnects.get(method, 0) + times

    def stall_next(self, method: str, times: int = 1) -> None:
        """Carry out the next ``times`` calls of ``method`` (recorded, the message kept)
        but hold their answers until :meth:`release_stalled` or the fake stops: Slack
        accepted the call and the caller never heard back (a lost answer, or a caller
        that died waiting)."""
        self._stalls[method] = self._stalls.get(method, 0) + times

    def release_stalled(self) -> None:
        """Send the answers held by :meth:`stall_next`."""
        self._released.set()

    def clear_failures(self) -> None:
        """Forget the injected failures, dropped connections and stalls still pending."""
        self._failures.clear()
        self._disconnects.clear()
        self._stalls.clear()

    def rate_limit(self, method: str, per_channel_per_second: float = 1.0, burst: int = 3) -> None:
        """Enable a token bucket per ``channel`` argument: past it, answer 429 + Retry-After."""
        self._rate_limits[method] = _TokenBucket(rate=per_channel_per_second, burst=burst)

    def clear(self) -> None:
        """Forget recorded calls and violations (configuration is kept)."""
        self.calls.clear()
        self.violations.clear()
        self.ratelimited_count = 0

    # -- inspection ---------------------------------------------------------------------------

    def would_be_ratelimited(
        self, method: str, *, per_channel_per_second: float = 1.0, burst: int = 3
    ) -> Counter[str]:
        """Per channel, how many successful ``method`` calls Slack would have answered
        429 had it enforced a token bucket per channel (``rate_limit`` does enforce one).

        Replays the calls in the order they were answered, at the times the fake
        answered them; a call that would have been refused takes no token.
        """
        bucket = _TokenBucket(rate=per_channel_per_second, burst=burst)
        refused: Counter[str] = Counter()
        for call in sorted(self.calls_to(method, include_failed=False), key=lambda c: c.at):
            channel = str(call.args.get("channel"))
            if bucket.take(channel, call.at) > 0:
                refused[channel] += 1
        return refused

    def calls_to(self, method: str, *, include_failed: bool = True) -> list[RecordedCall]:
        return [c for c in self.calls if c.method == method and (include_failed or not c.failed)]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        where: Predicate | None = None,
    ) -> list[RecordedCall]:
        """Wait until ``count`` calls to ``method`` (matching ``where``) arrived; return them."""

        def matching() -> list[RecordedCall]:
            return [c for c in self.calls if c.method == method and (where is None or where(c))]

        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: len(matching()) >= count)
        except TimeoutError:
            what = f"{count} call(s) to {method}" + (" matching the predicate" if where else "")
            raise AssertionError(
                f"Timed out after {timeout}s waiting for {what}; got {len(matching())}.\n"
                + self.summary()
            ) from None
        return matching()

    def summary(self, max_arg_chars: int = 300) -> str:
        """A readable list of recorded calls (used in assertion messages)."""
        lines = [f"Recorded calls ({len(self.calls)}):"]
        for i, call in enumerate(self.calls):
            args = json.dumps(call.args, default=str, ensure_ascii=False)
            if len(args) > max_arg_chars:
                args = args[:max_arg_chars] + "..."
            flag = f" [failed: {call.status} {call.response.get('error')}]" if call.failed else ""
            lines.append(f"  #{i} {call.http_verb} {call.method}{flag} {args}")
        return "\n".join(lines)

    def assert_no_violations(self) -> None:
        if self.violations:
            listing = "\n".join(f"  - {v}" for v in self.violations)
            raise AssertionError(
                f"{len(self.violations)} Block Kit violation(s) sent to Slack:\n{listing}"
            )

    # -- request handling ---------------------------------------------------------------------

    async def _read_args(self, request: web.Request) -> tuple[dict[str, Any], str | None]:
        args: dict[str, Any] = dict(request.query)
        if request.body_exists:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    args.update(body)
                else:
                    args["_body"] = body
            elif request.content_type in {
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            }:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        args[key] = {
                            "filename": value.filename,
                            "content_type": value.content_type,
                            "content": value.file.read(),
                        }
                    else:
                        args[key] = value
            else:
                args["_raw"] = await request.text()
        for key in JSON_FIELDS & args.keys():
            value = args[key]
            if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
                with contextlib.suppress(ValueError):
                    args[key] = json.loads(value)
        token = args.pop("token", None)
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth.removeprefix("Bearer ")
        return args, token if isinstance(token, str) else None

    async def _record(self, call: RecordedCall) -> None:
        self.calls.append(call)
        async with self._changed:
            self._changed.notify_all()

    def _check_blocks(self, method: str, args: Mapping[str, Any]) -> list[str]:
        payload: Any
        surface: Surface
        if method in MESSAGE_METHODS or method == RESPONSE_URL:
            payload, surface, prefix = args, "message", ""
        elif method in VIEW_METHODS and isinstance(args.get("view"), Mapping):
            payload = args["view"]
            surface = (
                "home" if method == "views.publish" or payload.get("type") == "home" else "modal"
            )
            prefix = "view."
        else:
            return []
        found = block_kit_violations(
            payload, surface=surface, require_fallback_text=method in MESSAGE_METHODS
        )
        index = len(self.calls)
        return [f"{method} (call #{index}): {prefix}{v}" for v in found]

    def _injected_failure(
        self, method: str, channel: Any
    ) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        queue = self._failures.get(method)
        if queue:
            failure = queue[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                queue.pop(0)
            headers = {}
            if failure.status == 429:
                headers["Retry-After"] = str(failure.retry_after)
            return failure.status, {"ok": False, "error": failure.error}, headers
        bucket = self._rate_limits.get(method)
        if bucket is not None:
            wait = bucket.take(channel if isinstance(channel, str) else None, self.clock())
            if wait > 0:
                retry_after = max(1, math.ceil(wait))
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
        return None

    def uploaded(self, file_id: str) -> bytes:
        """The bytes uploaded to ``file_id``'s upload URL (b"" when none arrived)."""
        return bytes(self._files.get(file_id, {}).get("content") or b"")

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """The messages kept in ``channel`` (a user ID means their DM), oldest first."""
        return copy.deepcopy(self._messages.get(self._channel(channel), []))

    async def _before_stop(self) -> None:
        self._released.set()

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if self._disconnects.get(method, 0) > 0:
            self._disconnects[method] -= 1
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=503)  # never written: the connection is gone
        stalled = self._stalls.get(method, 0) > 0
        if stalled:
            self._stalls[method] -= 1
        args, token = await self._read_args(request)
        violations = self._check_blocks(method, args)
        self.violations.extend(violations)
        headers: dict[str, str] = {}
        injected = self._injected_failure(method, args.get("channel"))
        if injected is not None:
            status, body, headers = injected
        elif (error := self._token_error(method, token)) is not None:
            status, body = 200, {"ok": False, "error": error}
        elif violations and self.reject_invalid_blocks:
            status = 200
            error = "invalid_arguments" if method in VIEW_METHODS else "invalid_blocks"
            body = {"ok": False, "error": error, "errors": violations}
        else:
            status, body = 200, self._answer(method, args, token)
        if stalled:
            await self._record_call(request, method, args, token, status, body)
            await self._released.wait()
            return web.json_response(body, status=status, headers=headers)
        return await self._respond(request, method, args, token, status, body, headers)

    async def _handle_upload(self, request: web.Request) -> web.Response:
        """The upload URL ``files.getUploadURLExternal`` handed out: the file's bytes as
        the body (``files_upload_v2`` posts them raw), recorded as method ``"upload"``."""
        file_id = request.match_info["file_id"]
        content = await request.read()
        announced = self._files.get(file_id)
        args: dict[str, Any] = {"file_id": file_id, "content": content}
        injected = self._injected_failure("upload", None)
        if injected is not None:
            status, body, _ = injected
        elif announced is None or announced.get("content") is not None:
            status, body = 404, {"ok": False, "error": "invalid_upload_url"}
        else:
            announced["content"] = content
            status, body = 200, {"ok": True}
        await self._record_call(request, "upload", args, None, status, body)
        return web.Response(status=status, text=f"OK - {len(content)}" if status == 200 else "")

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        args, token = await self._read_args(request)
        if isinstance(args.get("payload"), str):  # a form with a JSON "payload" field
            try:
                payload = json.loads(args.pop("payload"))
                if isinstance(payload, dict):
                    args.update(payload)
            except ValueError:
                pass
        args["_name"] = name
        violations = self._check_blocks(RESPONSE_URL, args)
        self.violations.extend(violations)
        headers: dict[str, str] = {}
        injected = self._injected_failure(RESPONSE_URL, None)
        if injected is not None:
            status, body, headers = injected
        elif violations and self.reject_invalid_blocks:
            status, body = 400, {"ok": False, "error": "invalid_blocks"}
        else:
            status, body = 200, {"ok": True}
        return await self._respond(request, RESPONSE_URL, args, token, status, body, headers)

    async def _respond(
        self,
        request: web.Request,
        method: str,
        args: dict[str, Any],
        token: str | None,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str],
    ) -> web.Response:
        await self._record_call(request, method, args, token, status, body)
        return web.json_response(body, status=status, headers=headers)

    async def _record_call(
        self,
        request: web.Request,
        method: str,
        args: dict[str, Any],
        token: str | None,
        status: int,
        body: dict[str, Any],
    ) -> None:
        if status == 429:
            self.ratelimited_count += 1
        await self._record(
            RecordedCall(
                method=method,
                args=args,
                token=token,
                failed=status != 200 or body.get("ok") is not True,
                status=status,
                response=body,
                http_verb=request.method,
                content_type=request.content_type if request.body_exists else "",
                at=self.clock(),
            )
        )

    def _token_error(self, method: str, token: str | None) -> str | None:
        if not self.require_token or method in TOKENLESS_METHODS:
            return None
        if not token:
            return "not_authed"
        if token in self._rejected_tokens:
            return self._rejected_tokens[token]
        is_app_token = token.startswith("xapp-")
        if method == "apps.connections.open" and not is_app_token:
            return "not_allowed_token_type"
        if is_app_token and method not in APP_TOKEN_METHODS:
            return "not_allowed_token_type"
        return None

    # -- answers ------------------------------------------------------------------------------

    def _next_ts(self) -> str:
        self._last_ts = max(round(self.wall() * 1_000_000), self._last_ts + 1)
        return f"{self._last_ts // 1_000_000}.{self._last_ts % 1_000_000:06d}"

    def _next_view_id(self) -> str:
        self._view_counter += 1
        return f"V{self._view_counter:010d}"

    @staticmethod
    def dm_channel_for(user_id: str) -> str:
        """The stable DM channel id the fake uses for ``user_id`` ("U123" -> "D123")."""
        return "D" + user_id[1:]

    def _channel(self, channel: Any) -> Any:
        if isinstance(channel, str) and channel[:1] in ("U", "W"):
            return self.dm_channel_for(channel)
        return channel

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

    def _answer(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": True}
        result: dict[str, Any] = handler(args)
        return result

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

    def _user_answer(
        self, user: dict[str, Any] | None, args: Mapping[str, Any], error: str
    ) -> dict[str, Any]:
        if user is None:
            return {"ok": False, "error": error}
        answer = dict(user)
        if str(args.get("include_locale", "")).lower() not in ("1", "true"):
            answer.pop("locale", None)
        return {"ok": True, "user": answer}

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

    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = str(args.get("filename") or "")
        length = str(args.get("length") or "")
        if not filename or not length.isdigit() or int(length) < 1:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{len(self._files) + 1:08d}"
        self._files[file_id] = {
            "filename": filename,
            "length": int(length),
            "alt_txt": args.get("alt_txt"),
            "content": None,
        }
        return {"ok": True, "upload_url": f"{self.base_root}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files")
        if isinstance(files, str):
            with contextlib.suppress(ValueError):
                files = json.loads(files)
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        shared: list[dict[str, Any]] = []
        for entry in files:
            file_id = str(entry.get("id") if isinstance(entry, dict) else "")
            announced = self._files.get(file_id)
            if announced is None or announced.get("content") is None:
                return {"ok": False, "error": "file_not_found"}
            if len(announced["content"]) != announced["length"]:
                return {"ok": False, "error": "file_upload_size_mismatch"}
            shared.append(
                {
                    "id": file_id,
                    "name": announced["filename"],
                    "title": entry.get("title") or announced["filename"],
                    "size": announced["length"],
                    "alt_txt": announced["alt_txt"],
                }
            )
        channel = args.get("channel_id")
        if channel:
            ts = self._next_ts()
            conversation = self._channel(str(channel))
            self._messages.setdefault(conversation, []).append(
                {"type": "message", "ts": ts, "user": self.bot_user_id, "files": shared}
            )
        return {"ok": True, "files": shared}

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

    def _view_answer(self, args: Mapping[str, Any], view_id: str, home: bool) -> dict[str, Any]:
        view = args.get("view")
        if not isinstance(view, Mapping):
            return {"ok": False, "error": "invalid_arguments"}
        external_id = str(view.get("external_id", ""))
        if external_id:
            self._views_by_external_id[external_id] = view_id
        return {
            "ok": True,
            "view": {
                "id": view_id,
                "team_id": self.team_id,
                "type": view.get("type", "home" if home else "modal"),
                "blocks": view.get("blocks", []),
                "private_metadata": view.get("private_metadata", ""),
                "callback_id": view.get("callback_id", ""),
                "state": {"values": {}},
                "hash": f"1700000000.{view_id}",
                "title": view.get("title"),
                "clear_on_close": bool(view.get("clear_on_close", False)),
                "notify_on_close": bool(view.get("notify_on_close", False)),
                "close": view.get("close"),
                "submit": view.get("submit"),
                "previous_view_id": None,
                "root_view_id": view_id,
                "app_id": self.app_id,
                "external_id": external_id,
                "app_installed_team_id": self.team_id,
                "bot_id": self.bot_id,
            },
        }

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id") and not args.get("interactivity_pointer"):
            return {"ok": False, "error": "invalid_arguments"}
        return self._view_answer(args, self._next_view_id(), home=False)

    def _m_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._m_views_open(args)

    def _m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        if not view_id and args.get("external_id"):
            view_id = self._views_by_external_id.get(str(args["external_id"]))
            if view_id is None:
                return {"ok": False, "error": "not_found"}
        if not view_id:
            return {"ok": False, "error": "invalid_arguments"}
        return self._view_answer(args, str(view_id), home=False)

    def _m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("user_id"):
            return {"ok": False, "error": "invalid_arguments"}
        return self._view_answer(args, self._next_view_id(), home=True)


def _flag(value: Any) -> bool:
    """A boolean argument as slack-sdk sends it in a query or form ("1"/"true") or JSON."""
    return value is True or str(value).lower() in ("1", "true")


def _micros(ts: Any, default: int) -> int:
    """A Slack ``ts`` ("1700000000.000100") in whole microseconds; ``default`` when absent."""
    if ts is None or ts == "":
        return default
    seconds, _, fraction = str(ts).partition(".")
    return int(seconds) * 1_000_000 + int((fraction + "000000")[:6])
