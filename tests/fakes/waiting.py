"""Waiting on a condition instead of sleeping for a fixed time.

A test that sleeps "long enough" is slow on a fast machine and wrong on a slow
one. :func:`wait_until` polls a condition quickly and returns as soon as it
holds, or fails with a message saying what it waited for and what it saw.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

POLL = 0.005  # seconds between two looks
TIMEOUT = 10.0  # seconds: generous, since a passing test never waits this long


async def wait_until(
    condition: Callable[[], bool | Awaitable[bool]],
    *,
    timeout: float = TIMEOUT,
    what: str = "",
    seen: Callable[[], object] | None = None,
) -> None:
    """Return once ``condition()`` is true; fail after ``timeout`` seconds.

    ``condition`` may be a plain or an async function. ``what`` names the
    condition in the failure; ``seen()`` adds what was there instead.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        answer = condition()
        if inspect.isawaitable(answer):
            answer = await answer
        if answer:
            return
        if loop.time() >= deadline:
            message = f"Timed out after {timeout}s waiting for {what or 'the condition'}"
            if seen is not None:
                message += f"; saw: {seen()}"
            raise AssertionError(message)
        await asyncio.sleep(POLL)


async def loop_turns(count: int) -> None:
    """Let every other ready task run ``count`` steps (no wall-clock time involved)."""
    for _ in range(count):
        await asyncio.sleep(0)
