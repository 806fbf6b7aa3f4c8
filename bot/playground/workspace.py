"""A stand-in for a Slack workspace, with a web page to use it from.

:class:`Workspace` is the fake Web API (:class:`bot.playground.web_api.FakeSlackWebApi`,
which the tests use too) with what a person sees in Slack kept beside it:
the messages of each conversation, the ephemeral messages of each person,
each person's open modals and Home tab. It answers the bot's Web API calls
as Slack does — refusing a payload over Block Kit's limits with
``invalid_blocks`` / ``invalid_arguments``, a trigger older than three seconds
with ``expired_trigger_id``, too many messages to one conversation with
``ratelimited`` — and sends every command, click and submission made on the
page to the bot's ``/slack/events`` exactly as Slack does: signed with the
signing secret, form-encoded, with a ``response_url`` and ``trigger_id`` that
lead back here.

The page (``/``, its assets under ``/static/``) talks to it in JSON under
``/ui/``, and hears of every change over server-sent events (``/ui/events``):
each event is the whole state the page draws (:meth:`Workspace.snapshot`).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from bot.playground.blockkit import block_kit_violations
from bot.playground.clock import MovableClock
from bot.playground.signing import (
    API_APP_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    VERIFICATION_TOKEN,
    block_actions_payload,
    event_body,
    new_trigger_id,
    sign,
    slash_command_body,
)
from bot.playground.web_api import RESPONSE_URL, FakeSlackWebApi, RecordedCall

log = logging.getLogger(__name__)

TRIGGER_LIFETIME = 3.0  # seconds: Slack's trigger_id expires after three
ACK_TIMEOUT = 3.0  # seconds Slack waits for an acknowledgement
MAX_MODAL_STACK = 3  # views.push refuses a fourth
CALLS_SHOWN = 40  # the latest Web API calls the page lists
ClockMoved = Callable[[timedelta], Awaitable[None]]


@dataclass(frozen=True)
class Person:
    """Someone in the workspace; ``title`` says on the page what they are."""

    id: str
    name: str
    title: str
    email: str = ""


@dataclass(frozen=True)
class Channel:
    id: str
    name: str


@dataclass(frozen=True)
class _Origin:
    """Where a response_url answers: a person in a conversation, maybe to one message."""

    user: str
    channel: str
    message_ts: str | None = None
    ephemeral_id: str | None = None


class Workspace(FakeSlackWebApi):
    """The fake Web API, the workspace's state and the page's endpoints, on one port."""

    def __init__(
        self,
        *,
        people: list[Person],
        channels: list[Channel],
        signing_secret: str,
        clock: MovableClock,
        host: str = "127.0.0.1",
        port: int = 0,
        messages_per_second: float = 1.0,
        burst: int = 5,
    ) -> None:
        super().__init__(
            team="Contoso",
            reject_invalid_blocks=True,
            wall=lambda: clock.now().timestamp(),
        )
        self._host = host
        self._port = port
        self.people = list(people)
        self.channels = list(channels)
        self.signing_secret = signing_secret
        self.movable_clock = clock
        self.bot_url: str | None = None
        self.on_clock_moved: ClockMoved | None = None
        for person in people:
            self.add_user(person.id, name=person.name, email=person.email or None)
        for method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            self.rate_limit(method, per_channel_per_second=messages_per_second, burst=burst)
        self._ephemerals: list[dict[str, Any]] = []
        self._homes: dict[str, dict[str, Any]] = {}
        self._modals: dict[str, list[dict[str, Any]]] = {}
        self._triggers: dict[str, tuple[str, float]] = {}
        self._origins: dict[str, _Origin] = {}
        self._names = itertools.count(1)
        self._panel: dict[str, Any] = {"outbox": [], "audit": []}
        self._version = 0
        self._page_changed = asyncio.Event()  # set, and replaced, at every change
        self._closing = False
        self._http: aiohttp.ClientSession | None = None
        self.activity = asyncio.Event()  # set by every call and page request: look again

    # -- wiring ---------------------------------------------------------------------

    def _routes(self, app: web.Application) -> None:
        super()._routes(app)
        app.router.add_get("/", self._page)
        app.router.add_get("/static/{name:.+}", self._static)
        app.router.add_get("/ui/state", self._state)
        app.router.add_get("/ui/events", self._events)
        app.router.add_post("/ui/command", self._ui_command)
        app.router.add_post("/ui/action", self._ui_action)
        app.router.add_post("/ui/submit", self._ui_submit)
        app.router.add_post("/ui/close", self._ui_close)
        app.router.add_post("/ui/options", self._ui_options)
        app.router.add_post("/ui/home", self._ui_home)
        app.router.add_post("/ui/clock", self._ui_clock)

    @property
    def page_url(self) -> str:
        return f"{self.base_root}/"

    def connect(self, events_url: str) -> None:
        """Send what happens on the page to the bot at ``events_url``."""
        self.bot_url = events_url

    async def _before_stop(self) -> None:
        self._closing = True
        self._bump()
        if self._http is not None:
            await self._http.close()
        await super()._before_stop()

    def set_panel(self, *, outbox: list[dict[str, Any]], audit: list[dict[str, Any]]) -> None:
        """What the outbox and audit log hold now (the page's side panel)."""
        panel = {"outbox": outbox, "audit": audit}
        if panel != self._panel:
            self._panel = panel
            self._bump()

    # -- what the page draws -----------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        conversations = [c.id for c in self.channels] + [
            self.dm_channel_for(p.id) for p in self.people
        ]
        calls = [
            {
                "method": c.method,
                "ok": not c.failed,
                "status": c.status,
                "error": c.response.get("error", ""),
                "errors": c.response.get("errors", []),
                "channel": str(c.args.get("channel") or c.args.get("user_id") or ""),
            }
            for c in self.calls[-CALLS_SHOWN:]
        ]
        return {
            "version": self._version,
            "team": self.team,
            "bot": {"id": self.bot_user_id, "name": self.bot_name},
            "now": self.movable_clock.now().isoformat(),
            "people": [
                {"id": p.id, "name": p.name, "title": p.title, "dm": self.dm_channel_for(p.id)}
                for p in self.people
            ],
            "channels": [{"id": c.id, "name": c.name} for c in self.channels],
            "messages": {c: self._messages.get(c, []) for c in conversations},
            "ephemerals": self._ephemerals,
            "homes": self._homes,
            "modals": self._modals,
            "calls": calls,
            "outbox": self._panel["outbox"],
            "audit": self._panel["audit"],
        }

    def _bump(self) -> None:
        self._version += 1
        self.activity.set()
        changed, self._page_changed = self._page_changed, asyncio.Event()
        changed.set()

    async def _page(self, _: web.Request) -> web.Response:
        return web.Response(text=_asset("index.html"), content_type="text/html")

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        kinds = {".js": "text/javascript", ".css": "text/css", ".txt": "text/plain"}
        kind = next((v for k, v in kinds.items() if name.endswith(k)), None)
        if kind is None or ".." in name or name.startswith("/"):
            raise web.HTTPNotFound()
        try:
            return web.Response(text=_asset(name), content_type=kind)
        except FileNotFoundError:
            raise web.HTTPNotFound() from None

    async def _state(self, _: web.Request) -> web.Response:
        return web.json_response(self.snapshot())

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        seen = -1
        try:
            while not self._closing:
                changed = self._page_changed
                if seen != self._version:
                    seen = self._version
                    data = json.dumps(self.snapshot(), separators=(",", ":"))
                    await response.write(f"data: {data}\n\n".encode())
                waiter = asyncio.ensure_future(changed.wait())
                await asyncio.wait({waiter}, timeout=15)
                waiter.cancel()
                if seen == self._version:
                    await response.write(b": still here\n\n")
        except ConnectionError:  # the page was closed or reloaded
            pass
        return response

    # -- the Web API, as the bot sees it ---------------------------------------------------

    async def _record(self, call: RecordedCall) -> None:
        if call.method == RESPONSE_URL and not call.failed:
            self._respond_to(call.args)
        await super()._record(call)
        self._bump()

    def _trigger_user(self, args: Mapping[str, Any]) -> tuple[str | None, str]:
        """Whose click made ``args``'s trigger_id, or the error Slack answers."""
        trigger = str(args.get("trigger_id") or "")
        found = self._triggers.get(trigger)
        if found is None:
            return None, "invalid_trigger_id"
        user, made = found
        if time.monotonic() - made > TRIGGER_LIFETIME:
            return None, "expired_trigger_id"
        return user, ""

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        answer = super()._m_chat_postEphemeral(args)
        if answer.get("ok"):
            self._add_ephemeral(str(args["user"]), self._channel(args["channel"]), args)
            answer["message_ts"] = self._ephemerals[-1]["id"]
        return answer

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        user, error = self._trigger_user(args)
        if user is None:
            return {"ok": False, "error": error}
        answer = super()._m_views_open(args)
        if answer.get("ok"):
            self._modals[user] = [answer["view"]]
        return answer

    def _m_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        user, error = self._trigger_user(args)
        if user is None:
            return {"ok": False, "error": error}
        stack = self._modals.get(user, [])
        if not stack:
            return {"ok": False, "error": "invalid_arguments"}
        if len(stack) >= MAX_MODAL_STACK:
            return {"ok": False, "error": "push_limit_reached"}
        answer = FakeSlackWebApi._m_views_open(self, args)
        if answer.get("ok"):
            answer["view"]["previous_view_id"] = stack[-1]["id"]
            answer["view"]["root_view_id"] = stack[0]["id"]
            stack.append(answer["view"])
        return answer

    def _m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = str(args.get("view_id") or "")
        if not view_id and args.get("external_id"):
            view_id = self._views_by_external_id.get(str(args["external_id"]), "")
        for user, home in self._homes.items():
            if home["id"] == view_id:
                answer = super()._m_views_update(args)
                if answer.get("ok"):
                    self._homes[user] = answer["view"]
                return answer
        for stack in self._modals.values():
            for i, view in enumerate(stack):
                if view["id"] == view_id:
                    answer = super()._m_views_update(args)
                    if answer.get("ok"):
                        answer["view"]["previous_view_id"] = view.get("previous_view_id")
                        answer["view"]["root_view_id"] = view.get("root_view_id", view_id)
                        stack[i] = answer["view"]
                    return answer
        return {"ok": False, "error": "not_found"}

    def _m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user_id") or "")
        if user not in self._users:
            return {"ok": False, "error": "user_not_found" if user else "invalid_arguments"}
        home = self._homes.get(user)
        answer = self._view_answer(args, home["id"] if home else self._next_view_id(), home=True)
        if answer.get("ok"):
            self._homes[user] = answer["view"]
        return answer

    # -- answers to response_url and to acknowledgements -----------------------------------

    def _add_ephemeral(self, user: str, channel: str, content: Mapping[str, Any]) -> None:
        self._ephemerals.append(
            {
                "id": self._next_ts(),
                "user": user,
                "channel": channel,
                "text": content.get("text", ""),
                "blocks": content.get("blocks") or [],
            }
        )

    def _respond_to(self, args: Mapping[str, Any]) -> None:
        """What Slack does with a message sent to a response_url (or in an ack)."""
        origin = self._origins.get(str(args.get("_name", "")))
        if origin is None:
            return
        self._apply_response(origin, args)

    def _apply_response(self, origin: _Origin, args: Mapping[str, Any]) -> None:
        content = {"text": args.get("text", ""), "blocks": args.get("blocks") or []}
        if _flag(args.get("delete_original")):
            if origin.ephemeral_id is not None:
                self._ephemerals = [e for e in self._ephemerals if e["id"] != origin.ephemeral_id]
            elif origin.message_ts is not None:
                kept = self._messages.get(origin.channel, [])
                kept[:] = [m for m in kept if m["ts"] != origin.message_ts]
            return
        if _flag(args.get("replace_original")):
            if origin.ephemeral_id is not None:
                for ephemeral in self._ephemerals:
                    if ephemeral["id"] == origin.ephemeral_id:
                        ephemeral.update(content)
                return
            if origin.message_ts is not None:
                for message in self._messages.get(origin.channel, []):
                    if message["ts"] == origin.message_ts:
                        message.update(content)
                        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
                return
        if args.get("response_type") == "in_channel":
            self._m_chat_postMessage({"channel": origin.channel, **content})
        else:
            self._add_ephemeral(origin.user, origin.channel, content)

    def _origin(self, origin: _Origin) -> str:
        name = f"r{next(self._names)}"
        self._origins[name] = origin
        return name

    def _new_trigger(self, user: str) -> str:
        trigger = new_trigger_id()
        self._triggers[trigger] = (user, time.monotonic())
        return trigger

    def _person(self, user: str) -> Person:
        for person in self.people:
            if person.id == user:
                return person
        raise web.HTTPBadRequest(text=f"no one in the workspace has the ID {user!r}")

    def _channel_name(self, channel: str) -> str:
        for known in self.channels:
            if known.id == channel:
                return known.name
        return "directmessage"

    async def _send(self, body: str, *, form: bool = True) -> tuple[int, Any]:
        """POST ``body`` to the bot signed, as Slack does; its status and answer."""
        if self.bot_url is None:
            raise web.HTTPServiceUnavailable(text="the bot is not connected yet")
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=ACK_TIMEOUT))
        headers = sign(body, self.signing_secret)
        if not form:
            headers["Content-Type"] = "application/json"
        try:
            async with self._http.post(self.bot_url, data=body.encode(), headers=headers) as resp:
                raw = await resp.text()
                status = resp.status
        except (TimeoutError, aiohttp.ClientError):
            return 0, "operation_timeout"
        if raw.lstrip().startswith("{"):
            with contextlib.suppress(ValueError):
                return status, json.loads(raw)
        return status, raw

    def _acknowledged(self, origin: _Origin, status: int, answer: Any, command: str) -> None:
        """Show what a command's acknowledgement carries, as Slack shows it."""
        if status != 200:
            error = answer if status == 0 else "dispatch_failed"
            self._add_ephemeral(
                origin.user, origin.channel, {"text": f'{command} failed with the error "{error}"'}
            )
        elif isinstance(answer, dict) and (answer.get("text") or answer.get("blocks")):
            violations = block_kit_violations(answer, surface="message")
            if violations:
                self._add_ephemeral(
                    origin.user,
                    origin.channel,
                    {"text": "invalid_blocks: " + "; ".join(violations)},
                )
            else:
                self._apply_response(origin, answer)
        elif isinstance(answer, str) and answer:
            self._add_ephemeral(origin.user, origin.channel, {"text": answer})
        self._bump()

    # -- the page's requests ---------------------------------------------------------------

    async def _ui_command(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        user = self._person(str(body.get("user", "")))
        channel = str(body.get("channel") or self.dm_channel_for(user.id))
        text = str(body.get("text", ""))
        command, _, rest = text.strip().partition(" ")
        if command != "/benefits":
            return web.json_response(
                {"ok": False, "error": f"{command or 'that'} is not a command of this workspace"}
            )
        origin = _Origin(user.id, channel)
        status, answer = await self._send(
            slash_command_body(
                text=rest.strip(),
                user_id=user.id,
                user_name=user.name,
                channel_id=channel,
                channel_name=self._channel_name(channel),
                response_url=self.response_url(self._origin(origin)),
                trigger_id=self._new_trigger(user.id),
                team_domain=TEAM_DOMAIN,
            )
        )
        self._acknowledged(origin, status, answer, command)
        return web.json_response({"ok": status == 200})

    def _find_view(self, user: str, view_id: str) -> dict[str, Any]:
        home = self._homes.get(user)
        if home is not None and home["id"] == view_id:
            return home
        for view in self._modals.get(user, []):
            if view["id"] == view_id:
                return view
        raise web.HTTPConflict(text="that view is no longer open")

    def _source(
        self, user: str, source: Mapping[str, Any], state: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The part of a payload that says where a click came from."""
        kind = source.get("kind")
        if kind == "view":
            view = copy.deepcopy(self._find_view(user, str(source.get("view_id"))))
            view["state"] = {"values": dict(state)}
            return {"view": view}
        channel = str(source.get("channel", ""))
        if kind == "message":
            ts = str(source.get("ts", ""))
            message = next((m for m in self._messages.get(channel, []) if m["ts"] == ts), None)
            if message is None:
                raise web.HTTPConflict(text="that message is gone")
            origin = _Origin(user, channel, message_ts=ts)
            return {
                "message": copy.deepcopy(message),
                "channel_id": channel,
                "channel_name": self._channel_name(channel),
                "response_url": self.response_url(self._origin(origin)),
                "state_values": dict(state),
            }
        ephemeral_id = str(source.get("id", ""))
        if not any(e["id"] == ephemeral_id and e["user"] == user for e in self._ephemerals):
            raise web.HTTPConflict(text="that message is gone")
        origin = _Origin(user, channel, ephemeral_id=ephemeral_id)
        return {
            "channel_id": channel,
            "channel_name": self._channel_name(channel),
            "container": {
                "type": "message",
                "message_ts": ephemeral_id,
                "channel_id": channel,
                "is_ephemeral": True,
            },
            "response_url": self.response_url(self._origin(origin)),
            "state_values": dict(state),
        }

    async def _ui_action(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        user = self._person(str(body.get("user", "")))
        action = _object(body, "action")
        if not isinstance(action.get("action_id"), str):
            raise web.HTTPBadRequest(text="an action needs its action_id")
        where = self._source(user.id, _object(body, "source"), _object(body, "state"))
        payload = block_actions_payload(
            user_id=user.id,
            user_name=user.name,
            action_id=str(action.get("action_id", "")),
            value="",
            trigger_id=self._new_trigger(user.id),
            **where,
        )
        if "view" in where:
            payload["state"] = where["view"]["state"]
        action["action_ts"] = f"{time.time():.6f}"
        payload["actions"] = [action]
        status, _ = await self._send(urlencode({"payload": json.dumps(payload)}))
        self._bump()
        return web.json_response({"ok": status == 200, "status": status})

    async def _ui_submit(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        user = self._person(str(body.get("user", "")))
        stack = self._modals.get(user.id, [])
        view_id = str(body.get("view_id", ""))
        view = next((v for v in stack if v["id"] == view_id), None)
        if view is None:
            raise web.HTTPConflict(text="that view is no longer open")
        sent = copy.deepcopy(view)
        sent.pop("errors", None)
        sent["state"] = {"values": _object(body, "state")}
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
            "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": TEAM_ID},
            "api_app_id": API_APP_ID,
            "token": VERIFICATION_TOKEN,
            "trigger_id": self._new_trigger(user.id),
            "view": sent,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        status, answer = await self._send(urlencode({"payload": json.dumps(payload)}))
        view.pop("errors", None)
        result: dict[str, Any] = {"ok": status == 200}
        if status != 200:
            result["error"] = "We had some trouble connecting. Try again?"
        else:
            result.update(self._after_submission(user.id, view, answer))
        self._bump()
        return web.json_response(result)

    def _after_submission(self, user: str, view: dict[str, Any], answer: Any) -> dict[str, Any]:
        stack = self._modals.get(user, [])
        action = answer.get("response_action") if isinstance(answer, dict) else None
        if action == "errors":
            view["errors"] = answer.get("errors", {})
            return {"errors": view["errors"]}
        if action in ("update", "push"):
            new = answer.get("view")
            problems = block_kit_violations(new, surface="modal") if isinstance(new, dict) else []
            if not isinstance(new, dict) or problems:
                return {"error": "invalid_arguments: " + "; ".join(problems)}
            if action == "update":
                index = stack.index(view)
                answered = self._view_answer({"view": new}, view["id"], home=False)["view"]
                answered["previous_view_id"] = view.get("previous_view_id")
                answered["root_view_id"] = view.get("root_view_id", view["id"])
                stack[index] = answered
            else:
                answered = self._view_answer({"view": new}, self._next_view_id(), home=False)
                answered["view"]["root_view_id"] = stack[0]["id"]
                stack.append(answered["view"])
            return {}
        if action == "clear":
            self._modals.pop(user, None)
            return {}
        stack[:] = stack[: stack.index(view)] if view in stack else stack
        if not stack:
            self._modals.pop(user, None)
        return {}

    async def _ui_close(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        user = self._person(str(body.get("user", "")))
        stack = self._modals.get(user.id, [])
        view_id = str(body.get("view_id", ""))
        view = next((v for v in stack if v["id"] == view_id), None)
        if view is not None:
            if view.get("notify_on_close"):
                payload = {
                    "type": "view_closed",
                    "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
                    "user": {"id": user.id, "name": user.name, "team_id": TEAM_ID},
                    "api_app_id": API_APP_ID,
                    "token": VERIFICATION_TOKEN,
                    "view": view,
                    "is_cleared": False,
                }
                await self._send(urlencode({"payload": json.dumps(payload)}))
            stack[:] = stack[: stack.index(view)]
            if not stack:
                self._modals.pop(user.id, None)
        self._bump()
        return web.json_response({"ok": True})

    async def _ui_options(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        user = self._person(str(body.get("user", "")))
        source = _object(body, "source")
        payload: dict[str, Any] = {
            "type": "block_suggestion",
            "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": TEAM_ID},
            "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
            "api_app_id": API_APP_ID,
            "token": VERIFICATION_TOKEN,
            "action_id": str(body.get("action_id", "")),
            "block_id": str(body.get("block_id", "")),
            "value": str(body.get("value", "")),
            "action_ts": f"{time.time():.6f}",
        }
        if source.get("kind") == "view":
            view = self._find_view(user.id, str(source.get("view_id")))
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = view
        else:
            channel = str(source.get("channel", ""))
            payload["container"] = {
                "type": "message",
                "message_ts": str(source.get("ts") or source.get("id") or ""),
                "channel_id": channel,
                "is_ephemeral": source.get("kind") == "ephemeral",
            }
            payload["channel"] = {"id": channel, "name": self._channel_name(channel)}
        status, answer = await self._send(urlencode({"payload": json.dumps(payload)}))
        if status != 200 or not isinstance(answer, dict):
            return web.json_response({"options": []})
        return web.json_response(
            {k: answer[k] for k in ("options", "option_groups") if k in answer}
        )

    async def _ui_home(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        user = self._person(str(body.get("user", "")))
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user.id,
            "channel": self.dm_channel_for(user.id),
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        if user.id in self._homes:
            event["view"] = self._homes[user.id]
        status, _ = await self._send(event_body(event), form=False)
        return web.json_response({"ok": status == 200})

    async def _ui_clock(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        try:
            hours = float(body.get("hours", 0))
        except (TypeError, ValueError):
            hours = -1
        if not 0 < hours <= 24 * 400:
            return web.json_response(
                {"ok": False, "error": "move the clock forward by 1 hour to 400 days"}, status=400
            )
        delta = timedelta(hours=hours)
        self.movable_clock.advance(delta)
        self._bump()
        if self.on_clock_moved is not None:
            await self.on_clock_moved(delta)
        return web.json_response({"ok": True, "now": self.movable_clock.now().isoformat()})


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="send JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="send a JSON object")
    return body


def _object(body: Mapping[str, Any], key: str) -> dict[str, Any]:
    """``body[key]``, which must be a JSON object when given (empty when not)."""
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise web.HTTPBadRequest(text=f"{key} must be a JSON object")
    return value


def _asset(name: str) -> str:
    """A file of the page, shipped inside the package."""
    return resources.files("bot.playground").joinpath("static", name).read_text("utf-8")


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")
