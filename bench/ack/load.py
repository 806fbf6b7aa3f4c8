"""The load generator's tools: the server subprocesses, sending signed requests, and
reading back from the fake Slack when each follow-up arrived."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import aiohttp

from bench.ack.plan import Item
from bench.ack.servers import (
    ARRIVALS_METHOD,
    BOT_TOKEN,
    FOLLOW_UPS_HEADER,
    READY,
    SIGNING_SECRET,
)
from tests.fakes.signing import sign

ROOT: Final = Path(__file__).resolve().parents[2]
EVENTS_PATH: Final = "/slack/events"
HEALTH_PATH: Final = "/healthz"
REQUEST_TIMEOUT: Final = 30.0
PHASE_HEADER: Final = "X-Bench-Phase"
START_TIMEOUT: Final = 60.0
STOP_TIMEOUT: Final = 30.0
FOLLOW_UP_TIMEOUT: Final = 60.0
ARRIVALS_POLL: Final = 0.02


@dataclass
class Run:
    """One server's answers to one batch of requests (of one kind, or of the mix)."""

    server: str
    kind: str
    mode: str
    latencies: list[float] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)  # each request's kind (for the mix)
    follow_ups: list[float] = field(default_factory=list)
    follow_up_parts: list[str] = field(default_factory=list)
    wall: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.count / self.wall if self.wall > 0 else 0.0

    def latencies_of(self, part: str | None) -> list[float]:
        if part is None:
            return self.latencies
        return [v for v, p in zip(self.latencies, self.parts, strict=True) if p == part]

    def follow_ups_of(self, part: str | None) -> list[float]:
        if part is None:
            return self.follow_ups
        return [v for v, p in zip(self.follow_ups, self.follow_up_parts, strict=True) if p == part]


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(math.ceil(q * len(ordered)), 1)
    return ordered[rank - 1]


Outcome = tuple[int, bytes] | str


def check_answer(outcome: Outcome, *, expect_blocks: bool) -> str | None:
    """What is wrong with one answer, or None."""
    if isinstance(outcome, str):
        return outcome
    status, body = outcome
    if status != 200:
        return f"HTTP {status}: {body[:200]!r}"
    if not expect_blocks:
        return None
    try:
        payload = json.loads(body)
    except ValueError:
        return f"not JSON: {body[:200]!r}"
    if not isinstance(payload, dict) or not payload.get("blocks"):
        return f"no blocks in the acknowledgement: {body[:200]!r}"
    return None


@dataclass
class Sent:
    """A batch as one server saw it: when each request left, how long its answer took."""

    items: Sequence[Item]
    started: list[float]
    latencies: list[float]
    outcomes: list[Outcome]
    wall: float


async def drive(
    session: aiohttp.ClientSession,
    urls: Sequence[str],
    server: str,
    items: Sequence[Item],
    *,
    concurrency: int,
    phase: str | None = None,
    before_cold: Callable[[], Awaitable[None]] | None = None,
    follow_ups: bool = False,
) -> Sent:
    """Send every item (signed before the clock starts), ``concurrency`` in flight.

    Item ``i`` goes to ``urls[i % len(urls)]``: one URL per replica of the
    server, taken round-robin as a load balancer would.

    With ``phase`` each request tells the server's probe its phase and kind in
    a header (``--profile``); with ``follow_ups`` the floor makes the Slack
    calls that follow each request. A cold item is sent right after
    ``before_cold()`` committed a write (not timed). Answers are checked
    afterwards, so checking costs no time here.
    """
    if isinstance(urls, str):  # a str is a Sequence[str] too: one URL per character
        raise TypeError("drive() takes a list of URLs, one per replica")
    signed: list[tuple[bytes, dict[str, str]]] = []
    for item in items:
        body = item.body_for(server)
        headers = sign(body, SIGNING_SECRET)
        if phase is not None:
            headers[PHASE_HEADER] = f"{phase}|{item.label}"
        if follow_ups:
            # "answer": the bot answers this one at its response URL; so does the floor
            answered = any(key.startswith("response:") for key in item.follow_ups)
            headers[FOLLOW_UPS_HEADER] = "answer" if answered else "1"
        signed.append((body.encode(), headers))
    started = [0.0] * len(signed)
    latencies = [0.0] * len(signed)
    outcomes: list[Outcome] = ["not sent"] * len(signed)
    indexes = iter(range(len(signed)))

    async def worker() -> None:
        for i in indexes:
            if items[i].cold and before_cold is not None:
                await before_cold()
            data, headers = signed[i]
            url = urls[i % len(urls)]
            started[i] = time.monotonic()
            try:
                async with session.post(url, data=data, headers=headers) as response:
                    body = await response.read()
                    outcomes[i] = (response.status, body)
            except (aiohttp.ClientError, TimeoutError) as error:
                outcomes[i] = f"{type(error).__name__}: {error}"
            latencies[i] = time.monotonic() - started[i]

    began = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(max(min(concurrency, len(signed)), 1))))
    return Sent(items, started, latencies, outcomes, time.monotonic() - began)


class Arrivals:
    """When the fake Slack received each follow-up, read through ``bench.arrivals``.

    The fake notes ``time.monotonic()`` (CLOCK_MONOTONIC, shared by every
    process of the machine) when a call arrives; the bench compares it with
    the moment it sent the request.
    """

    def __init__(self, session: aiohttp.ClientSession, api_url: str) -> None:
        self._session = session
        self._url = api_url + ARRIVALS_METHOD
        self._next = 0
        self.seen: dict[tuple[str, str], float] = {}
        self.counts: dict[tuple[str, str], int] = {}

    async def fetch(self) -> None:
        async with self._session.post(
            self._url,
            data={"since": str(self._next)},
            headers={"Authorization": f"Bearer {BOT_TOKEN}"},
        ) as response:
            payload = await response.json()
        for server, key, arrived in payload.get("arrivals", []):
            self.seen.setdefault((str(server), str(key)), float(arrived))
            method = str(key).partition(":")[0]
            self.counts[(str(server), method)] = self.counts.get((str(server), method), 0) + 1
        self._next = int(payload.get("next", self._next))

    async def wait_for(self, server: str, keys: Sequence[str]) -> list[str]:
        """Wait until every key arrived from ``server`` (or the timeout); the missing ones."""
        deadline = time.monotonic() + FOLLOW_UP_TIMEOUT
        while True:
            await self.fetch()
            missing = [key for key in keys if (server, key) not in self.seen]
            if not missing or time.monotonic() > deadline:
                return missing
            await asyncio.sleep(ARRIVALS_POLL)


@dataclass
class Child:
    """A server started as ``python -m bench.ack --serve NAME``."""

    name: str
    process: asyncio.subprocess.Process
    log: Path
    ready: str = ""

    @classmethod
    async def start(
        cls, role: str, options: Sequence[str], workdir: Path, *, name: str | None = None
    ) -> Child:
        """``python -m bench.ack --serve ROLE``, called ``name`` (default: the role) in
        its log file and in messages (the bot's replicas: ``bot-1``, ``bot-2`` …)."""
        name = name or role
        log = workdir / f"{name}.log"
        with log.open("wb") as log_file:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.ack",
                "--serve",
                role,
                *options,
                cwd=ROOT,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=log_file,
                env={**os.environ, "PYTHONPATH": _python_path()},
            )
        child = cls(name, process, log)
        assert process.stdout is not None
        try:
            async with asyncio.timeout(START_TIMEOUT):
                while True:
                    line = (await process.stdout.readline()).decode().strip()
                    if not line:
                        raise RuntimeError(f"the {name} server exited before it was ready")
                    if line.startswith(READY + " "):
                        child.ready = line.removeprefix(READY + " ")
                        break
        except (TimeoutError, RuntimeError) as error:
            await child.stop()
            raise RuntimeError(f"{error or 'timed out'}\n{child.log_tail()}") from None
        return child

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return f"({self.name}: no log)"
        return "\n".join(f"  {self.name}| {line}" for line in text[-lines:])

    async def stop(self) -> int:
        """SIGTERM, then wait (SIGKILL after STOP_TIMEOUT); the exit code."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(STOP_TIMEOUT):
                    await self.process.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        return self.process.returncode or 0


def _python_path() -> str:
    current = os.environ.get("PYTHONPATH")
    return str(ROOT) if not current else f"{ROOT}{os.pathsep}{current}"


async def wait_healthy(session: aiohttp.ClientSession, base: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            async with session.get(base + HEALTH_PATH) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{base}{HEALTH_PATH} did not answer 200")
        await asyncio.sleep(0.1)
