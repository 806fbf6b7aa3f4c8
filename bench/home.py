"""The App Home and the benefit picker: how long people wait for them.

``python -m bench.home`` measures, each beside a baseline from the same run:

1. ``app_home_opened`` of a Global admin with 200 pending requests, 1,000
   benefits and 20 seats of their own: the time from sending the signed event to
   the arrival of the bot's ``views.publish`` at the fake Slack Web API, p50 and
   p99, next to a bare Bolt app (same aiohttp adapter) whose listener publishes
   a fixed view (the very Home the bot renders, built once) after the same
   acknowledgement -- target p50 and p99 <= 300 ms;
2. the options of the Request a benefit picker over those 1,000 benefits
   (``block_suggestion``, typed text of several shapes: nothing, a start, a word
   inside names, a typo), the HTTP answer being the options, next to a bare Bolt
   app answering a fixed list of 100 options -- target p99 <= 100 ms;
3. for reading: ``HomeService.home_of`` plus the builder alone (no HTTP, no Slack).

Everything runs in this one process and event loop (the bot as ``start_bot``
starts it, on a SQLite file; the baseline app; the fake Slack; the client),
taking turns round by round, so noise falls on both alike and the ratios mean
more than the milliseconds. The exit code is 1 only when something failed (an
answer that is not HTTP 200, a Home that never arrived, a view over 100 blocks);
a missed target is reported as MISS. ``--quick`` is the smoke run of
``tests/system``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench.ack.run import out
from bench.ack.servers import BenchSlack
from bench.figures import finish, ms, percentile, verdict
from bot.blocks import ids
from bot.blocks.home import home_view
from bot.blocks.picker import options_payload
from bot.domain.clock import SystemClock
from bot.domain.model import Benefit, Category, Level, Membership, MessageRef, Role
from bot.runtime.bootstrap import build_services
from bot.runtime.server import EVENTS_PATH, RunningBot, start_bot, web_application
from bot.settings import Settings
from storage import open_store
from storage.sqlite import throwaway_store
from tests.fakes.signing import block_suggestion_body, event_body, sign

SIGNING_SECRET: Final = "bench-home-signing-secret-0123456789"
BOT_TOKEN: Final = "xoxb-bench-home-bot"
FLOOR_TOKEN: Final = "xoxb-bench-home-floor"
ADMIN: Final = "UBENCHADMIN"
HOME_TARGET_MS: Final = 300.0
OPTIONS_TARGET_MS: Final = 100.0
TYPED: Final = ("", "visual", "benefit 04", "software", "benefti 0123", "studio ent", "b0")
CATEGORIES: Final = (Category.SOFTWARE, Category.CLOUD, Category.VISUAL_STUDIO)


@dataclass(frozen=True)
class Sizes:
    benefits: int
    pending: int
    holdings: int
    homes: int
    options: int
    warmup: int
    rounds: int


async def build_database(path: Path, sizes: Sizes) -> None:
    """The inventory, one Global admin with seats of their own, and the pending requests."""
    store = await open_store(f"sqlite:///{path}")
    try:
        now = SystemClock().now()
        async with store.write() as uow:
            await uow.membership.put(
                Membership(
                    Level.GOLD,
                    now.date() - timedelta(days=100),
                    now.date() + timedelta(days=265),
                    "partner@example.com",
                )
            )
            for n in range(sizes.benefits):
                await uow.benefits.put(
                    Benefit(
                        id=f"b{n:05d}",
                        name=f"Benefit {n:04d} {CATEGORIES[n % 3].value.replace('_', ' ')}",
                        category=CATEGORIES[n % 3],
                        seats=10 + n % 7,
                    )
                )
            for n in range(sizes.pending):
                request = await uow.requests.add(
                    benefit_id=f"b{n:05d}",
                    requester_id=f"U{n + 1:08d}",
                    reason=f"for project {n}",
                    created_at=now - timedelta(minutes=sizes.pending - n),
                )
                # posted already: the bot does not post them again while it is measured
                await uow.requests.add_messages(
                    request.id, [MessageRef("DBENCHADMIN", f"1700000000.{n:06d}")]
                )
            for n in range(sizes.holdings):
                await uow.assignments.add(
                    benefit_id=f"b{sizes.benefits - 1 - n:05d}",
                    user_id=ADMIN,
                    assigned_at=now,
                    assigned_by="UOPERATOR",
                )
        services = build_services(store, clock=SystemClock())
        await services.roles.bootstrap_grant(ADMIN, Role.GLOBAL_ADMIN)
    finally:
        await store.close()


async def fixed_home(path: Path) -> dict[str, Any]:
    """The admin's Home as the bot renders it: the baseline publishes this view."""
    store = await open_store(f"sqlite:///{path}")
    try:
        services = build_services(store, clock=SystemClock())
        return home_view(await services.home.home_of(ADMIN))
    finally:
        await store.close()


async def time_home_of(path: Path, runs: int) -> list[float]:
    store = await open_store(f"sqlite:///{path}")
    try:
        services = build_services(store, clock=SystemClock())
        times: list[float] = []
        for _ in range(runs):
            start = time.perf_counter()
            home_view(await services.home.home_of(ADMIN))
            times.append(time.perf_counter() - start)
        return times
    finally:
        await store.close()


async def start_floor(api_url: str, view: dict[str, Any], options: dict[str, Any]) -> web.AppRunner:
    """A bare Bolt app: on app_home_opened it publishes ``view``; options are fixed."""
    app = AsyncApp(
        signing_secret=SIGNING_SECRET,
        client=AsyncWebClient(token=FLOOR_TOKEN, base_url=api_url),
        process_before_response=True,
    )
    tasks: set[asyncio.Task[Any]] = set()

    async def on_home(event: dict[str, Any], client: AsyncWebClient) -> None:
        task = asyncio.create_task(client.views_publish(user_id=event["user"], view=view))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def on_options(ack: AsyncAck) -> None:
        await ack(**options)

    app.event("app_home_opened")(on_home)
    app.options(ids.REQUEST_BENEFIT_INPUT)(on_options)
    runner = web.AppRunner(web_application(app=app, store=throwaway_store()))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


def port_of(runner: web.AppRunner) -> int:
    return int(runner.addresses[0][1])


async def home_latency(
    session: aiohttp.ClientSession, url: str, slack: BenchSlack, token: str, errors: list[str]
) -> float:
    """Send one app_home_opened; seconds until its views.publish reached the fake Slack."""
    before = len(slack.calls)
    body = event_body({"type": "app_home_opened", "user": ADMIN, "tab": "home"})
    headers = sign(body, SIGNING_SECRET)
    start = time.monotonic()
    async with session.post(url, data=body.encode(), headers=headers) as resp:
        await resp.read()
        if resp.status != 200:
            errors.append(f"app_home_opened answered HTTP {resp.status}")
    deadline = start + 10.0
    while time.monotonic() < deadline:
        for call in slack.calls[before:]:
            if call.method == "views.publish" and call.token == token:
                blocks = len(call.args.get("view", {}).get("blocks", []))
                if blocks > 100:
                    errors.append(f"a Home of {blocks} blocks")
                return call.at - start
        await asyncio.sleep(0.0005)
    errors.append("a Home never arrived")
    return 10.0


async def options_latency(
    session: aiohttp.ClientSession, url: str, typed: str, errors: list[str]
) -> float:
    body = block_suggestion_body(
        user_id=ADMIN,
        action_id=ids.REQUEST_BENEFIT_INPUT,
        block_id=ids.REQUEST_BENEFIT_BLOCK,
        value=typed,
    )
    headers = sign(body, SIGNING_SECRET)
    start = time.perf_counter()
    async with session.post(url, data=body.encode(), headers=headers) as resp:
        answer = await resp.read()
        elapsed = time.perf_counter() - start
        if resp.status != 200 or not answer.startswith(b"{"):
            errors.append(f"options answered HTTP {resp.status}")
    return elapsed


async def turns(
    rounds: int,
    count: int,
    bot: Callable[[int], Awaitable[float]],
    floor: Callable[[int], Awaitable[float]],
) -> tuple[list[float], list[float]]:
    """``count`` samples of each, in ``rounds`` rounds taking turns (floor first, then bot)."""
    mine: list[float] = []
    base: list[float] = []
    per_round = max(count // rounds, 1)
    for number in range(rounds):
        order = (floor, bot) if number % 2 == 0 else (bot, floor)
        for which in order:
            for i in range(per_round):
                sample = await which(number * per_round + i)
                (base if which is floor else mine).append(sample)
    return mine, base


def report(
    what: str, mine: Sequence[float], base: Sequence[float], baseline: str, target: str
) -> None:
    out(
        f"{what}  p50 {ms(percentile(mine, 0.5))}  p99 {ms(percentile(mine, 0.99))}"
        f"   baseline {baseline} p50 {ms(percentile(base, 0.5))}"
        f" p99 {ms(percentile(base, 0.99))}"
        f"   ratio p50 {percentile(mine, 0.5) / percentile(base, 0.5):6.2f}"
        f" p99 {percentile(mine, 0.99) / percentile(base, 0.99):6.2f}   {target}"
    )


async def benchmark(sizes: Sizes) -> int:
    errors: list[str] = []
    out(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; "
        f"{sizes.benefits} benefits, {sizes.pending} pending requests, "
        f"{sizes.holdings} seats of the Global admin"
    )
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "home.db"
        await build_database(path, sizes)
        view = await fixed_home(path)
        out(f"the Global admin's Home: {len(view['blocks'])} blocks")
        if len(view["blocks"]) > 100:
            errors.append("the Home is over 100 blocks")
        inside = await time_home_of(path, sizes.homes)
        out(
            f"home_of + builder alone  p50 {ms(percentile(inside, 0.5))}"
            f"  p99 {ms(percentile(inside, 0.99))}"
        )
        fixed_options = options_payload([])
        async with BenchSlack() as slack:
            settings = Settings(
                slack_bot_token=BOT_TOKEN,
                slack_signing_secret=SIGNING_SECRET,
                slack_app_token=None,
                slack_api_url=slack.api_url,
                database_url=f"sqlite:///{path}",
                port=0,
                benefits_host="127.0.0.1",
                benefits_admin_channel=None,
            )
            bot: RunningBot = await start_bot(settings, clock=SystemClock())
            services = bot.services
            fixed_options = options_payload(await services.picker.options(""))
            floor = await start_floor(slack.api_url, view, fixed_options)
            bot_url = f"http://127.0.0.1:{bot.port}{EVENTS_PATH}"
            floor_url = f"http://127.0.0.1:{port_of(floor)}{EVENTS_PATH}"
            try:
                async with aiohttp.ClientSession() as session:

                    async def bot_home(_: int) -> float:
                        return await home_latency(session, bot_url, slack, BOT_TOKEN, errors)

                    async def floor_home(_: int) -> float:
                        return await home_latency(session, floor_url, slack, FLOOR_TOKEN, errors)

                    async def bot_options(i: int) -> float:
                        return await options_latency(
                            session, bot_url, TYPED[i % len(TYPED)], errors
                        )

                    async def floor_options(i: int) -> float:
                        typed = TYPED[i % len(TYPED)]
                        return await options_latency(session, floor_url, typed, errors)

                    await turns(1, sizes.warmup, bot_home, floor_home)
                    await turns(1, sizes.warmup, bot_options, floor_options)
                    mine, base = await turns(sizes.rounds, sizes.homes, bot_home, floor_home)
                    target = f"target p50, p99 <= {HOME_TARGET_MS:.0f} ms  " + verdict(
                        percentile(mine, 0.99) * 1000 <= HOME_TARGET_MS
                    )
                    report(
                        f"home published ({sizes.pending} pending, {sizes.benefits} benefits)",
                        mine,
                        base,
                        "bare Bolt publishing a fixed view",
                        target,
                    )
                    mine, base = await turns(
                        sizes.rounds, sizes.options, bot_options, floor_options
                    )
                    target = f"target p99 <= {OPTIONS_TARGET_MS:.0f} ms  " + verdict(
                        percentile(mine, 0.99) * 1000 <= OPTIONS_TARGET_MS
                    )
                    report(
                        f"picker options over {sizes.benefits} benefits",
                        mine,
                        base,
                        "bare Bolt fixed options",
                        target,
                    )
            finally:
                await floor.cleanup()
                await bot.stop(timeout=5)
    return finish(errors)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.home",
        description="The App Home's publication and the benefit picker's options.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--benefits", type=int, help="the inventory (default 1000)")
    parser.add_argument("--pending", type=int, help="pending requests (default 200)")
    args = parser.parse_args(argv)
    quick = bool(args.quick)
    sizes = Sizes(
        benefits=args.benefits or 1000,
        pending=args.pending or 200,
        holdings=20,
        homes=20 if quick else 300,
        options=28 if quick else 700,
        warmup=3 if quick else 20,
        rounds=2 if quick else 4,
    )
    if sizes.pending > sizes.benefits or sizes.holdings > sizes.benefits:
        parser.error("--pending must not exceed --benefits")
    return asyncio.run(benchmark(sizes))


if __name__ == "__main__":
    sys.exit(main())
