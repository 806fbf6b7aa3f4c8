"""A running bot over HTTP, driven the way Slack drives it.

The bot is started with ``start_bot`` on a SQLite file, listening on a free
port of 127.0.0.1, with its Web API client pointed at a
:class:`FakeSlackWebApi`. Requests are signed with the signing secret, and
every acknowledgement body is checked against Block Kit's limits, as the fake
checks every payload the bot sends to the Web API.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import aiohttp

from bot.domain.clock import FakeClock
from bot.domain.model import Benefit, Category, Role
from bot.domain.outbox import Ping, PingState
from bot.runtime.server import EVENTS_PATH, RunningBot
from tests.fakes.blockkit import block_kit_violations
from tests.fakes.signing import (
    block_actions_body,
    block_suggestion_body,
    event_body,
    shortcut_body,
    sign,
    slash_command_body,
    view_submission_body,
)
from tests.fakes.waiting import wait_until
from tests.fakes.web_api import FakeSlackWebApi, RecordedCall

SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token-0123456789"


@dataclass
class Ack:
    """What the bot answered on the HTTP request itself."""

    status: int
    body: dict[str, Any] | str

    @property
    def json(self) -> dict[str, Any]:
        assert isinstance(self.body, dict), f"not a JSON answer: {self.body!r}"
        return self.body

    @property
    def text(self) -> str:
        """The fallback text plus every section text, for assertions on wording."""
        if not isinstance(self.body, dict):
            return self.body
        return _all_text(self.body)


def _all_text(payload: Any) -> str:
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    parts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(payload)
    return "\n".join(parts)


def call_text(call: RecordedCall) -> str:
    return _all_text(call.args)


@dataclass
class SlackHarness:
    bot: RunningBot
    slack: FakeSlackWebApi
    clock: FakeClock
    session: aiohttp.ClientSession
    secret: str = SIGNING_SECRET
    ack_violations: list[str] = field(default_factory=list)
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.bot.port}{EVENTS_PATH}"

    # -- sending -------------------------------------------------------------

    async def post(
        self, body: str, *, headers: dict[str, str] | None = None, timestamp: int | None = None
    ) -> Ack:
        signed = sign(body, self.secret, timestamp) if headers is None else headers
        async with self.session.post(self.url, data=body.encode(), headers=signed) as resp:
            raw = await resp.text()
            try:
                parsed: dict[str, Any] | str = json.loads(raw) if raw.startswith("{") else raw
            except json.JSONDecodeError:
                parsed = raw
            ack = Ack(resp.status, parsed)
        if isinstance(ack.body, dict) and ("blocks" in ack.body or "view" in ack.body):
            if "view" in ack.body:
                self.ack_violations += block_kit_violations(ack.body["view"], surface="modal")
            else:
                self.ack_violations += block_kit_violations(ack.body, surface="message")
        return ack

    async def command(self, user: str, text: str, *, channel: str = "C0001") -> Ack:
        name = f"cmd-{next(self._names)}"
        body = slash_command_body(
            text=text,
            user_id=user,
            channel_id=channel,
            response_url=self.slack.response_url(name),
        )
        ack = await self.post(body)
        if ack.status == 200 and ack.body == "" and self.bot.services.receipts.enabled:
            return await self.answer_to(name, ack)
        return ack

    async def answer_to(self, name: str, ack: Ack) -> Ack:
        """The answer to a command saved as a receipt: what it sent to its response URL
        once carried out (``ack`` itself when it answered nothing there)."""
        await self.bot.services.background.drain(10)
        sent = [c for c in self.slack.calls_to("response_url") if c.args.get("_name") == name]
        if not sent:
            return ack
        answer = {k: v for k, v in sent[-1].args.items() if not k.startswith("_")}
        return Ack(200, answer)

    async def click(
        self,
        user: str,
        action_id: str,
        value: str,
        *,
        message: dict[str, Any] | None = None,
        channel: str = "C0001",
    ) -> Ack:
        name = f"click-{next(self._names)}"
        body = block_actions_body(
            user_id=user,
            action_id=action_id,
            value=value,
            message=message,
            channel_id=channel,
            response_url=self.slack.response_url(name),
        )
        return await self.post(body)

    async def click_on_home(self, user: str, action_id: str, value: str) -> Ack:
        """A click on a button of ``user``'s App Home (no channel, no response URL)."""
        body = block_actions_body(
            user_id=user,
            action_id=action_id,
            value=value,
            view={"id": f"VHOME{user}", "type": "home", "callback_id": ""},
        )
        return await self.post(body)

    async def options(self, user: str, action_id: str, block_id: str, typed: str) -> Ack:
        """Slack asking for the options of an external select while ``user`` types."""
        body = block_suggestion_body(
            user_id=user, action_id=action_id, block_id=block_id, value=typed
        )
        return await self.post(body)

    async def shortcut(self, user: str, callback_id: str) -> Ack:
        return await self.post(shortcut_body(user_id=user, callback_id=callback_id))

    async def submit(
        self,
        user: str,
        callback_id: str,
        values: dict[str, dict[str, Any]],
        *,
        private_metadata: str = "",
    ) -> Ack:
        body = view_submission_body(
            user_id=user,
            callback_id=callback_id,
            values=values,
            private_metadata=private_metadata,
        )
        return await self.post(body)

    async def event(self, event: dict[str, Any]) -> Ack:
        return await self.post(event_body(event))

    # -- state ---------------------------------------------------------------

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until the Slack calls that follow the acknowledgements are done:
        the background work, then every ping the outbox holds that is due now."""
        await self.bot.services.background.drain(timeout)
        if not await self.bot.store.ping():  # stopped or closed by the test itself
            return
        queued: list[Ping] = []

        async def nothing_due() -> bool:
            nonlocal queued
            async with self.bot.store.read() as uow:
                queued = await uow.outbox.pings(state=PingState.QUEUED, offset=0, limit=10_000)
            now = self.clock.now()
            return not any(p.due_at <= now for p in queued)

        await wait_until(
            nothing_due,
            timeout=timeout,
            what="the due pings to be sent",
            seen=lambda: f"{len(queued)} pings still queued:\n{self.slack.summary()}",
        )

    async def add_benefit(
        self,
        benefit_id: str,
        name: str,
        *,
        seats: int | None = 5,
        category: Category = Category.SOFTWARE,
    ) -> Benefit:
        benefit = Benefit(id=benefit_id, name=name, category=category, seats=seats)
        async with self.bot.store.write() as uow:
            await uow.benefits.put(benefit)
        return benefit

    async def grant(self, user: str, role: Role = Role.GLOBAL_ADMIN) -> None:
        await self.bot.services.roles.bootstrap_grant(user, role)

    async def seats_used(self, benefit_id: str) -> int:
        async with self.bot.store.read() as uow:
            return await uow.assignments.count_active(benefit_id)

    async def audit_count(self) -> int:
        async with self.bot.store.read() as uow:
            return len(await uow.audit.recent(100_000))

    def responses_to(self, ack_name_prefix: str = "") -> list[RecordedCall]:
        return [
            c
            for c in self.slack.calls_to("response_url")
            if str(c.args.get("_name", "")).startswith(ack_name_prefix)
        ]


def form_payload(call_body: str) -> dict[str, Any]:
    """Decode a ``payload=`` form body (for tests that inspect what they send)."""
    parsed: dict[str, Any] = json.loads(parse_qs(call_body)["payload"][0])
    return parsed
