"""The sweep runs one at a time: a caller joins a sweep under way, unless it changed what
is due (the playground's clock) and asks for a fresh one, which then sees the change."""

from __future__ import annotations

import asyncio
from typing import cast

from bot.runtime.delivery import Delivery
from bot.runtime.scheduler import ReminderScheduler
from bot.services.reminders import ReminderService


class SlowSweep:
    """A reminder service whose first sweep waits to be let go; each sweep returns the
    number of due reminders it saw at its start."""

    def __init__(self) -> None:
        self.due = 1
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.sweeps = 0

    async def sweep(self) -> int:
        self.sweeps += 1
        seen = self.due
        if self.sweeps == 1:
            self.started.set()
            await self.release.wait()
        return seen


class Woken:
    def __init__(self) -> None:
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1


def scheduler(reminders: SlowSweep) -> ReminderScheduler:
    return ReminderScheduler(
        cast(ReminderService, reminders), cast(Delivery, Woken()), sweep_every=60
    )


async def test_a_caller_joins_the_sweep_under_way() -> None:
    reminders = SlowSweep()
    sweeps = scheduler(reminders)
    first = asyncio.create_task(sweeps.sweep_now())
    await reminders.started.wait()
    reminders.due = 5
    joined = asyncio.create_task(sweeps.sweep_now())
    reminders.release.set()
    assert (await first, await joined) == (1, 1)
    assert reminders.sweeps == 1


async def test_a_fresh_sweep_waits_for_the_one_under_way_and_then_sees_the_change() -> None:
    reminders = SlowSweep()
    sweeps = scheduler(reminders)
    first = asyncio.create_task(sweeps.sweep_now())
    await reminders.started.wait()
    reminders.due = 5  # e.g. the clock moved while the first sweep was reading
    fresh = asyncio.create_task(sweeps.sweep_now(fresh=True))
    await asyncio.sleep(0)
    assert not fresh.done()
    reminders.release.set()
    assert (await first, await fresh) == (1, 5)
    assert reminders.sweeps == 2
