"""Work after the acknowledgement: run now, or deferred until requests quieten down."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.runtime.background import Background
from tests.fakes.waiting import loop_turns, wait_until


async def mark(done: list[str], label: str) -> None:
    done.append(label)


def loop_time() -> float:
    """The clock Background reads (the event loop's)."""
    return asyncio.get_running_loop().time()


async def test_spawned_work_runs_without_waiting() -> None:
    background = Background()
    done: list[str] = []
    background.spawn(mark(done, "now"))
    await loop_turns(2)  # no wall-clock wait: the task runs on the loop's next turn
    assert done == ["now"]


async def test_deferred_work_waits_while_requests_keep_arriving_then_runs_when_quiet() -> None:
    quiet = 0.05
    background = Background(quiet=quiet, max_delay=5.0)
    ran_at: list[float] = []

    async def record() -> None:
        ran_at.append(loop_time())

    requests = [loop_time()]  # each stamp is read just before Background reads its own
    background.request_arrived()
    background.spawn(record(), deferred=True)
    for _ in range(4):
        requests.append(loop_time())
        background.request_arrived()
        await asyncio.sleep(quiet / 2.5)  # the next request comes before it is quiet
    await wait_until(lambda: len(ran_at) == 1, what="the deferred work")
    # Whatever the machine's speed, the work started only after `quiet` seconds
    # without a request, by the clock Background reads: work started at once, or
    # between two requests, would fail this.
    last_request = max(t for t in requests if t <= ran_at[0])
    assert ran_at[0] - last_request >= quiet


async def test_deferred_work_runs_after_the_longest_delay_even_under_constant_load() -> None:
    background = Background(quiet=1.0, max_delay=0.05)
    ran_at: list[float] = []

    async def record() -> None:
        ran_at.append(loop_time())

    spawned = loop_time()
    background.spawn(record(), deferred=True)
    deadline = spawned + 10.0
    # A request every few milliseconds: never a quiet second, so only the
    # longest delay can start the work; without it this loop times out.
    while not ran_at:
        assert loop_time() < deadline, "the deferred work never ran under constant load"
        background.request_arrived()
        await asyncio.sleep(0.001)
    assert ran_at[0] - spawned >= 0.05


async def test_a_quiet_moment_comes_only_after_requests_stop_arriving() -> None:
    quiet = 0.05
    background = Background(quiet=quiet, max_delay=5.0)
    requests: list[float] = []

    async def stream() -> None:
        for _ in range(5):
            requests.append(loop_time())
            background.request_arrived()
            await asyncio.sleep(quiet / 2.5)

    streaming = asyncio.create_task(stream())
    await loop_turns(1)
    await background.quiet_moment(since=loop_time())
    came = loop_time()
    await streaming
    assert len(requests) == 5  # the stream ended before the moment came
    assert came - requests[-1] >= quiet


async def test_a_quiet_moment_comes_at_the_longest_delay_under_constant_load() -> None:
    background = Background(quiet=1.0, max_delay=0.05)
    since = loop_time()
    waiting = asyncio.create_task(background.quiet_moment(since=since))
    deadline = since + 10.0
    while not waiting.done():
        assert loop_time() < deadline, "no quiet moment under constant load"
        background.request_arrived()
        await asyncio.sleep(0.001)
    assert loop_time() - since >= 0.05


async def test_while_draining_a_quiet_moment_comes_at_once() -> None:
    background = Background(quiet=10.0, max_delay=10.0)
    background.request_arrived()
    release = asyncio.Event()
    background.spawn(release.wait())  # keeps the drain going until the moment came
    draining = asyncio.create_task(background.drain(5.0))
    await loop_turns(1)
    await asyncio.wait_for(background.quiet_moment(since=loop_time()), timeout=1.0)
    release.set()
    await draining


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
