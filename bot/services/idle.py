"""Idle seats: seats nobody seems to use, asked about first, then offered for
reclaim in the digest (docs/rules.md#idle-seats).

A seat held longer than ``idle_after`` (``BENEFITS_IDLE_DAYS``, 60 by default)
is idle when the bot has seen no sign of use: for a benefit with product keys,
its holder never revealed them (the key service records every reveal, per
person); for any other seat, its holder did not say "Yes, keep it" within the
last ``idle_after``. The daily check (run by the reminder sweep, one replica
at a time) asks the holder of each idle seat by DM, **Yes, keep it** / **No,
free it**, once per ``idle_after``; a "no", or no answer within a week, puts
the seat in the digest's list of seats to reclaim, with who holds it and
since when. "Yes" keeps it out of that list for another ``idle_after``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.clock import Clock
from bot.domain.model import Assignment, Benefit, NotFound
from bot.domain.offboarding import (
    DEFAULT_IDLE_AFTER,
    Answer,
    SeatCheck,
    check_unanswered,
    kept_recently,
)
from bot.domain.outbox import NewPing
from bot.domain.permissions import Action
from bot.services.core import audit, ensure_changeable, require
from bot.services.notices import moment_key
from storage.unit_of_work import Store, UnitOfWork

CHECKS = "idle-checks"  # the watermark of the daily check
CHECK_EVERY = timedelta(days=1)
SEAT_CHECK_KIND = "seat_check"  # the DM with Yes, keep it / No, free it


class Why(enum.StrEnum):
    NO_REVEAL = "no_reveal"  # a benefit with keys whose holder never revealed them
    NO_ANSWER = "no_answer"  # the last check went unanswered
    SAID_NO = "said_no"  # the holder answered "No, free it"
    NOT_ASKED = "not_asked"  # idle, the holder not (yet) asked


@dataclass(frozen=True, slots=True)
class IdleSeat:
    assignment: Assignment
    benefit: Benefit
    why: Why
    check: SeatCheck | None = None
    keys_unopened: bool = False  # a benefit with keys whose holder never revealed them

    @property
    def holder(self) -> str:
        return self.assignment.user_id or ""

    @property
    def since(self) -> datetime:
        return self.assignment.assigned_at


class IdleService:
    """Finds idle seats, asks their holders, records the answers, frees on request."""

    def __init__(
        self, store: Store, *, clock: Clock, idle_after: timedelta = DEFAULT_IDLE_AFTER
    ) -> None:
        self._store = store
        self._clock = clock
        self.idle_after = idle_after

    async def sweep(self) -> int:
        """Once a day: ask the holder of every idle seat not asked lately; how many asked."""
        async with self._store.write() as uow:
            now = self._clock.now()
            last = await uow.outbox.get_watermark(CHECKS)
            if last is not None and now - last < CHECK_EVERY:
                return 0
            asked = 0
            for seat in await idle_seats(uow, now, self.idle_after):
                if seat.check is not None and now - seat.check.asked_at < self.idle_after:
                    continue
                await uow.seat_checks.ask(seat.assignment.id, at=now)
                asked += await uow.outbox.enqueue(
                    [
                        NewPing(
                            key=f"seat-check:{seat.assignment.id}:{moment_key(now)}",
                            recipient=seat.holder,
                            kind=SEAT_CHECK_KIND,
                            params={
                                "assignment_id": seat.assignment.id,
                                "benefit_id": seat.benefit.id,
                                "benefit": seat.benefit.name,
                                "since": seat.since.date().isoformat(),
                                "keys": seat.why is Why.NO_REVEAL,
                            },
                        )
                    ],
                    at=now,
                )
            await uow.outbox.set_watermark(CHECKS, now)
        return asked

    async def reclaimable(self) -> list[IdleSeat]:
        """Idle seats whose holder said no or did not answer: offered in the digest."""
        async with self._store.read() as uow:
            return await reclaimable(uow, self._clock.now(), self.idle_after)

    async def answer(self, actor: str, assignment_id: int, answer: Answer) -> Benefit:
        """The holder's answer to "still using it?"; the benefit it was about."""
        now = self._clock.now()
        async with self._store.write() as uow:
            held = next(
                (a for a in await uow.assignments.of_user(actor) if a.id == assignment_id), None
            )
            benefit = None if held is None else await uow.benefits.get(held.benefit_id)
            if held is None or benefit is None:
                raise NotFound("You no longer hold that seat; nothing to answer.")
            if not await uow.seat_checks.answer(assignment_id, answer, at=now):
                raise NotFound("You no longer hold that seat; nothing to answer.")
            await audit(uow, now, actor, "seat.check", f"user:{actor}", f"{benefit.id}: {answer}")
        return benefit

    async def free(self, actor: str, benefit_id: str, user_id: str, assignment_id: int) -> Benefit:
        """A Global admin frees an idle seat offered in the digest."""
        now = self._clock.now()
        async with self._store.write() as uow:
            await ensure_changeable(uow)
            await require(uow, actor, Action.DECIDE)
            held = await uow.assignments.find_active(benefit_id, user_id)
            benefit = await uow.benefits.get(benefit_id)
            if held is None or held.id != assignment_id or benefit is None:
                raise NotFound("That seat was already freed; nothing changed.")
            await uow.assignments.release(held.id, at=now)
            await audit(
                uow, now, actor, "assignment.release", f"user:{user_id}", f"{benefit_id}: idle"
            )
        return benefit


async def idle_seats(uow: UnitOfWork, now: datetime, idle_after: timedelta) -> list[IdleSeat]:
    """Every seat held for ``idle_after`` or longer with no sign of use (module doc)."""
    checks = await uow.seat_checks.all()
    found: list[IdleSeat] = []
    for benefit in await uow.benefits.all():
        keyed: bool | None = None
        for assignment in await uow.assignments.active(benefit.id):
            if assignment.user_id is None or now - assignment.assigned_at < idle_after:
                continue
            check = checks.get(assignment.id)
            if kept_recently(check, now, idle_after):
                continue
            if keyed is None:
                keyed = await uow.keys.count(benefit.id) > 0
            if keyed:
                if await uow.seat_checks.revealed(
                    benefit.id, assignment.user_id, since=assignment.assigned_at
                ):
                    continue
                why = Why.NO_REVEAL
            else:
                why = Why.NOT_ASKED
            if check is not None and check.answer is Answer.FREE:
                why = Why.SAID_NO
            elif check_unanswered(check, now):
                why = Why.NO_ANSWER
            found.append(IdleSeat(assignment, benefit, why, check, keys_unopened=bool(keyed)))
    found.sort(key=lambda s: (s.since, s.benefit.id, s.holder))
    return found


async def reclaimable(uow: UnitOfWork, now: datetime, idle_after: timedelta) -> list[IdleSeat]:
    """Idle seats whose last check was answered "no" or went unanswered."""
    return [
        s for s in await idle_seats(uow, now, idle_after) if s.why in (Why.SAID_NO, Why.NO_ANSWER)
    ]
