"""Work after the acknowledgement: run now, or deferred until requests quieten down."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.runtime.background import Background


async def mark(done: list[str], label: str) -> None:
    done.append(label)


async def test_spawned_work_runs_without_waiting() -> None:
    background = Background()
    done: list[str] = []
    background.spawn(mark(done, "now"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert done == ["now"]


async def test_deferred_work_waits_while_requests_keep_arriving_then_runs_when_quiet() -> None:
    background = Background(quiet=0.05, max_delay=5.0)
    done: list[str] = []
    background.spawn(mark(done, "later"), deferred=True)
    for _ in range(4):
        background.request_arrived()
        await asyncio.sleep(0.02)
        assert done == []
    await asyncio.sleep(0.1)
    assert done == ["later"]


async def test_deferred_work_runs_after_the_longest_delay_even_under_constant_load() -> None:
    background = Background(quiet=0.05, max_delay=0.15)
    done: list[str] = []
    background.spawn(mark(done, "bounded"), deferred=True)
    for _ in range(15):
        background.request_arrived()
        await asyncio.sleep(0.02)
    assert done == ["bounded"]


async def test_draining_starts_deferred_work_at_once_and_waits_for_it() -> None:
    background = Background(quiet=10.0, max_delay=10.0)
    done: list[str] = []
    background.request_arrived()
    background.spawn(mark(done, "a"), deferred=True)
    background.spawn(mark(done, "b"), deferred=True)
    assert background.pending == 2
    await background.drain(1.0)
    assert done == ["a", "b"]
    assert background.pending == 0


async def test_a_failing_task_is_logged_by_its_kind_and_does_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def fail() -> None:
        raise KeyError("secret-value")

    background = Background()
    done: list[str] = []
    with caplog.at_level(logging.ERROR):
        background.spawn(fail(), name="broken")
        background.spawn(mark(done, "fine"))
        await background.drain(1.0)
    assert done == ["fine"]
    assert any("broken failed: KeyError" in r.getMessage() for r in caplog.records)
