"""The inventory file: loading, validation messages, import and email holders."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.clock import FakeClock
from bot.domain.events import ActivationCompleted, Event
from bot.domain.model import (
    Activation,
    ActivationStatus,
    Assignment,
    AuditEntry,
    Benefit,
    Category,
    DirectoryUser,
    Download,
    Level,
    Membership,
    SupportKind,
)
from bot.services.core import EventBus
from bot.services.inventory.importer import ImportReport, import_inventory, resolve_email_holders
from bot.services.inventory.loader import load_inventory
from bot.services.inventory.schema import Inventory, InventoryError
from bot.services.keys import KeyVault
from storage.sqlite import SqliteStore, open_sqlite, throwaway_store
from storage.unit_of_work import UnitOfWork

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "inventory.yaml"
NOW = datetime(2026, 3, 20, 14, 30, tzinfo=UTC)
VAULT = KeyVault([KeyVault.generate_key()])  # the example file lists product keys

# Line numbers matter: the bad-file cases below expect errors on these lines.
BASE = """\
membership:
  level: gold
  purchase_date: 2026-03-01
  end_date: 2027-02-28
  account_email: partner-admin@contoso.com
benefits:
  - id: windows-11-enterprise
    name: Windows 11 Enterprise
    category: software
    seats: 2
    holders:
      - user: U024BE7LH
  - id: office-ltsc-pro-plus
    name: Office LTSC Professional Plus
    category: software
    seats: 3
    description: Word, Excel and PowerPoint.
    holders:
      - email: j.devries@contoso.com
"""

Snapshot = tuple[
    Membership | None,
    list[Benefit],
    dict[str, list[Assignment]],
    list[Assignment],
    dict[str, DirectoryUser | None],
]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def store() -> SqliteStore:
    return throwaway_store()


def write(tmp_path: Path, text: str, name: str = "inventory.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def load_and_import(store: SqliteStore, path: Path, clock: FakeClock) -> ImportReport:
    return await import_inventory(store, load_inventory(path), clock=clock, vault=VAULT)


async def snapshot(store: SqliteStore, *user_ids: str) -> Snapshot:
    """Everything an import can change, read through the repository."""
    async with store.read() as uow:
        benefits = await uow.benefits.all()
        assignments = {b.id: await uow.assignments.active(b.id) for b in benefits}
        holders = {a.user_id for found in assignments.values() for a in found if a.user_id}
        users = {uid: await uow.people.get_user(uid) for uid in sorted(holders | set(user_ids))}
        return (
            await uow.membership.get(),
            benefits,
            assignments,
            await uow.assignments.unresolved_holders(),
            users,
        )


async def import_audit(store: SqliteStore) -> list[str]:
    async with store.read() as uow:
        entries = await uow.audit.recent(100)
    return [e.detail for e in entries if e.action == "inventory.import"]


# -- the example file ------------------------------------------------------------


async def test_the_example_file_loads_and_imports(store: SqliteStore, clock: FakeClock) -> None:
    inventory = load_inventory(EXAMPLE)

    report = await import_inventory(store, inventory, clock=clock, vault=VAULT)

    assert inventory.source == EXAMPLE
    assert report.benefits_created == len(inventory.benefits)
    assert (report.benefits_updated, report.benefits_unchanged) == (0, 0)
    assert report.assignments_created == 4
    assert report.holders_pending == 2
    async with store.read() as uow:
        membership = await uow.membership.get()
        benefits = await uow.benefits.all()
        windows = await uow.assignments.find_active("windows-11-enterprise", "U024BE7LH")
        user = await uow.people.get_user("U024BE7LH")
    assert membership is not None
    assert membership.level is Level.GOLD
    assert membership.purchase_date.year == 2026
    assert membership.end_date.year == 2027
    assert {b.id for b in benefits} == {e.id for e in inventory.benefits}
    assert windows is not None
    assert windows.assigned_at == datetime(2026, 3, 4, tzinfo=UTC)
    assert windows.assigned_by == "import"
    assert user == DirectoryUser("U024BE7LH")


def test_the_example_file_has_two_benefits_of_every_category() -> None:
    inventory = load_inventory(EXAMPLE)

    per_category = {c: [b for b in inventory.benefits if b.category is c] for c in Category}

    assert all(len(found) >= 2 for found in per_category.values()), per_category
    assert all(b.seats is None for b in per_category[Category.TECHNICAL])
    holders = [h for b in inventory.benefits for h in b.holders]
    assert any(h.user for h in holders)
    assert any(h.email for h in holders)


# -- re-importing ----------------------------------------------------------------


async def test_importing_the_same_file_twice_changes_nothing(
    store: SqliteStore, clock: FakeClock
) -> None:
    await load_and_import(store, EXAMPLE, clock)
    before = await snapshot(store)
    clock.advance(NOW - datetime(2026, 1, 1, tzinfo=UTC))  # a later day

    again = await load_and_import(store, EXAMPLE, clock)

    assert await snapshot(store) == before
    assert (again.benefits_created, again.benefits_updated) == (0, 0)
    assert again.benefits_unchanged == len(before[1])
    assert again.assignments_created == 0
    assert again.users_added == 0
    assert not again.membership_changed
    assert not again.changed
    assert again.holders_pending == 2  # still waiting for the running bot


async def test_every_import_writes_one_audit_entry_with_its_summary(
    store: SqliteStore, clock: FakeClock
) -> None:
    first = await load_and_import(store, EXAMPLE, clock)
    second = await load_and_import(store, EXAMPLE, clock)

    assert await import_audit(store) == [second.summary(), first.summary()]
    async with store.read() as uow:
        latest = (await uow.audit.recent(1))[0]
    assert (latest.actor, latest.subject, latest.at) == ("import", "inventory:inventory.yaml", NOW)


async def test_a_changed_file_updates_seats_and_name_but_keeps_assignments(
    store: SqliteStore, clock: FakeClock, tmp_path: Path
) -> None:
    await load_and_import(store, write(tmp_path, BASE), clock)
    _, _, held_before, pending_before, _ = await snapshot(store)
    changed = BASE.replace("seats: 3", "seats: 5").replace(
        "Office LTSC Professional Plus", "Office LTSC Professional Plus 2024"
    )

    report = await load_and_import(store, write(tmp_path, changed, "changed.yaml"), clock)

    assert (report.benefits_created, report.benefits_updated) == (0, 1)
    assert report.benefits_unchanged == 1
    assert report.assignments_created == 0
    _, benefits, held_after, pending_after, _ = await snapshot(store)
    office = next(b for b in benefits if b.id == "office-ltsc-pro-plus")
    assert (office.name, office.seats) == ("Office LTSC Professional Plus 2024", 5)
    assert held_after == held_before
    assert pending_after == pending_before


async def test_holders_left_out_of_a_later_file_keep_their_seats(
    store: SqliteStore, clock: FakeClock, tmp_path: Path
) -> None:
    await load_and_import(store, write(tmp_path, BASE), clock)
    without = BASE.replace("    holders:\n      - user: U024BE7LH\n", "")

    await load_and_import(store, write(tmp_path, without, "without.yaml"), clock)

    async with store.read() as uow:
        held = await uow.assignments.find_active("windows-11-enterprise", "U024BE7LH")
    assert held is not None


async def test_a_new_holder_in_a_later_file_gets_a_seat_dated_the_import_day(
    store: SqliteStore, clock: FakeClock, tmp_path: Path
) -> None:
    await load_and_import(store, write(tmp_path, BASE), clock)
    more = BASE.replace(
        "      - user: U024BE7LH\n", "      - user: U024BE7LH\n      - user: W0NEW\n"
    )

    report = await load_and_import(store, write(tmp_path, more, "more.yaml"), clock)

    assert report.assignments_created == 1
    assert report.users_added == 1
    async with store.read() as uow:
        held = await uow.assignments.find_active("windows-11-enterprise", "W0NEW")
    assert held is not None
    assert held.assigned_at == datetime(2026, 3, 20, tzinfo=UTC)


async def test_a_known_directory_user_is_left_as_it_is(
    store: SqliteStore, clock: FakeClock, tmp_path: Path
) -> None:
    known = DirectoryUser("U024BE7LH", name="Ada", email="ada@contoso.com")
    async with store.write() as uow:
        await uow.people.put_user(known)

    report = await load_and_import(store, write(tmp_path, BASE), clock)

    assert report.users_added == 0
    async with store.read() as uow:
        assert await uow.people.get_user("U024BE7LH") == known


# -- bad files -------------------------------------------------------------------

OFFICE = "benefits[1] (id: office-ltsc-pro-plus)"

BAD_FILES: list[tuple[str, str, str, str, str | None, int, str]] = [
    # (case, old text, new text, entry, field, line, words in the problem)
    (
        "unknown category",
        "category: software\n    seats: 3",
        "category: hardware\n    seats: 3",
        OFFICE,
        "category",
        15,
        "must be one of",
    ),
    (
        "bad id",
        "id: office-ltsc-pro-plus",
        "id: Office_LTSC",
        "benefits[1] (id: Office_LTSC)",
        "id",
        13,
        "kebab-case",
    ),
    (
        "duplicate id",
        "id: office-ltsc-pro-plus",
        "id: windows-11-enterprise",
        "benefits[1] (id: windows-11-enterprise)",
        "id",
        13,
        "benefits[0] already uses it",
    ),
    (
        "id too long",
        "id: office-ltsc-pro-plus",
        "id: " + "o" * 65,
        f"benefits[1] (id: {'o' * 65})",
        "id",
        13,
        "at most 64 characters",
    ),
    (
        "missing name",
        "    name: Office LTSC Professional Plus\n",
        "",
        OFFICE,
        "name",
        13,
        "required but missing",
    ),
    (
        "name too long",
        "name: Office LTSC Professional Plus",
        "name: " + "x" * 151,
        OFFICE,
        "name",
        14,
        "at most 150 characters",
    ),
    ("seats negative", "seats: 3", "seats: -1", OFFICE, "seats", 16, "0 or more"),
    ("seats not a number", "seats: 3", "seats: three", OFFICE, "seats", 16, "whole number"),
    (
        "more holders than seats",
        "seats: 3",
        "seats: 0",
        OFFICE,
        "holders",
        19,
        "1 holder is listed but the benefit has only 0 seats",
    ),
    (
        "unknown key",
        "    description:",
        "    descripton:",
        OFFICE,
        "descripton",
        17,
        'unknown key (did you mean "description"?)',
    ),
    (
        "end date before purchase date",
        "end_date: 2027-02-28",
        "end_date: 2026-02-28",
        "membership",
        "end_date",
        4,
        "after the purchase date 2026-03-01",
    ),
    (
        "date with a time",
        "end_date: 2027-02-28",
        "end_date: 2027-02-28 10:00:00",
        "membership",
        "end_date",
        4,
        "without a time",
    ),
    (
        "impossible day of the month",
        "end_date: 2027-02-28",
        "end_date: 2027-02-30",
        "membership",
        "end_date",
        4,
        "is not a real date (got '2027-02-30')",
    ),
    (
        "impossible month and day",
        "    seats: 2\n",
        "    seats: 2\n    expires_on: 2027-13-45\n",
        "benefits[0] (id: windows-11-enterprise)",
        "expires_on",
        11,
        "is not a real date (got '2027-13-45')",
    ),
    (
        "bad holder email",
        "j.devries@contoso.com",
        "j.devries@contoso",
        OFFICE,
        "holders[0].email",
        19,
        "email address",
    ),
    (
        "bad account email",
        "account_email: partner-admin@contoso.com",
        "account_email: partner-admin.contoso.com",
        "membership",
        "account_email",
        5,
        "email address",
    ),
    (
        "same holder twice",
        "      - email: j.devries@contoso.com\n",
        "      - email: j.devries@contoso.com\n      - email: J.deVries@Contoso.com\n",
        OFFICE,
        "holders[1]",
        20,
        "listed twice",
    ),
    (
        "bad Slack user id",
        "user: U024BE7LH",
        "user: u024be7lh",
        "benefits[0] (id: windows-11-enterprise)",
        "holders[0].user",
        12,
        "Slack user ID",
    ),
    (
        "holder with user and email",
        "      - user: U024BE7LH\n",
        "      - user: U024BE7LH\n        email: ada@contoso.com\n",
        "benefits[0] (id: windows-11-enterprise)",
        "holders[0]",
        12,
        "not both",
    ),
    (
        "unknown level",
        "level: gold",
        "level: platinum",
        "membership",
        "level",
        2,
        "'action_pack', 'silver' or 'gold'",
    ),
    (
        "unknown top-level key",
        "benefits:\n",
        "benefit:\n",
        "top level",
        "benefit",
        6,
        'unknown key (did you mean "benefits"?)',
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "entry", "field", "line", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_FILES],
)
async def test_a_bad_file_names_the_file_entry_and_field_and_imports_nothing(
    store: SqliteStore,
    clock: FakeClock,
    tmp_path: Path,
    old: str,
    new: str,
    entry: str,
    field: str | None,
    line: int,
    words: str,
) -> None:
    await load_and_import(store, write(tmp_path, BASE), clock)
    before = await snapshot(store)
    assert old in BASE
    path = write(tmp_path, BASE.replace(old, new, 1), "bad.yaml")

    with pytest.raises(InventoryError) as caught:
        await load_and_import(store, path, clock)

    message = str(caught.value)
    assert message.startswith(f"{path}, line {line}: {entry}, ")
    assert f'field "{field}"' in message
    assert words in message
    assert "\n" not in message
    assert await snapshot(store) == before
    assert len(await import_audit(store)) == 1


@pytest.mark.parametrize("impossible", ["2027-02-30", "2027-13-45"])
def test_benefits_bot_import_of_an_impossible_date_prints_one_line_and_imports_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    impossible: str,
) -> None:
    from bot.cli.main import main

    database = tmp_path / "b.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    bad = BASE.replace("    seats: 2\n", f"    seats: 2\n    expires_on: {impossible}\n", 1)
    path = write(tmp_path, bad, "bad.yaml")

    code = main(["import", str(path)])

    err = capsys.readouterr().err
    assert code == 1
    assert err.strip().splitlines() == [
        f"error: {path}, line 11: benefits[0] (id: windows-11-enterprise), "
        f"field \"expires_on\": is not a real date (got '{impossible}')"
    ]
    assert not database.exists()


async def test_a_yaml_syntax_error_names_the_line_and_column(
    store: SqliteStore, clock: FakeClock, tmp_path: Path
) -> None:
    path = write(tmp_path, BASE.replace("name: Office LTSC", "name: Office: LTSC"))

    with pytest.raises(InventoryError) as caught:
        await load_and_import(store, path, clock)

    # the wording after "mapping values are not allowed" depends on the YAML parser
    assert str(caught.value).startswith(
        f"{path}, line 14, column 17: not valid YAML: mapping values are not allowed"
    )
    assert (caught.value.line, caught.value.column) == (14, 17)
    assert await snapshot(store) == (None, [], {}, [], {})


async def test_a_key_given_twice_in_one_entry_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("    seats: 3\n", "    seats: 3\n    seats: 30\n"))

    with pytest.raises(InventoryError, match=r"line 17, column 5: .*the key 'seats' twice"):
        load_inventory(path)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param("", "the file is empty", id="empty"),
        pytest.param("- just\n- a list\n", "must be a mapping", id="a list"),
        pytest.param("membership:\n  level: gold\n", "required but missing", id="no benefits"),
    ],
)
def test_a_file_of_the_wrong_shape_is_explained(tmp_path: Path, text: str, words: str) -> None:
    path = write(tmp_path, text)

    with pytest.raises(InventoryError, match=words) as caught:
        load_inventory(path)

    assert str(caught.value).startswith(str(path))


def test_a_missing_file_is_explained_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"

    with pytest.raises(InventoryError, match=r"nowhere\.yaml: cannot read the file") as caught:
        load_inventory(path)

    assert caught.value.__suppress_context__


def test_only_the_first_problem_is_described_with_a_count_of_the_others(tmp_path: Path) -> None:
    bad = BASE.replace("seats: 3", "seats: -1").replace("level: gold", "level: platinum")

    with pytest.raises(InventoryError) as caught:
        load_inventory(write(tmp_path, bad))

    assert caught.value.field == "level"
    assert str(caught.value).endswith("; the file has 1 more problem")


# -- seats in use ----------------------------------------------------------------


async def test_lowering_seats_below_the_seats_in_use_fails_and_writes_nothing(
    store: SqliteStore, clock: FakeClock, tmp_path: Path
) -> None:
    await load_and_import(store, write(tmp_path, BASE), clock)
    async with store.write() as uow:  # a second seat given out in Slack
        await uow.assignments.add(
            benefit_id="windows-11-enterprise",
            user_id="U0SLACK",
            assigned_at=NOW,
            assigned_by="U0ADMIN",
        )
    before = await snapshot(store)
    lowered = (
        BASE.replace("seats: 2", "seats: 1")
        .replace("Windows 11 Enterprise", "Windows 11 Enterprise E3")
        .replace("level: gold", "level: silver")
    )
    path = write(tmp_path, lowered, "lowered.yaml")

    with pytest.raises(InventoryError) as caught:
        await load_and_import(store, path, clock)

    assert str(caught.value) == (
        f'{path}: benefits[0] (id: windows-11-enterprise), field "seats": 1 seat, but 2 '
        "would be in use (2 already assigned). Unassign 1 in Slack first, or raise `seats`. "
        "Nothing was imported."
    )
    assert await snapshot(store) == before
    assert len(await import_audit(store)) == 1


async def test_new_holders_beyond_the_free_seats_fail_the_whole_import(
    store: SqliteStore, clock: FakeClock, tmp_path: Path
) -> None:
    await load_and_import(store, write(tmp_path, BASE), clock)
    async with store.write() as uow:
        await uow.assignments.add(
            benefit_id="windows-11-enterprise",
            user_id="U0SLACK",
            assigned_at=NOW,
            assigned_by="U0ADMIN",
        )
    before = await snapshot(store, "W0NEW")
    more = BASE.replace(
        "      - user: U024BE7LH\n", "      - user: U024BE7LH\n      - user: W0NEW\n"
    )

    with pytest.raises(InventoryError, match=r"3 would be in use \(2 already assigned plus 1 new"):
        await load_and_import(store, write(tmp_path, more, "more.yaml"), clock)

    assert await snapshot(store, "W0NEW") == before


# -- progress --------------------------------------------------------------------


async def test_progress_is_reported_for_every_benefit(store: SqliteStore, clock: FakeClock) -> None:
    inventory = load_inventory(EXAMPLE)
    calls: list[tuple[int, int]] = []

    await import_inventory(
        store,
        inventory,
        clock=clock,
        progress=lambda done, total: calls.append((done, total)),
        vault=VAULT,
    )

    total = len(inventory.benefits)
    assert calls == [(done, total) for done in range(1, total + 1)]


# -- email holders ---------------------------------------------------------------


class FakeDirectory:
    """A stand-in for Slack's users.lookupByEmail that remembers its calls."""

    def __init__(self, known: dict[str, str]) -> None:
        self.known = known
        self.asked: list[str] = []

    async def lookup(self, email: str) -> str | None:
        self.asked.append(email)
        return self.known.get(email)


async def test_email_holders_are_resolved_and_unknown_emails_stay_pending(
    store: SqliteStore, clock: FakeClock
) -> None:
    await load_and_import(store, EXAMPLE, clock)
    slack = FakeDirectory({"j.devries@contoso.com": "U0JDV"})

    resolved = await resolve_email_holders(store, slack.lookup, clock=clock)

    assert resolved == 1
    assert sorted(slack.asked) == ["j.devries@contoso.com", "m.jansen@contoso.com"]
    async with store.read() as uow:
        held = await uow.assignments.find_active("windows-11-enterprise", "U0JDV")
        pending = await uow.assignments.unresolved_holders()
        user = await uow.people.get_user("U0JDV")
        audit = await uow.audit.recent(1)
    assert held is not None
    assert held.holder_email == "j.devries@contoso.com"
    assert [a.holder_email for a in pending] == ["m.jansen@contoso.com"]
    assert user == DirectoryUser("U0JDV", email="j.devries@contoso.com")
    assert (audit[0].action, audit[0].subject) == ("inventory.resolve_holder", "user:U0JDV")


async def test_nothing_is_written_when_no_email_is_found(
    store: SqliteStore, clock: FakeClock
) -> None:
    await load_and_import(store, EXAMPLE, clock)
    before = await snapshot(store)

    resolved = await resolve_email_holders(store, FakeDirectory({}).lookup, clock=clock)

    assert resolved == 0
    assert await snapshot(store) == before


async def test_a_resolved_email_holder_is_not_assigned_again_by_a_reimport(
    store: SqliteStore, clock: FakeClock
) -> None:
    await load_and_import(store, EXAMPLE, clock)
    await resolve_email_holders(
        store, FakeDirectory({"j.devries@contoso.com": "U0JDV"}).lookup, clock=clock
    )
    before = await snapshot(store)

    again = await load_and_import(store, EXAMPLE, clock)

    assert again.assignments_created == 0
    assert again.holders_pending == 1
    assert await snapshot(store) == before


async def test_an_email_holder_who_already_holds_the_benefit_is_not_counted_twice(
    store: SqliteStore, clock: FakeClock, tmp_path: Path
) -> None:
    await load_and_import(store, write(tmp_path, BASE), clock)
    async with store.write() as uow:
        await uow.assignments.add(
            benefit_id="office-ltsc-pro-plus",
            user_id="U0JDV",
            assigned_at=NOW,
            assigned_by="U0ADMIN",
        )

    resolved = await resolve_email_holders(
        store, FakeDirectory({"j.devries@contoso.com": "U0JDV"}).lookup, clock=clock
    )

    assert resolved == 1
    async with store.read() as uow:
        holders = await uow.assignments.active("office-ltsc-pro-plus")
        pending = await uow.assignments.unresolved_holders()
    assert [(a.user_id, a.assigned_by) for a in holders] == [("U0JDV", "U0ADMIN")]
    assert pending == []


# -- size ------------------------------------------------------------------------


def big_inventory_text(benefits: int, holders_each: int) -> str:
    lines = [
        "membership:",
        "  level: gold",
        "  purchase_date: 2026-03-01",
        "  end_date: 2027-02-28",
        "  account_email: partner-admin@contoso.com",
        "benefits:",
    ]
    for b in range(benefits):
        category = list(Category)[b % 5]
        lines += [
            f"  - id: benefit-{b:04d}",
            f"    name: Benefit number {b}",
            f"    category: {category.value}",
            f"    seats: {holders_each + b % 3}",
        ]
        if category is Category.TECHNICAL:
            lines.append("    support_kind: product_incidents")
        lines.append("    holders:")
        for h in range(holders_each):
            person = (b * holders_each + h) % 2500
            if h % 2:
                lines.append(f"      - email: person{person}@contoso.com")
            else:
                lines += [f"      - user: U{person:06d}", "        assigned: 2026-03-02"]
    return "\n".join(lines) + "\n"


async def test_a_file_of_1000_benefits_with_10000_holders_imports(
    store: SqliteStore, clock: FakeClock, tmp_path: Path
) -> None:
    path = write(tmp_path, big_inventory_text(1000, 10))
    started = time.perf_counter()

    report = await load_and_import(store, path, clock)

    elapsed = time.perf_counter() - started
    assert report.benefits_created == 1000
    assert report.assignments_created == 10_000
    assert report.holders_pending == 5_000
    assert report.users_added == 1_250
    async with store.read() as uow:
        assert await uow.benefits.count(category=None) == 1000
        assert await uow.assignments.count_active("benefit-0999") == 10
    assert elapsed < 30, f"importing took {elapsed:.1f} s"  # a guard against quadratic work


# -- the models ------------------------------------------------------------------


def test_the_models_can_be_built_without_a_file() -> None:
    data: dict[str, Any] = {
        "membership": {
            "level": "silver",
            "purchase_date": "2026-03-01",
            "end_date": date(2027, 3, 1),
            "account_email": "Partner-Admin@Contoso.com",
        },
        "benefits": [
            {"id": "a", "name": "  A  ", "category": "gtm", "description": None, "holders": None}
        ],
    }

    inventory = Inventory.model_validate(data)

    assert inventory.source is None
    assert inventory.membership.to_membership() == Membership(
        level=Level.SILVER,
        purchase_date=date(2026, 3, 1),
        end_date=date(2027, 3, 1),
        account_email="partner-admin@contoso.com",
    )
    assert inventory.benefits[0].to_benefit() == Benefit("a", "A", Category.GTM)
    assert inventory.benefits[0].holders == []


# -- every kind of benefit ------------------------------------------------------------

# Line numbers matter: the bad-file cases below expect errors on these lines.
KINDS = """\
membership:
  level: silver
  purchase_date: 2026-03-01
  end_date: 2027-02-28
  account_email: partner-admin@contoso.com
  cloud_competency: true
benefits:
  - id: windows-11
    name: Windows 11 Enterprise
    category: software
    seats: 5
    languages: [English, Dutch]
    operating_systems: [x64, arm64]
    downloads:
      - language: English
        os: x64
        url: https://downloads.contoso.com/w11/en/x64.iso
      - language: Dutch
        os: arm64
        url: https://downloads.contoso.com/w11/nl/arm64.iso
    expires_on: 2027-02-28
  - id: azure-credit
    name: Monthly Azure credit
    category: cloud
    seats: 10
    usage_based: true
    monthly: true
    needs_approval: true
  - id: dynamics
    name: Dynamics 365 Sales
    category: cloud
    seats: 3
    languages: [English]
    operating_systems: [Web]
  - id: vs-enterprise
    name: Visual Studio Enterprise
    category: visual_studio
    seats: 2
    expires_on: 2026-12-31
  - id: signature
    name: Signature cloud support
    category: technical
    support_kind: signature_cloud
    activation:
      status: active
      requested_by: U0MPN
      requested_at: 2026-03-02
      access_id: '1234567'
      contract_id: SRX-2026-00042
  - id: incidents
    name: Product support incidents
    category: technical
    support_kind: product_incidents
    activation:
      status: pending
      requested_by: U0MPN
      requested_at: 2026-03-16
  - id: advisory
    name: Advisory hours
    category: technical
    support_kind: advisory_hours
  - id: gold-core
    name: Gold core
    category: gtm
    activation:
      status: active
      requested_by: U0MPN
      requested_at: 2026-03-05
      expires_on: 2027-02-28
"""

KIND_BENEFITS = [
    Benefit(
        "windows-11",
        "Windows 11 Enterprise",
        Category.SOFTWARE,
        seats=5,
        languages=("English", "Dutch"),
        operating_systems=("x64", "arm64"),
        downloads=(
            Download("English", "x64", "https://downloads.contoso.com/w11/en/x64.iso"),
            Download("Dutch", "arm64", "https://downloads.contoso.com/w11/nl/arm64.iso"),
        ),
        expires_on=date(2027, 2, 28),
    ),
    Benefit(
        "azure-credit",
        "Monthly Azure credit",
        Category.CLOUD,
        seats=10,
        usage_based=True,
        monthly=True,
        needs_approval=True,
    ),
    Benefit(
        "dynamics",
        "Dynamics 365 Sales",
        Category.CLOUD,
        seats=3,
        languages=("English",),
        operating_systems=("Web",),
    ),
    Benefit(
        "vs-enterprise",
        "Visual Studio Enterprise",
        Category.VISUAL_STUDIO,
        seats=2,
        expires_on=date(2026, 12, 31),
    ),
    Benefit(
        "signature",
        "Signature cloud support",
        Category.TECHNICAL,
        support_kind=SupportKind.SIGNATURE_CLOUD,
    ),
    Benefit(
        "incidents",
        "Product support incidents",
        Category.TECHNICAL,
        support_kind=SupportKind.PRODUCT_INCIDENTS,
    ),
    Benefit(
        "advisory", "Advisory hours", Category.TECHNICAL, support_kind=SupportKind.ADVISORY_HOURS
    ),
    Benefit("gold-core", "Gold core", Category.GTM),
]

INCIDENTS_ACTIVE = KINDS.replace(
    "      status: pending\n      requested_by: U0MPN\n      requested_at: 2026-03-16\n",
    "      status: active\n      requested_by: U0MPN\n      requested_at: 2026-03-16\n"
    "      access_id: '7654321'\n      contract_id: SRX-2026-00077\n",
)


def midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


class RecordingSink:
    """An event sink that remembers every event and the repository it came with."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    async def __call__(self, uow: UnitOfWork, event: Event) -> None:
        self.events.append(event)


class FailingSink:
    async def __call__(self, uow: UnitOfWork, event: Event) -> None:
        raise RuntimeError("the outbox is full")


async def everything(store: SqliteStore) -> tuple[Snapshot, list[Activation], list[AuditEntry]]:
    """What an import can change, with the activations and the audit log."""
    async with store.read() as uow:
        activations = await uow.activations.all()
        audit = await uow.audit.recent(1000)
    return await snapshot(store), activations, audit


async def test_every_field_of_every_kind_of_benefit_is_imported(
    store: SqliteStore, clock: FakeClock, tmp_path: Path
) -> None:
    report = await load_and_import(store, write(tmp_path, KINDS), clock)

    assert report.benefits_created == len(KIND_BENEFITS)
    async with store.read() as uow:
        for expected in KIND_BENEFITS:
            assert await uow.benefits.get(expected.id) == expected
        membership = await uow.membership.get()
    assert membership is not None
    assert membership.cloud_competency is True


async def test_the_cloud_competency_is_false_unless_the_file_says_so(
    store: SqliteStore, clock: FakeClock, tmp_path: Path
) -> None:
    await load_and_import(store, write(tmp_path, BASE), clock)

    async with store.read() as uow:
        membership = await uow.membership.get()

    assert membership is not None
    assert membership.cloud_competency is False


async def test_imported_activations_are_stored_with_their_ids_expiry_and_requester(
    store: SqliteStore, clock: FakeClock, tmp_path: Path
) -> None:
    report = await load_and_import(store, write(tmp_path, KINDS), clock)

    async with store.read() as uow:
        signature = await uow.activations.get("signature")
        incidents = await uow.activations.get("incidents")
        offer = await uow.activations.get("gold-core")
        advisory = await uow.activations.get("advisory")
    assert signature == Activation(
        "signature",
        ActivationStatus.ACTIVE,
        "U0MPN",
        midnight(date(2026, 3, 2)),
        completed_by="import",
        completed_at=NOW,
        access_id="1234567",
        contract_id="SRX-2026-00042",
    )
    assert incidents == Activation(
        "incidents", ActivationStatus.PENDING, "U0MPN", midnight(date(2026, 3, 16))
    )
    assert offer is not None
    assert (offer.status, offer.expires_on, offer.access_id) == (
        ActivationStatus.ACTIVE,
        date(2027, 2, 28),
        "",
    )
    assert advisory is None
    assert report.activations_written == 3


async def test_re_importing_every_kind_changes_nothing_and_emits_nothing(
    store: SqliteStore, clock: FakeClock, tmp_path: Path
) -> None:
    path = write(tmp_path, KINDS)
    await load_and_import(store, path, clock)
    before_snapshot, before_activations, before_audit = await everything(store)
    sink = RecordingSink()
    clock.advance(timedelta(days=3))

    again = await import_inventory(
        store, load_inventory(path), clock=clock, events=EventBus.to_all([sink])
    )

    after_snapshot, after_activations, after_audit = await everything(store)
    assert after_snapshot == before_snapshot
    assert after_activations == before_activations
    assert [e.action for e in after_audit[: -len(before_audit)]] == ["inventory.import"]
    assert sink.events == []
    assert (again.benefits_updated, again.activations_written, again.activations_completed) == (
        0,
        0,
        0,
    )
    assert not again.changed


@pytest.mark.parametrize(
    ("old", "new", "benefit_id", "changed"),
    [
        pytest.param(
            "languages: [English, Dutch]",
            "languages: [English, Dutch, German]",
            "windows-11",
            {"languages": ("English", "Dutch", "German")},
            id="languages",
        ),
        pytest.param(
            "operating_systems: [Web]",
            "operating_systems: [Web, Windows]",
            "dynamics",
            {"operating_systems": ("Web", "Windows")},
            id="operating systems",
        ),
        pytest.param(
            "https://downloads.contoso.com/w11/nl/arm64.iso",
            "https://mirror.contoso.com/w11/nl/arm64.iso",
            "windows-11",
            {
                "downloads": (
                    Download("English", "x64", "https://downloads.contoso.com/w11/en/x64.iso"),
                    Download("Dutch", "arm64", "https://mirror.contoso.com/w11/nl/arm64.iso"),
                )
            },
            id="download link",
        ),
        pytest.param(
            "expires_on: 2026-12-31",
            "expires_on: 2027-06-30",
            "vs-enterprise",
            {"expires_on": date(2027, 6, 30)},
            id="expiry",
        ),
        pytest.param(
            "    monthly: true\n    needs_approval: true\n",
            "",
            "azure-credit",
            {"monthly": False, "needs_approval": False},
            id="cloud flags",
        ),
        pytest.param(
            "support_kind: advisory_hours",
            "support_kind: product_incidents",
            "advisory",
            {"support_kind": SupportKind.PRODUCT_INCIDENTS},
            id="support kind",
        ),
    ],
)
async def test_a_changed_detail_updates_the_benefit_in_place(
    store: SqliteStore,
    clock: FakeClock,
    tmp_path: Path,
    old: str,
    new: str,
    benefit_id: str,
    changed: dict[str, Any],
) -> None:
    await load_and_import(store, write(tmp_path, KINDS), clock)
    async with store.write() as uow:
        await uow.assignments.add(
            benefit_id=benefit_id, user_id="U0HELD", assigned_at=NOW, assigned_by="U0ADMIN"
        )
    assert old in KINDS

    report = await load_and_import(
        store, write(tmp_path, KINDS.replace(old, new, 1), "changed.yaml"), clock
    )

    expected = next(b for b in KIND_BENEFITS if b.id == benefit_id)
    async with store.read() as uow:
        assert await uow.benefits.get(benefit_id) == replace(expected, **changed)
        assert await uow.assignments.find_active(benefit_id, "U0HELD") is not None
    assert (report.benefits_created, report.benefits_updated) == (0, 1)


async def test_an_import_that_completes_a_pending_activation_emits_one_activation_completed(
    store: SqliteStore, clock: FakeClock, tmp_path: Path
) -> None:
    await load_and_import(store, write(tmp_path, KINDS), clock)
    sink = RecordingSink()
    clock.advance(timedelta(days=4))
    path = write(tmp_path, INCIDENTS_ACTIVE, "completed.yaml")

    report = await import_inventory(
        store, load_inventory(path), clock=clock, events=EventBus.to_all([sink])
    )

    assert len(sink.events) == 1
    event = sink.events[0]
    assert isinstance(event, ActivationCompleted)
    assert event.benefit == next(b for b in KIND_BENEFITS if b.id == "incidents")
    assert event.activation == Activation(
        "incidents",
        ActivationStatus.ACTIVE,
        "U0MPN",
        midnight(date(2026, 3, 16)),
        completed_by="import",
        completed_at=NOW + timedelta(days=4),
        access_id="7654321",
        contract_id="SRX-2026-00077",
    )
    async with store.read() as uow:
        assert await uow.activations.get("incidents") == event.activation
        audit = await uow.audit.recent(2)
    assert (audit[1].action, audit[1].subject, audit[1].actor) == (
        "activation.complete",
        "benefit:incidents",
        "import",
    )
    assert (report.activations_written, report.activations_completed) == (1, 1)
    assert "1 of them completed" in report.summary()

    again = RecordingSink()
    await import_inventory(
        store, load_inventory(path), clock=clock, events=EventBus.to_all([again])
    )

    assert again.events == []


async def test_a_file_written_before_a_completion_does_not_take_the_activation_back(
    store: SqliteStore, clock: FakeClock, tmp_path: Path
) -> None:
    await load_and_import(store, write(tmp_path, INCIDENTS_ACTIVE, "completed.yaml"), clock)
    async with store.read() as uow:
        completed = await uow.activations.get("incidents")
    sink = RecordingSink()

    stale = await import_inventory(
        store,
        load_inventory(write(tmp_path, KINDS, "stale.yaml")),
        clock=clock,
        events=EventBus.to_all([sink]),
    )

    async with store.read() as uow:
        assert await uow.activations.get("incidents") == completed
    assert completed is not None
    assert completed.status is ActivationStatus.ACTIVE
    assert stale.activations_written == 0
    assert sink.events == []


async def test_an_activation_without_requester_or_date_is_requested_by_import_on_the_import_day(
    store: SqliteStore, clock: FakeClock, tmp_path: Path
) -> None:
    bare = KINDS.replace("      requested_by: U0MPN\n      requested_at: 2026-03-16\n", "")

    await load_and_import(store, write(tmp_path, bare), clock)

    async with store.read() as uow:
        incidents = await uow.activations.get("incidents")
    assert incidents is not None
    assert (incidents.status, incidents.requested_by) == (ActivationStatus.PENDING, "import")
    assert incidents.requested_at.date() == NOW.date()


async def test_a_sink_that_fails_undoes_the_whole_import(
    store: SqliteStore, clock: FakeClock, tmp_path: Path
) -> None:
    await load_and_import(store, write(tmp_path, KINDS), clock)
    before = await everything(store)
    path = write(tmp_path, INCIDENTS_ACTIVE.replace("seats: 5", "seats: 6"), "completed.yaml")

    with pytest.raises(RuntimeError, match="the outbox is full"):
        await import_inventory(
            store, load_inventory(path), clock=clock, events=EventBus.to_all([FailingSink()])
        )

    assert await everything(store) == before


async def test_every_kind_imports_into_sqlite_exactly_as_into_memory(
    store: SqliteStore, clock: FakeClock, tmp_path: Path
) -> None:
    inventory = load_inventory(write(tmp_path, KINDS))
    sqlite = await open_sqlite(tmp_path / "kinds.db")
    try:
        await import_inventory(sqlite, inventory, clock=clock)
        await import_inventory(store, inventory, clock=clock)
        async with sqlite.read() as uow:
            in_sqlite = (
                await uow.membership.get(),
                await uow.benefits.all(),
                await uow.activations.all(),
            )
    finally:
        await sqlite.close()
    async with store.read() as uow:
        in_memory = (
            await uow.membership.get(),
            await uow.benefits.all(),
            await uow.activations.all(),
        )

    assert in_sqlite == in_memory
    assert set(in_sqlite[1]) == set(KIND_BENEFITS)


WINDOWS = "benefits[0] (id: windows-11)"
AZURE = "benefits[1] (id: azure-credit)"
DYNAMICS = "benefits[2] (id: dynamics)"
VS = "benefits[3] (id: vs-enterprise)"
SIGNATURE = "benefits[4] (id: signature)"
INCIDENTS = "benefits[5] (id: incidents)"
ADVISORY = "benefits[6] (id: advisory)"
GOLD_CORE = "benefits[7] (id: gold-core)"

BAD_KINDS: list[tuple[str, str, str, str, str, int, str]] = [
    # (case, old text, new text, entry, field, line, words in the problem)
    (
        "cloud competency not a boolean",
        "cloud_competency: true",
        "cloud_competency: 'yes'",
        "membership",
        "cloud_competency",
        6,
        "must be true or false",
    ),
    (
        "languages on a Visual Studio subscription",
        "    expires_on: 2026-12-31\n",
        "    expires_on: 2026-12-31\n    languages: [English]\n",
        VS,
        "languages",
        40,
        "applies only to software benefits and license-based cloud subscriptions, "
        "not to visual_studio benefits",
    ),
    (
        "operating systems on a technical benefit",
        "    support_kind: advisory_hours\n",
        "    support_kind: advisory_hours\n    operating_systems: [x64]\n",
        ADVISORY,
        "operating_systems",
        62,
        "not to technical benefits",
    ),
    (
        "downloads on a go-to-market offer",
        "    category: gtm\n",
        "    category: gtm\n    downloads: [{language: a, os: b, url: 'https://x.example/c'}]\n",
        GOLD_CORE,
        "downloads",
        65,
        "not to gtm benefits",
    ),
    (
        "languages on a usage-based credit",
        "    needs_approval: true\n",
        "    needs_approval: true\n    languages: [English]\n",
        AZURE,
        "languages",
        29,
        "this cloud benefit is usage-based",
    ),
    (
        "a language listed twice",
        "languages: [English, Dutch]",
        "languages: [English, Dutch, english]",
        WINDOWS,
        "languages[2]",
        12,
        "'english' is listed twice (also languages[0], ignoring case)",
    ),
    (
        "a language too long for a Slack option",
        "languages: [English, Dutch]",
        f"languages: [English, Dutch, {'x' * 76}]",
        WINDOWS,
        "languages[2]",
        12,
        "at most 75 characters",
    ),
    (
        "an empty operating system",
        "operating_systems: [x64, arm64]",
        "operating_systems: [x64, arm64, '']",
        WINDOWS,
        "operating_systems[2]",
        13,
        "must not be empty",
    ),
    (
        "a download in a language the benefit does not list",
        "      - language: Dutch\n",
        "      - language: German\n",
        WINDOWS,
        "downloads[1].language",
        18,
        "'German' is not among this benefit's languages ('English', 'Dutch')",
    ),
    (
        "a download for an operating system the benefit does not list",
        "        os: arm64\n",
        "        os: x86\n",
        WINDOWS,
        "downloads[1].os",
        19,
        "'x86' is not among this benefit's operating_systems",
    ),
    (
        "a download link that is not https",
        "https://downloads.contoso.com/w11/nl/arm64.iso",
        "http://downloads.contoso.com/w11/nl/arm64.iso",
        WINDOWS,
        "downloads[1].url",
        20,
        "must be an https:// link",
    ),
    (
        "a download link that is not a link",
        "https://downloads.contoso.com/w11/nl/arm64.iso",
        "see the intranet",
        WINDOWS,
        "downloads[1].url",
        20,
        "must be an https:// link",
    ),
    (
        "two links for one language and OS",
        "      - language: Dutch\n        os: arm64\n",
        "      - language: English\n        os: x64\n",
        WINDOWS,
        "downloads[1]",
        18,
        "a second link for English on x64 (also downloads[0])",
    ),
    (
        "a download with an unknown key",
        "        url: https://downloads.contoso.com/w11/en/x64.iso",
        "        uri: https://downloads.contoso.com/w11/en/x64.iso",
        WINDOWS,
        "downloads[0].uri",
        17,
        'unknown key (did you mean "url"?)',
    ),
    (
        "an expiry that is not a date",
        "expires_on: 2026-12-31",
        "expires_on: next year",
        VS,
        "expires_on",
        39,
        "must be a date",
    ),
    (
        "usage-based software",
        "    seats: 5\n",
        "    seats: 5\n    usage_based: true\n",
        WINDOWS,
        "usage_based",
        12,
        "applies only to cloud benefits, not to software benefits",
    ),
    (
        "a monthly license-based subscription",
        "    seats: 3\n",
        "    seats: 3\n    monthly: true\n",
        DYNAMICS,
        "monthly",
        33,
        "applies only to usage-based cloud benefits (Azure credit); add `usage_based: true`",
    ),
    (
        "an offer that needs approval",
        "    category: gtm\n",
        "    category: gtm\n    needs_approval: true\n",
        GOLD_CORE,
        "needs_approval",
        65,
        "applies only to usage-based cloud benefits (Azure credit); not to gtm benefits",
    ),
    (
        "usage-based as text",
        "usage_based: true",
        "usage_based: 'true'",
        AZURE,
        "usage_based",
        26,
        "must be true or false",
    ),
    (
        "a technical benefit without support kind",
        "    support_kind: advisory_hours\n",
        "",
        ADVISORY,
        "support_kind",
        58,
        "is required for technical benefits: one of 'signature_cloud', 'product_incidents', "
        "'advisory_hours'",
    ),
    (
        "an unknown support kind",
        "support_kind: advisory_hours",
        "support_kind: phone",
        ADVISORY,
        "support_kind",
        61,
        "must be one of",
    ),
    (
        "a support kind on an offer",
        "    category: gtm\n",
        "    category: gtm\n    support_kind: advisory_hours\n",
        GOLD_CORE,
        "support_kind",
        65,
        "applies only to technical benefits, not to gtm benefits",
    ),
    (
        "an activation of software",
        "    seats: 5\n",
        "    seats: 5\n    activation: {status: pending}\n",
        WINDOWS,
        "activation",
        12,
        "applies only to technical benefits and go-to-market offers, not to software",
    ),
    (
        "an activation of advisory hours",
        "    support_kind: advisory_hours\n",
        "    support_kind: advisory_hours\n    activation: {status: pending}\n",
        ADVISORY,
        "activation",
        62,
        "advisory hours need no activation",
    ),
    (
        "an expired status",
        "      status: pending\n",
        "      status: expired\n",
        INCIDENTS,
        "activation.status",
        55,
        "must be 'pending' or 'active' (got 'expired')",
    ),
    (
        "an activation with an unknown key",
        "      requested_at: 2026-03-16\n",
        "      requsted_at: 2026-03-16\n",
        INCIDENTS,
        "activation.requsted_at",
        57,
        'unknown key (did you mean "requested_at"?)',
    ),
    (
        "a requester who is not a Slack user",
        "      requested_by: U0MPN\n      requested_at: 2026-03-16\n",
        "      requested_by: ada\n      requested_at: 2026-03-16\n",
        INCIDENTS,
        "activation.requested_by",
        56,
        "must be a Slack user ID",
    ),
    (
        "IDs on a pending activation",
        "      requested_at: 2026-03-16\n",
        "      requested_at: 2026-03-16\n      access_id: '1'\n",
        INCIDENTS,
        "activation.access_id",
        58,
        "is known only once the activation is complete",
    ),
    (
        "an active technical benefit without contract ID",
        "      contract_id: SRX-2026-00042\n",
        "",
        SIGNATURE,
        "activation.contract_id",
        45,
        "is required once a technical benefit is active: the Contract ID",
    ),
    (
        "an active technical benefit with an empty access ID",
        "access_id: '1234567'",
        "access_id: ''",
        SIGNATURE,
        "activation.access_id",
        48,
        "is required once a technical benefit is active: the Access ID",
    ),
    (
        "an access ID with spaces",
        "access_id: '1234567'",
        "access_id: 12 34 567",
        SIGNATURE,
        "activation.access_id",
        48,
        "may contain only letters, digits",
    ),
    (
        "an access ID written as a number",
        "access_id: '1234567'",
        "access_id: 1234567",
        SIGNATURE,
        "activation.access_id",
        48,
        "put it in quotes, like '1234567'",
    ),
    (
        "an expiry on a technical activation",
        "      contract_id: SRX-2026-00042\n",
        "      contract_id: SRX-2026-00042\n      expires_on: 2027-01-01\n",
        SIGNATURE,
        "activation.expires_on",
        50,
        "applies only to go-to-market offers",
    ),
    (
        "IDs on an offer",
        "      expires_on: 2027-02-28\n",
        "      expires_on: 2027-02-28\n      contract_id: X1\n",
        GOLD_CORE,
        "activation.contract_id",
        70,
        "applies only to technical benefits; a go-to-market offer has `expires_on` instead",
    ),
    (
        "an active offer without expiry",
        "      expires_on: 2027-02-28\n",
        "",
        GOLD_CORE,
        "activation.expires_on",
        66,
        "is required once a go-to-market offer is active: the date it expires",
    ),
    (
        "an offer expiring before it was requested",
        "      expires_on: 2027-02-28\n",
        "      expires_on: 2026-03-01\n",
        GOLD_CORE,
        "activation.expires_on",
        69,
        "must be after requested_at 2026-03-05",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "entry", "field", "line", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_KINDS],
)
async def test_a_kind_specific_mistake_names_the_file_entry_and_field_and_imports_nothing(
    store: SqliteStore,
    clock: FakeClock,
    tmp_path: Path,
    old: str,
    new: str,
    entry: str,
    field: str,
    line: int,
    words: str,
) -> None:
    await load_and_import(store, write(tmp_path, KINDS), clock)
    before = await everything(store)
    assert old in KINDS
    path = write(tmp_path, KINDS.replace(old, new, 1), "bad.yaml")

    with pytest.raises(InventoryError) as caught:
        await load_and_import(store, path, clock)

    message = str(caught.value)
    assert message.startswith(f"{path}, line {line}: {entry}, "), message
    assert f'field "{field}"' in message
    assert words in message
    assert "\n" not in message
    assert await everything(store) == before
