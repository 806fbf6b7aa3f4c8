"""The audit log in Slack and its CSV export.

Each test builds its state through the services (and, for the inventory and
the membership, the repository API) and checks what a person, the directory or
the audit log would see (docs/rules.md).
"""

from __future__ import annotations

import csv
import io

import pytest

from bot.blocks.audit import audit_message
from bot.domain.clock import FakeClock
from bot.domain.limits import AUDIT_MAX
from bot.domain.model import (
    AuditEntry,
    Forbidden,
    InvalidInput,
    Role,
)
from bot.runtime.container import Services
from bot.services.audit import COLUMNS
from storage.sqlite import SqliteStore
from tests.fakes.blockkit import block_kit_violations
from tests.unit.conftest import (
    ADMIN,
    MEMBER,
    audit_log,
)
from tests.unit.helpers import (
    refused,
)

# -- the audit log ------------------------------------------------------------------------------


async def test_audit_shows_the_latest_twenty_entries_newest_first(
    services: Services, store: SqliteStore
) -> None:
    for i in range(30):
        await services.roles.add_user(ADMIN, f"UAUDIT{i:03d}")

    entries = await services.audit.audit_log(ADMIN)

    assert len(entries) == 20
    assert entries[0].subject == "user:UAUDIT029"
    assert [e.id for e in entries] == sorted((e.id for e in entries), reverse=True)


@pytest.mark.parametrize("limit", [0, -1, AUDIT_MAX + 1, 10_000])
async def test_audit_takes_one_to_two_hundred_entries(services: Services, limit: int) -> None:
    with refused(InvalidInput, "1 to 200"):
        await services.audit.audit_log(ADMIN, limit)


async def test_audit_may_show_two_hundred_entries_within_block_kit_limits(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    async with store.write() as uow:
        for i in range(250):
            await uow.audit.add(
                AuditEntry(clock.now(), ADMIN, "request.deny", f"request:{i}", "x" * 500)
            )

    entries = await services.audit.audit_log(ADMIN, AUDIT_MAX)

    assert len(entries) == AUDIT_MAX
    for page in range(8):
        payload = audit_message(entries, AUDIT_MAX, page)
        assert block_kit_violations(payload, surface="message") == []
    assert "page 8 of 8" in str(audit_message(entries, AUDIT_MAX, 7))


@pytest.mark.parametrize("role", [None, Role.USER_ADMIN, Role.ADMIN_AGENT], ids=str)
async def test_only_mpn_partner_admins_and_global_admins_read_the_audit_log(
    services: Services, role: Role | None
) -> None:
    if role is not None:
        await services.roles.grant(ADMIN, MEMBER, role)

    with pytest.raises(Forbidden) as caught:
        await services.audit.audit_log(MEMBER)

    assert sorted(caught.value.params["roles"].split(" or ")) == [
        "global_admin",
        "mpn_partner_admin",
    ]


async def test_the_csv_export_has_a_header_and_every_entry_in_batches(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    async with store.write() as uow:
        for i in range(23):
            await uow.audit.add(AuditEntry(clock.now(), ADMIN, "user.add", f"user:U{i:04d}"))
        await uow.audit.add(AuditEntry(clock.now(), ADMIN, "request.deny", "request:1", "=1+1"))
    out = io.StringIO()
    seen: list[tuple[int, int]] = []

    written = await services.audit.export_csv(
        out, batch=5, progress=lambda d, t: seen.append((d, t))
    )

    rows = list(csv.reader(io.StringIO(out.getvalue())))
    total = len(await audit_log(store))
    assert written == total
    assert rows[0] == list(COLUMNS)
    assert len(rows) == total + 1
    assert [int(r[0]) for r in rows[1:]] == list(range(1, total + 1))
    assert rows[-1][5] == "'=1+1"  # a spreadsheet must not run it
    assert seen[-1] == (total, total)
    assert len(seen) == (total + 4) // 5
