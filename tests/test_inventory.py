"""The inventory file: loading, validation messages, import and email holders."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.domain import Assignment, Benefit, Category, DirectoryUser, Level, Membership
from bot.inventory import (
    ImportReport,
    Inventory,
    InventoryError,
    import_inventory,
    load_inventory,
    resolve_email_holders,
)
from storage.memory import MemoryStore

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "inventory.yaml"
NOW = datetime(2026, 3, 20, 14, 30, tzinfo=UTC)

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
def store() -> MemoryStore:
    return MemoryStore()


def write(tmp_path: Path, text: str, name: str = "inventory.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def load_and_import(store: MemoryStore, path: Path, clock: FakeClock) -> ImportReport:
    return await import_inventory(store, load_inventory(path), clock=clock)


async def snapshot(store: MemoryStore, *user_ids: str) -> Snapshot:
    """Everything an import can change, read through the repository."""
    async with store.read() as repo:
        benefits = await repo.all_benefits()
        assignments = {b.id: await repo.active_assignments(b.id) for b in benefits}
        holders = {a.user_id for found in assignments.values() for a in found if a.user_id}
        users = {uid: await repo.get_user(uid) for uid in sorted(holders | set(user_ids))}
        return (
            await repo.get_membership(),
            benefits,
            assignments,
            await repo.unresolved_holders(),
            users,
        )


async def import_audit(store: MemoryStore) -> list[str]:
    async with store.read() as repo:
        entries = await repo.recent_audit(100)
    return [e.detail for e in entries if e.action == "inventory.import"]


# -- the example file ------------------------------------------------------------


async def test_the_example_file_loads_and_imports(store: MemoryStore, clock: FakeClock) -> None:
    inventory = load_inventory(EXAMPLE)

    report = await import_inventory(store, inventory, clock=clock)

    assert inventory.source == EXAMPLE
    assert report.benefits_created == len(inventory.benefits)
    assert (report.benefits_updated, report.benefits_unchanged) == (0, 0)
    assert report.assignments_created == 4
    assert report.holders_pending == 2
    async with store.read() as repo:
        membership = await repo.get_membership()
        benefits = await repo.all_benefits()
        windows = await repo.active_assignment("windows-11-enterprise", "U024BE7LH")
        user = await repo.get_user("U024BE7LH")
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
    store: MemoryStore, clock: FakeClock
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
    store: MemoryStore, clock: FakeClock
) -> None:
    first = await load_and_import(store, EXAMPLE, clock)
    second = await load_and_import(store, EXAMPLE, clock)

    assert await import_audit(store) == [second.summary(), first.summary()]
    async with store.read() as repo:
        latest = (await repo.recent_audit(1))[0]
    assert (latest.actor, latest.subject, latest.at) == ("import", "inventory:inventory.yaml", NOW)


async def test_a_changed_file_updates_seats_and_name_but_keeps_assignments(
    store: MemoryStore, clock: FakeClock, tmp_path: Path
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
    store: MemoryStore, clock: FakeClock, tmp_path: Path
) -> None:
    await load_and_import(store, write(tmp_path, BASE), clock)
    without = BASE.replace("    holders:\n      - user: U024BE7LH\n", "")

    await load_and_import(store, write(tmp_path, without, "without.yaml"), clock)

    async with store.read() as repo:
        held = await repo.active_assignment("windows-11-enterprise", "U024BE7LH")
    assert held is not None


async def test_a_new_holder_in_a_later_file_gets_a_seat_dated_the_import_day(
    store: MemoryStore, clock: FakeClock, tmp_path: Path
) -> None:
    await load_and_import(store, write(tmp_path, BASE), clock)
    more = BASE.replace(
        "      - user: U024BE7LH\n", "      - user: U024BE7LH\n      - user: W0NEW\n"
    )

    report = await load_and_import(store, write(tmp_path, more, "more.yaml"), clock)

    assert report.assignments_created == 1
    assert report.users_added == 1
    async with store.read() as repo:
        held = await repo.active_assignment("windows-11-enterprise", "W0NEW")
    assert held is not None
    assert held.assigned_at == datetime(2026, 3, 20, tzinfo=UTC)


async def test_a_known_directory_user_is_left_as_it_is(
    store: MemoryStore, clock: FakeClock, tmp_path: Path
) -> None:
    known = DirectoryUser("U024BE7LH", name="Ada", email="ada@contoso.com")
    async with store.write() as repo:
        await repo.put_user(known)

    report = await load_and_import(store, write(tmp_path, BASE), clock)

    assert report.users_added == 0
    async with store.read() as repo:
        assert await repo.get_user("U024BE7LH") == known


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
    store: MemoryStore,
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


async def test_a_yaml_syntax_error_names_the_line_and_column(
    store: MemoryStore, clock: FakeClock, tmp_path: Path
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
    store: MemoryStore, clock: FakeClock, tmp_path: Path
) -> None:
    await load_and_import(store, write(tmp_path, BASE), clock)
    async with store.write() as repo:  # a second seat given out in Slack
        await repo.add_assignment(
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
    store: MemoryStore, clock: FakeClock, tmp_path: Path
) -> None:
    await load_and_import(store, write(tmp_path, BASE), clock)
    async with store.write() as repo:
        await repo.add_assignment(
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


async def test_progress_is_reported_for_every_benefit(store: MemoryStore, clock: FakeClock) -> None:
    inventory = load_inventory(EXAMPLE)
    calls: list[tuple[int, int]] = []

    await import_inventory(
        store, inventory, clock=clock, progress=lambda done, total: calls.append((done, total))
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
    store: MemoryStore, clock: FakeClock
) -> None:
    await load_and_import(store, EXAMPLE, clock)
    slack = FakeDirectory({"j.devries@contoso.com": "U0JDV"})

    resolved = await resolve_email_holders(store, slack.lookup, clock=clock)

    assert resolved == 1
    assert sorted(slack.asked) == ["j.devries@contoso.com", "m.jansen@contoso.com"]
    async with store.read() as repo:
        held = await repo.active_assignment("windows-11-enterprise", "U0JDV")
        pending = await repo.unresolved_holders()
        user = await repo.get_user("U0JDV")
        audit = await repo.recent_audit(1)
    assert held is not None
    assert held.holder_email == "j.devries@contoso.com"
    assert [a.holder_email for a in pending] == ["m.jansen@contoso.com"]
    assert user == DirectoryUser("U0JDV", email="j.devries@contoso.com")
    assert (audit[0].action, audit[0].subject) == ("inventory.resolve_holder", "user:U0JDV")


async def test_nothing_is_written_when_no_email_is_found(
    store: MemoryStore, clock: FakeClock
) -> None:
    await load_and_import(store, EXAMPLE, clock)
    before = await snapshot(store)

    resolved = await resolve_email_holders(store, FakeDirectory({}).lookup, clock=clock)

    assert resolved == 0
    assert await snapshot(store) == before


async def test_a_resolved_email_holder_is_not_assigned_again_by_a_reimport(
    store: MemoryStore, clock: FakeClock
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
    store: MemoryStore, clock: FakeClock, tmp_path: Path
) -> None:
    await load_and_import(store, write(tmp_path, BASE), clock)
    async with store.write() as repo:
        await repo.add_assignment(
            benefit_id="office-ltsc-pro-plus",
            user_id="U0JDV",
            assigned_at=NOW,
            assigned_by="U0ADMIN",
        )

    resolved = await resolve_email_holders(
        store, FakeDirectory({"j.devries@contoso.com": "U0JDV"}).lookup, clock=clock
    )

    assert resolved == 1
    async with store.read() as repo:
        holders = await repo.active_assignments("office-ltsc-pro-plus")
        pending = await repo.unresolved_holders()
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
        lines += [
            f"  - id: benefit-{b:04d}",
            f"    name: Benefit number {b}",
            f"    category: {list(Category)[b % 5].value}",
            f"    seats: {holders_each + b % 3}",
            "    holders:",
        ]
        for h in range(holders_each):
            person = (b * holders_each + h) % 2500
            if h % 2:
                lines.append(f"      - email: person{person}@contoso.com")
            else:
                lines += [f"      - user: U{person:06d}", "        assigned: 2026-03-02"]
    return "\n".join(lines) + "\n"


async def test_a_file_of_1000_benefits_with_10000_holders_imports(
    store: MemoryStore, clock: FakeClock, tmp_path: Path
) -> None:
    path = write(tmp_path, big_inventory_text(1000, 10))
    started = time.perf_counter()

    report = await load_and_import(store, path, clock)

    elapsed = time.perf_counter() - started
    assert report.benefits_created == 1000
    assert report.assignments_created == 10_000
    assert report.holders_pending == 5_000
    assert report.users_added == 1_250
    async with store.read() as repo:
        assert await repo.count_benefits(category=None) == 1000
        assert await repo.count_active_assignments("benefit-0999") == 10
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
