"""The three servers of a run, each started as ``python -m bench.ack --serve NAME``.

* ``slack``: the fake Web API of ``tests/fakes`` (without its Block Kit checks,
  which cost time), which also notes when each call *arrived*, so the bench can
  time the follow-ups of a request to the moment Slack had them. The bench
  reads those times with the extra method ``bench.arrivals``; every other
  answer is the fake's own.
* ``bot``: ``start_bot`` in HTTP mode, as ``benefits-bot run`` starts it, on
  the run's database (SQLite, or PostgreSQL where ``--replicas`` of them
  share one schema).
* ``floor``: a bare Bolt ``AsyncApp`` behind the same aiohttp adapter whose
  listeners only ``ack()``; when a request carries ``X-Bench-Follow-Ups: 1``
  they then make the fewest Slack calls the same request needs (the page
  through the response URL, the approval request to the admin, the request
  message's update and the requester's DM), at once. The bench sends such
  requests in a pass of their own, so the floor's acknowledgements stay the
  bare minimum.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import time
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from bench.ack.plan import ADMIN
from tests.fakes.web_api import RESPONSE_URL, FakeSlackWebApi, RecordedCall

if TYPE_CHECKING:
    from bench.ack.probe import Probe

SIGNING_SECRET: Final = "bench-signing-secret-0123456789"
BOT_TOKEN: Final = "xoxb-bench-0123456789"
FLOOR_TOKEN: Final = "xoxb-bench-floor-0123456789"
ARRIVALS_METHOD: Final = "bench.arrivals"
READY: Final = "READY"
FOLLOW_UPS_HEADER: Final = "X-Bench-Follow-Ups"
ASKS_FOR: Final = re.compile(r"<@([A-Z0-9]+)> asks for")


def arrival_of(call: RecordedCall) -> tuple[str, str] | None:
    """Which server made ``call`` and which follow-up it is, or None when it is neither."""
    if call.failed:
        return None
    args = call.args
    if call.method == RESPONSE_URL:
        name = str(args.get("_name", ""))
        tag = name.rsplit("-", 1)[-1]
        return (tag, f"response:{name}") if tag in ("bot", "floor") else None
    server = {BOT_TOKEN: "bot", FLOOR_TOKEN: "floor"}.get(call.token or "")
    if server is None:
        return None
    if call.method == "chat.update":
        return server, f"update:{args.get('ts')}"
    if call.method == "chat.postMessage":
        metadata = args.get("metadata")
        payload = metadata.get("event_payload") if isinstance(metadata, Mapping) else None
        key = str(payload.get("key", "")) if isinstance(payload, Mapping) else ""
        if key.startswith("decision:"):
            return server, "dm:" + key.removeprefix("decision:")
        asks = ASKS_FOR.match(str(args.get("text", "")))
        if asks is not None:
            return server, f"posted:{asks.group(1)}"
    return server, call.method


class BenchSlack(FakeSlackWebApi):
    """The fake Web API without Block Kit checks, noting when each call arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[tuple[str, str, float]] = []

    def _check_blocks(self, method: str, args: Mapping[str, Any]) -> list[str]:
        return []

    async def _record(self, call: RecordedCall) -> None:
        arrived = time.monotonic()  # CLOCK_MONOTONIC: the same clock in every process
        found = arrival_of(call)
        if found is not None:
            self.arrivals.append((found[0], found[1], arrived))
        self.calls.append(call)

    def _m_bench_arrivals(self, args: dict[str, Any]) -> dict[str, Any]:
        """The arrivals from index ``since`` on: ``[[server, key, monotonic time], …]``."""
        since = int(str(args.get("since", "0")) or 0)
        return {"ok": True, "arrivals": self.arrivals[since:], "next": len(self.arrivals)}


def announce(value: object) -> None:
    print(f"{READY} {value}", flush=True)


async def until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def serve_slack() -> None:
    slack = BenchSlack()
    await slack.start()
    announce(slack.api_url)
    try:
        await until_stopped()
    finally:
        await slack.stop()


async def serve_bot(args: argparse.Namespace, probe: Probe | None) -> None:
    from pydantic import SecretStr

    from bot.domain.clock import SystemClock
    from bot.runtime.server import start_bot
    from bot.settings import Settings

    settings = Settings(
        slack_bot_token=SecretStr(BOT_TOKEN),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_app_token=None,
        slack_api_url=args.api_url,
        database_url=args.db_url,
        port=args.port,
        benefits_host="127.0.0.1",
        benefits_admin_channel=None,
        # The fake Slack sets no rate limit: pacing out of the way, so the outbox's
        # follow-ups finish between rounds instead of at Slack's one a second.
        benefits_slack_messages_per_second=10_000,
        benefits_slack_burst=10_000,
    )
    if probe is not None:
        probe.install_storage()  # before the store opens its connections
    bot = await start_bot(settings, clock=SystemClock())
    if probe is not None:
        probe.install(bot.app)
    announce(bot.port)
    try:
        await until_stopped()
    finally:
        await bot.stop(timeout=settings.shutdown_timeout)


async def serve_floor(args: argparse.Namespace, probe: Probe | None) -> None:
    from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltRequest, AsyncRespond
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.blocks import ids
    from bot.runtime.server import web_application
    from storage.sqlite import throwaway_store

    app = AsyncApp(
        signing_secret=SIGNING_SECRET,
        client=AsyncWebClient(token=FLOOR_TOKEN, base_url=args.api_url),
        process_before_response=True,
    )
    tasks: set[asyncio.Task[Any]] = set()

    def after_ack(work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(work)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def follow_ups_of(request: AsyncBoltRequest) -> str:
        return str(next(iter(request.headers.get(FOLLOW_UPS_HEADER.lower(), [""]))))

    def follows_up(request: AsyncBoltRequest) -> bool:
        return follow_ups_of(request) in ("1", "answer")

    async def on_command(
        ack: AsyncAck,
        command: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        request: AsyncBoltRequest,
    ) -> None:
        await ack()
        text = str(command.get("text", ""))
        if follows_up(request) and text.startswith("request "):
            requester = command["user_id"]
            after_ack(
                client.chat_postMessage(
                    channel=ADMIN, text=f"<@{requester}> asks for {text.removeprefix('request ')}"
                )
            )
            if follow_ups_of(request) == "answer":  # the bot answers at the response URL
                after_ack(respond(response_type="ephemeral", text="Your request was sent."))

    async def on_page(
        ack: AsyncAck, action: dict[str, Any], respond: AsyncRespond, request: AsyncBoltRequest
    ) -> None:
        await ack()
        if not follows_up(request):
            return
        after_ack(
            respond(
                replace_original=True, response_type="ephemeral", text=f"page {action['value']}"
            )
        )

    async def decided(client: AsyncWebClient, channel: str, ts: str, request: str) -> None:
        metadata = {
            "event_type": "benefits_reminder",
            "event_payload": {"key": f"decision:{request}"},
        }
        await asyncio.gather(
            client.chat_update(channel=channel, ts=ts, text=f"Request {request}: approved"),
            client.chat_postMessage(channel=ADMIN, text="Approved", metadata=metadata),
        )

    async def on_approve(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        request: AsyncBoltRequest,
    ) -> None:
        await ack()
        if not follows_up(request):
            return
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id", "")
        after_ack(decided(client, channel, str(message.get("ts", "")), str(action["value"])))

    app.command(ids.COMMAND)(on_command)
    app.action(ids.APPROVE)(on_approve)
    app.action(ids.LIST_NEXT)(on_page)
    if probe is not None:
        probe.install(app)
    runner = web.AppRunner(
        web_application(app=app, store=throwaway_store()), access_log=None, handle_signals=False
    )
    await runner.setup()
    site = web.TCPSite(runner, host="127.0.0.1", port=args.port)
    await site.start()
    announce(runner.addresses[0][1])
    try:
        await until_stopped()
    finally:
        await runner.cleanup()
        if tasks:
            await asyncio.wait(set(tasks), timeout=10)
