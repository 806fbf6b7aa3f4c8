"""A local fake of Slack's Socket Mode WebSocket endpoint.

Slack's side of the protocol: on connect it sends ``{"type": "hello", ...}``; it delivers
envelopes ``{"envelope_id", "type", "payload", "accepts_response_payload"}`` and expects the
app to send back ``{"envelope_id": ..., "payload": ...?}`` within 3 seconds; it may send
``{"type": "disconnect", "reason": ...}`` asking the client to reconnect.  Pings from the client
(slack-sdk sends ``sdk-ping-pong:<time>`` pings and measures staleness by their pongs) are
answered with pongs carrying the same data.

Give the URL to the fake Web API (``slack.socket_url = sm.url``) so that
``apps.connections.open`` hands it to the client.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any, Literal

from aiohttp import WSCloseCode, WSMsgType, web

from tests.fakes.loopback import LoopbackServer

_END_OF_STREAM = frozenset({WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR})

EnvelopeType = Literal["slash_commands", "interactive", "events_api"]


class FakeSocketModeServer(LoopbackServer):
    """An aiohttp WebSocket server on 127.0.0.1 speaking Slack's Socket Mode protocol."""

    scheme = "ws"

    def __init__(self, *, app_id: str = "A0001", send_hello: bool = True) -> None:
        super().__init__()
        self.app_id = app_id
        self.send_hello = send_hello
        self.received: list[dict[str, Any]] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.pings_received = 0
        self.connections_total = 0
        self._connections: list[web.WebSocketResponse] = []
        self._changed = asyncio.Condition()
        self._envelope_ids = itertools.count(1)

    # -- lifecycle ----------------------------------------------------------------------------

    def _routes(self, app: web.Application) -> None:
        app.router.add_get("/link/", self._handle_ws)

    async def _before_stop(self) -> None:
        await self.close_connections()

    @property
    def url(self) -> str:
        """``ws://127.0.0.1:<port>/link/?ticket=...&app_id=...`` like Slack's wss URL."""
        if self._root is None:
            raise RuntimeError("FakeSocketModeServer is not started")
        return f"{self._root}/link/?ticket=fake-ticket&app_id={self.app_id}"

    @property
    def connected(self) -> bool:
        return any(not ws.closed for ws in self._connections)

    # -- protocol -----------------------------------------------------------------------------

    def _hello(self) -> dict[str, Any]:
        return {
            "type": "hello",
            "num_connections": len(self._connections),
            "debug_info": {
                "host": "applink-fake",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _handle_ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        self._connections.append(ws)
        self.connections_total += 1
        try:
            if self.send_hello:
                await ws.send_json(self._hello())
            await self._notify()
            while True:
                msg = await ws.receive()
                if msg.type == WSMsgType.PING:
                    self.pings_received += 1
                    await ws.pong(msg.data)
                elif msg.type == WSMsgType.TEXT:
                    await self._on_text(msg.data)
                elif msg.type in _END_OF_STREAM:
                    break
        finally:
            self._connections.remove(ws)
            if not ws.closed:
                await ws.close()
            await self._notify()
        return ws

    async def _on_text(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            message = {"_raw": data}
        if not isinstance(message, dict):
            message = {"_raw": message}
        self.received.append(message)
        envelope_id = message.get("envelope_id")
        if isinstance(envelope_id, str):
            self.acks[envelope_id] = message
        await self._notify()

    async def _wait(self, predicate: Any, timeout: float, what: str) -> None:
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(predicate)
        except TimeoutError:
            raise AssertionError(
                f"Timed out after {timeout}s waiting for {what} "
                f"(connections so far: {self.connections_total}, "
                f"messages received: {json.dumps(self.received)[:500]})"
            ) from None

    async def wait_connected(self, timeout: float = 5.0) -> None:
        """Wait until a client is connected (and has been sent ``hello``)."""
        await self._wait(lambda: self.connected, timeout, "a Socket Mode connection")

    async def wait_connections(self, count: int, timeout: float = 5.0) -> None:
        """Wait until ``count`` connections were made in total (e.g. after a reconnect)."""
        await self._wait(
            lambda: self.connections_total >= count and self.connected,
            timeout,
            f"{count} Socket Mode connection(s)",
        )

    def _current(self) -> web.WebSocketResponse:
        for ws in reversed(self._connections):
            if not ws.closed:
                return ws
        raise AssertionError("no Socket Mode client is connected")

    async def send_envelope(
        self,
        type: EnvelopeType,
        payload: dict[str, Any],
        envelope_id: str | None = None,
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        timeout: float = 5.0,
    ) -> str:
        """Deliver an envelope to the newest connection and return its envelope id.

        ``accepts_response_payload`` defaults to Slack's behaviour: true for slash commands
        and interactivity, false for Events API envelopes (which also carry
        ``retry_attempt``/``retry_reason``).
        """
        await self.wait_connected(timeout)
        envelope_id = envelope_id or f"fake-envelope-{next(self._envelope_ids):06d}"
        if accepts_response_payload is None:
            accepts_response_payload = type != "events_api"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if type == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        await self._current().send_json(envelope)
        return envelope_id

    async def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Return the acknowledgement ``{"envelope_id": ..., "payload": ...?}`` the app sent."""
        await self._wait(lambda: envelope_id in self.acks, timeout, f"the ack of {envelope_id}")
        return self.acks[envelope_id]

    async def send_disconnect(self, reason: str = "warning") -> None:
        """Ask the client to reconnect, as Slack does before rotating a connection."""
        await self._current().send_json(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
        )

    async def close_connections(self) -> None:
        """Close every open connection (going away)."""
        for ws in list(self._connections):
            if not ws.closed:
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
