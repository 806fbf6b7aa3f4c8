"""Rows of offboardings and seat checks to records (both engines)."""

from __future__ import annotations

from bot.domain.offboarding import Answer, Offboarding, OffboardingState, SeatCheck, Source
from storage.sql.rows import Row, dt, opt_dt


def offboarding(row: Row) -> Offboarding:
    return Offboarding(
        id=int(row[0]),
        user_id=row[1],
        left_at=dt(row[2]),
        source=Source(row[3]),
        state=OffboardingState(row[4]),
        decided_by=row[5],
        decided_at=opt_dt(row[6]),
        returned_at=opt_dt(row[7]),
    )


def seat_check(row: Row) -> SeatCheck:
    return SeatCheck(
        assignment_id=int(row[0]),
        asked_at=dt(row[1]),
        answer=None if row[2] is None else Answer(row[2]),
        answered_at=opt_dt(row[3]),
    )
