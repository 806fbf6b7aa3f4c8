"""The core of the fake Slack Web API: the server, the recording and the shared state.

:class:`WebApiCore` answers ``/api/<method>`` and ``response_url`` POSTs the way
slack-sdk really calls them: JSON bodies (chat.*, views.*), form bodies, and
query-string parameters (slack-sdk's ``params=`` - e.g. conversations.open, auth.test,
apps.connections.open - go into the URL of a POST with an empty body; users.info,
users.lookupByEmail and conversations.history are GETs).  Form and query values are always
strings, so booleans arrive as ``"1"``/``"0"``.

It records every call (:class:`RecordedCall`), checks Block Kit payloads, checks the
token, and plays the failures a test asks for (errors, 429s, dropped connections,
stalled answers).  What a method answers is looked up as ``_m_<method>`` (dots as
underscores) on the class: the method families live beside it, one mixin each
(:mod:`.chat`, :mod:`.conversations`, :mod:`.users`, :mod:`.views`, :mod:`.files`,
:mod:`.oauth`), and
:class:`bot.playground.web_api.FakeSlackWebApi` puts them together.  The state they share
(the bot's identity, the kept messages, users, views and files) is declared here.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
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


@dataclass(frozen=True)
class Grant:
    """What an install granted: the workspace (or org), its bot, the installer, the scopes."""

    team_id: str | None
    team: str | None
    enterprise_id: str | None
    enterprise: str | None
    user_id: str
    scopes: tuple[str, ...]
    bot_user_id: str
    bot_id: str
    token_rotation: bool
    expires_in: int = 12 * 60 * 60


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


class WebApiCore(LoopbackServer):
    """The server, the recording, the failures a test injects, and the shared state.

    Not used alone: :class:`bot.playground.web_api.FakeSlackWebApi` adds the methods.
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
        self._failures: dict[str, list[_Failure]] = {}
        self._disconnects: dict[str, int] = {}
        self._rejected_tokens: dict[str, str] = {}
        self._rate_limits: dict[str, _TokenBucket] = {}
        self._stalls: dict[str, int] = {}
        self._released = asyncio.Event()
        self._changed = asyncio.Condition()
        # what the method families keep (chat, conversations, users, views, files)
        self._last_ts = 0  # microseconds
        self._messages: dict[str, list[dict[str, Any]]] = {}  # channel → messages, by ts
        self._users: dict[str, dict[str, Any]] = {}
        self._view_counter = 0
        self._views_by_external_id: dict[str, str] = {}
        self._files: dict[str, dict[str, Any]] = {}  # file ID → what was announced and uploaded
        self._oauth_codes: dict[str, Grant] = {}  # installs allowed, their codes not exchanged
        self._granted_tokens: dict[str, Grant] = {}  # bot tokens oauth.v2.access handed out
        self._granted_refresh_tokens: dict[str, Grant] = {}

    # -- lifecycle --------------------------------------------------------------------------------

    def _routes(self, app: web.Application) -> None:
        app.router.add_route("POST", "/response/{name}", self._handle_response_url)
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

    async def _before_stop(self) -> None:
        self._released.set()

    # -- configuration ----------------------------------------------------------------------------

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

    # -- inspection -------------------------------------------------------------------------------

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

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """The messages kept in ``channel`` (a user ID means their DM), oldest first."""
        return copy.deepcopy(self._messages.get(self._channel(channel), []))

    # -- request handling -------------------------------------------------------------------------

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
        elif auth.startswith("Basic "):  # an app's client ID and secret (oauth.v2.access)
            with contextlib.suppress(ValueError):
                pair = base64.b64decode(auth.removeprefix("Basic ")).decode()
                args["client_id"], _, args["client_secret"] = pair.partition(":")
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

    # -- what the method families share -----------------------------------------------------------

    def _next_ts(self) -> str:
        self._last_ts = max(round(self.wall() * 1_000_000), self._last_ts + 1)
        return f"{self._last_ts // 1_000_000}.{self._last_ts % 1_000_000:06d}"

    @staticmethod
    def dm_channel_for(user_id: str) -> str:
        """The stable DM channel id the fake uses for ``user_id`` ("U123" -> "D123")."""
        return "D" + user_id[1:]

    def _channel(self, channel: Any) -> Any:
        if isinstance(channel, str) and channel[:1] in ("U", "W"):
            return self.dm_channel_for(channel)
        return channel

    def _answer(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": True}
        result: dict[str, Any] = handler(args)
        return result
