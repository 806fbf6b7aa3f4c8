"""Work that runs after Slack has been answered, tracked so shutdown can wait for it.

Acknowledgements come first. Work that nobody waits for (waking the outbox's
delivery loop after a change queued messages) can be *deferred*: it waits until
the bot has had no new request for ``quiet`` seconds, or at most ``max_delay``
seconds, so that under a burst of clicks the acknowledgements are not queued
behind Web API calls.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

QUIET = 0.005  # seconds without a new request before deferred work starts
MAX_DELAY = 1.0  # seconds deferred work waits at most


class Background:
    """Tasks made after the acknowledgement: Slack calls, posted or deferred."""

    def __init__(self, *, quiet: float = QUIET, max_delay: float = MAX_DELAY) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._deferred: deque[tuple[float, str, Coroutine[Any, Any, Any]]] = deque()
        self._releaser: asyncio.Task[None] | None = None
        self._quiet = quiet
        self._max_delay = max_delay
        self._last_request = 0.0
        self._flushing = False
        self._calls: set[str] = set()

    def spawn(
        self, work: Coroutine[Any, Any, Any], *, name: str = "", deferred: bool = False
    ) -> None:
        """Run ``work`` now, or (``deferred``) once requests quieten down."""
        if deferred and not self._flushing:
            loop = asyncio.get_running_loop()
            self._deferred.append((loop.time(), name, work))
            if self._releaser is None or self._releaser.done():
                self._releaser = loop.create_task(self._release(), name="deferred work")
            return
        task = asyncio.create_task(work, name=name or None)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def call_later(self, name: str, callback: Callable[[], None]) -> None:
        """Call ``callback`` as deferred work; calls with one ``name`` before then coalesce."""
        if name in self._calls:
            return
        self._calls.add(name)

        async def call() -> None:
            self._calls.discard(name)
            callback()

        self.spawn(call(), name=name, deferred=True)

    def request_arrived(self) -> None:
        """Note an incoming request: deferred work waits for a quiet moment."""
        self._last_request = asyncio.get_running_loop().time()

    async def quiet_moment(self, *, since: float) -> None:
        """Wait until the bot has had no new request for ``quiet`` seconds, or until
        ``max_delay`` after ``since`` (a loop time), whichever comes first."""
        loop = asyncio.get_running_loop()
        while not self._flushing:
            now = loop.time()
            wait = min(self._last_request + self._quiet - now, since + self._max_delay - now)
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    async def _release(self) -> None:
        loop = asyncio.get_running_loop()
        while self._deferred:
            now = loop.time()
            oldest = self._deferred[0][0]
            wait = min(self._last_request + self._quiet - now, oldest + self._max_delay - now)
            if wait > 0 and not self._flushing:
                await asyncio.sleep(wait)
                continue
            while self._deferred:
                _, name, work = self._deferred.popleft()
                self.spawn(work, name=name)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error(
                "background task %s failed: %s",
                task.get_name(),
                type(error).__name__,
                exc_info=error,
            )

    @property
    def pending(self) -> int:
        return len(self._tasks) + len(self._deferred)

    async def drain(self, timeout: float | None = None) -> None:
        """Start deferred work now and wait until every task (and any task they
        start) is done, or ``timeout`` passes."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        self._flushing = True
        try:
            while self._deferred or self._tasks:
                while self._deferred:
                    _, name, work = self._deferred.popleft()
                    self.spawn(work, name=name)
                remaining = None if deadline is None else deadline - loop.time()
                if remaining is not None and remaining <= 0:
                    break
                await asyncio.wait(set(self._tasks), timeout=remaining)
        finally:
            self._flushing = False
