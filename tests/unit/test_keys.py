"""Product keys: encryption at rest, who may see them, the reveal's audit, import and rotation.

The service tests run on the in-memory store; the at-rest tests import into a
real SQLite file and read its bytes.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import InvalidToken

from bot.blocks import ids
from bot.blocks.details import details_view
from bot.blocks.keys import KEYS_PAGE_SIZE, keys_choice_view, keys_view, parse_result_metadata
from bot.domain.clock import FakeClock
from bot.domain.model import (
    Benefit,
    BenefitRow,
    Category,
    Conflict,
    Download,
    Forbidden,
    InvalidInput,
    KeyReveal,
    Membership,
    NotFound,
    Role,
)
from bot.runtime.bootstrap import build_services, ensure_keys_readable
from bot.runtime.container import Services
from bot.services.catalog import Details
from bot.services.inventory.importer import import_inventory
from bot.services.inventory.loader import load_inventory
from bot.services.inventory.schema import InventoryError
from bot.services.keys import (
    InvalidChoice,
    KeyChoice,
    KeyService,
    KeysUnreadable,
    KeyVault,
    RevealedKeys,
    rotate_keys,
    split_key_material,
    store_keys,
)
from bot.settings import SettingsError
from storage.sqlite import SqliteStore, open_sqlite, throwaway_store
from tests.fakes.blockkit import block_kit_violations
from tests.unit.conftest import (
    ADMIN,
    CO_SELL,
    MEMBER,
    MEMBER2,
    MEMBERSHIP,
    SUPPORT,
    VS_ENT,
    audit_log,
    put_benefits,
    rendered,
    snapshot,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "inventory.yaml"

WIN = Benefit(
    "win11",
    "Windows 11 Enterprise",
    Category.SOFTWARE,
    seats=3,
    instructions="Activate online within 30 days.",
    languages=("English", "Dutch"),
    operating_systems=("x64", "arm64"),
    downloads=(
        Download("English", "x64", "https://dl.example.com/en-x64.iso"),
        Download("Dutch", "x64", "https://dl.example.com/nl-x64.iso"),
    ),
)
CRM = Benefit(
    "crm",
    "Dynamics 365 Sales",
    Category.CLOUD,
    seats=5,
    instructions="Redeem in the Microsoft 365 admin center.",
)
CREDIT = Benefit("azure-100", "Azure credit", Category.CLOUD, seats=5, usage_based=True)
EMPTY = Benefit("visio", "Visio Professional", Category.SOFTWARE, seats=2)

WIN_KEYS = tuple(f"WINKY-{n:05d}-QWERT-ASDFG-ZXCVB" for n in range(1, 4))
CRM_KEYS = ("CRMKY-00001-QWERT-ASDFG-ZXCVB",)


@pytest.fixture
def vault_key() -> str:
    return KeyVault.generate_key()


@pytest.fixture
def vault(vault_key: str) -> KeyVault:
    return KeyVault([vault_key])


@pytest.fixture
async def keys(
    services: Services, store: SqliteStore, clock: FakeClock, vault: KeyVault
) -> KeyService:
    """The key service over the unit store, with WIN and CRM keys stored; ADMIN is Global admin."""
    await put_benefits(store, WIN, CRM, CREDIT, EMPTY)
    async with store.write() as uow:
        await store_keys(uow, vault, WIN.id, WIN_KEYS)
        await store_keys(uow, vault, CRM.id, CRM_KEYS)
    return KeyService(store, clock=clock, vault=vault)


async def hold(store: SqliteStore, user: str, benefit: Benefit) -> int:
    async with store.write() as uow:
        assignment = await uow.assignments.add(
            benefit_id=benefit.id,
            user_id=user,
            assigned_at=datetime(2026, 1, 2, tzinfo=UTC),
            assigned_by=ADMIN,
        )
    return assignment.id


async def first_reveal(store: SqliteStore) -> KeyReveal | None:
    async with store.read() as uow:
        return await uow.keys.first_reveal()


async def ciphertexts(store: SqliteStore) -> list[tuple[str, int, str]]:
    async with store.read() as uow:
        return await uow.keys.all_ciphertexts()


# -- the vault --------------------------------------------------------------------


def test_the_vault_encrypts_so_that_the_ciphertext_holds_no_trace_of_the_key(
    vault: KeyVault,
) -> None:
    token = vault.encrypt(WIN_KEYS[0])

    assert WIN_KEYS[0] not in token
    assert WIN_KEYS[0].split("-")[0] not in token
    assert vault.decrypt(token) == WIN_KEYS[0]
    assert vault.encrypt(WIN_KEYS[0]) != token  # every encryption differs


def test_the_vault_encrypts_with_the_newest_key_and_decrypts_with_any_listed() -> None:
    old, new = KeyVault.generate_key(), KeyVault.generate_key()
    under_old = KeyVault([old]).encrypt("KEY-1")

    both = KeyVault([new, old])

    assert both.decrypt(under_old) == "KEY-1"
    assert KeyVault([new]).decrypt(both.encrypt("KEY-2")) == "KEY-2"
    with pytest.raises(InvalidToken):
        KeyVault([new]).decrypt(under_old)


def test_the_vault_never_shows_its_key_material_in_its_repr() -> None:
    key = KeyVault.generate_key()

    assert key not in repr(KeyVault([key]))
    assert repr(KeyVault([key, KeyVault.generate_key()])) == "KeyVault(2 keys)"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "holds no key"),
        ("not-a-fernet-key-sekrit", "key 1 of 1 is not a Fernet key"),
        (f"{KeyVault.generate_key()}, short-sekrit", "key 2 of 2 is not a Fernet key"),
    ],
)
def test_bad_key_material_is_refused_without_echoing_it(value: str, words: str) -> None:
    with pytest.raises(ValueError, match=words) as caught:
        split_key_material(value)

    assert "sekrit" not in str(caught.value)


def test_comma_separated_keys_are_read_newest_first_ignoring_spaces() -> None:
    new, old = KeyVault.generate_key(), KeyVault.generate_key()

    assert split_key_material(f" {new} ,{old}, ") == [new, old]


def test_a_revealed_result_keeps_its_keys_out_of_its_repr() -> None:
    revealed = RevealedKeys(WIN, "English", "x64", None, WIN_KEYS)

    assert not any(key in repr(revealed) for key in WIN_KEYS)


# -- who may see keys --------------------------------------------------------------


async def test_a_seat_holder_gets_the_download_instructions_and_keys_for_their_choice(
    keys: KeyService, store: SqliteStore
) -> None:
    await hold(store, MEMBER, WIN)

    revealed = await keys.reveal(MEMBER, WIN.id, "Dutch", "x64")

    assert revealed.keys == WIN_KEYS
    assert revealed.download == Download("Dutch", "x64", "https://dl.example.com/nl-x64.iso")
    assert (revealed.language, revealed.os) == ("Dutch", "x64")
    assert revealed.benefit.instructions == "Activate online within 30 days."


async def test_a_pair_without_a_download_link_still_reveals_the_keys(
    keys: KeyService, store: SqliteStore
) -> None:
    await hold(store, MEMBER, WIN)

    revealed = await keys.reveal(MEMBER, WIN.id, "english", "ARM64")

    assert (revealed.language, revealed.os) == ("English", "arm64")  # the inventory's spelling
    assert revealed.download is None
    assert revealed.keys == WIN_KEYS


@pytest.mark.parametrize("role", [Role.MPN_PARTNER_ADMIN, Role.GLOBAL_ADMIN])
async def test_mpn_partner_admins_and_global_admins_see_keys_without_a_seat(
    keys: KeyService, services: Services, role: Role
) -> None:
    await services.roles.grant(ADMIN, MEMBER2, role)

    revealed = await keys.reveal(MEMBER2, WIN.id, "English", "x64")

    assert revealed.keys == WIN_KEYS


@pytest.mark.parametrize("role", [None, Role.USER_ADMIN, Role.ADMIN_AGENT])
async def test_anyone_else_is_refused_with_who_may_and_nothing_is_written(
    keys: KeyService, services: Services, store: SqliteStore, role: Role | None
) -> None:
    await services.roles.grant(ADMIN, "UPARTNER1", Role.MPN_PARTNER_ADMIN)
    if role is not None:
        await services.roles.grant(ADMIN, MEMBER, role)
    before = await snapshot(store)

    with pytest.raises(Forbidden) as caught:
        await keys.reveal(MEMBER, WIN.id, "English", "x64")

    text = rendered(caught.value)
    assert "holding a seat" in text
    assert "MPN partner admin or a Global admin" in text
    assert "<@UPARTNER1>" in text
    assert f"<@{ADMIN}>" in text
    assert f"/benefits request {WIN.id}" in text
    assert not any(key in text for key in WIN_KEYS)
    assert await snapshot(store) == before
    assert await first_reveal(store) is None


async def test_a_refusal_without_any_admin_still_says_how_to_get_a_seat(
    bare_services: Services, store: SqliteStore, clock: FakeClock, vault: KeyVault
) -> None:
    await put_benefits(store, WIN)
    async with store.write() as uow:
        await store_keys(uow, vault, WIN.id, WIN_KEYS)
    keys = KeyService(store, clock=clock, vault=vault)

    with pytest.raises(Forbidden) as caught:
        await keys.reveal(MEMBER, WIN.id, "English", "x64")

    assert f"/benefits request {WIN.id}" in rendered(caught.value)


async def test_a_released_seat_no_longer_shows_keys(keys: KeyService, store: SqliteStore) -> None:
    assignment = await hold(store, MEMBER, WIN)
    async with store.write() as uow:
        await uow.assignments.release(assignment, at=datetime(2026, 1, 3, tzinfo=UTC))

    with pytest.raises(Forbidden):
        await keys.reveal(MEMBER, WIN.id, "English", "x64")


async def test_a_seat_of_another_benefit_does_not_show_these_keys(
    keys: KeyService, store: SqliteStore
) -> None:
    await hold(store, MEMBER, CRM)

    with pytest.raises(Forbidden):
        await keys.reveal(MEMBER, WIN.id, "English", "x64")


# -- which benefits have keys -------------------------------------------------------


async def test_a_license_based_cloud_benefit_reveals_its_keys_without_language_or_os(
    keys: KeyService, store: SqliteStore
) -> None:
    await hold(store, MEMBER, CRM)

    revealed = await keys.reveal(MEMBER, CRM.id, None, None)

    assert revealed.keys == CRM_KEYS
    assert (revealed.language, revealed.os, revealed.download) == ("", "", None)


@pytest.mark.parametrize(
    ("benefit", "words"),
    [
        (CREDIT, "usage-based Azure credit: it has no product keys"),
        (VS_ENT, "Visual Studio subscriptions: product keys come only with software"),
        (SUPPORT, "Technical benefits: product keys come only with software"),
        (CO_SELL, "Go-to-market offers: product keys come only with software"),
    ],
)
async def test_other_kinds_of_benefit_have_no_keys_and_say_so(
    keys: KeyService, store: SqliteStore, benefit: Benefit, words: str
) -> None:
    before = await snapshot(store)

    with pytest.raises(InvalidInput) as caught:
        await keys.reveal(ADMIN, benefit.id, None, None)
    with pytest.raises(InvalidInput):
        await keys.prepare(ADMIN, benefit.id)

    assert words in rendered(caught.value)
    assert await snapshot(store) == before


async def test_a_benefit_without_stored_keys_says_the_operator_adds_them(
    keys: KeyService, store: SqliteStore
) -> None:
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await keys.reveal(ADMIN, EMPTY.id, None, None)

    assert "no product keys in the bot yet" in rendered(caught.value)
    assert "`keys:`" in rendered(caught.value)
    assert await snapshot(store) == before
    assert await first_reveal(store) is None


async def test_an_unknown_benefit_id_is_not_found(keys: KeyService) -> None:
    with pytest.raises(NotFound):
        await keys.reveal(ADMIN, "no-such-benefit", None, None)


# -- language and operating system -------------------------------------------------


@pytest.mark.parametrize(
    ("language", "os", "which", "words"),
    [
        (None, "x64", "language", "Pick a language for *Windows 11 Enterprise*: English, Dutch."),
        ("Klingon", "x64", "language", "doesn't come in `Klingon`. Pick one of: English, Dutch."),
        ("English", "", "os", "Pick an operating system for *Windows 11 Enterprise*: x64, arm64."),
        ("English", "BeOS", "os", "isn't available for `BeOS`. Pick one of: x64, arm64."),
    ],
)
async def test_a_missing_or_unknown_choice_lists_the_choices_and_writes_nothing(
    keys: KeyService,
    store: SqliteStore,
    language: str | None,
    os: str | None,
    which: str,
    words: str,
) -> None:
    before = await snapshot(store)

    with pytest.raises(InvalidChoice) as caught:
        await keys.reveal(ADMIN, WIN.id, language, os)

    assert caught.value.field == which
    assert words in rendered(caught.value)
    assert await snapshot(store) == before
    assert await first_reveal(store) is None


# -- audit and the key-viewed flag --------------------------------------------------


async def test_every_reveal_is_audited_without_the_key_and_ends_refund_eligibility(
    keys: KeyService, store: SqliteStore, clock: FakeClock
) -> None:
    await hold(store, MEMBER, WIN)
    assert await first_reveal(store) is None

    await keys.reveal(MEMBER, WIN.id, "English", "x64")
    clock.advance(datetime(2026, 2, 1, tzinfo=UTC) - clock.now())
    await keys.reveal(ADMIN, WIN.id, "Dutch", "x64")

    entries = [e for e in await audit_log(store) if e.action == "keys.reveal"]
    assert [(e.actor, e.subject) for e in entries] == [
        (MEMBER, f"benefit:{WIN.id}"),
        (ADMIN, f"benefit:{WIN.id}"),
    ]
    assert entries[0].detail == "3 keys shown for English / x64"
    assert entries[1].at == datetime(2026, 2, 1, tzinfo=UTC)
    for entry in await audit_log(store):
        assert not any(key in f"{entry}" for key in WIN_KEYS)
    assert await first_reveal(store) == KeyReveal(
        WIN.id, MEMBER, datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    )


async def test_opening_the_choice_reveals_nothing_and_records_nothing(
    keys: KeyService, store: SqliteStore
) -> None:
    await hold(store, MEMBER, WIN)
    before = await snapshot(store)

    choice = await keys.prepare(MEMBER, "Windows 11")

    assert choice == KeyChoice(WIN, 3)
    assert await snapshot(store) == before
    assert await first_reveal(store) is None


async def test_prepare_refuses_someone_without_a_seat_before_the_modal_opens(
    keys: KeyService,
) -> None:
    with pytest.raises(Forbidden):
        await keys.prepare(MEMBER, WIN.id)


async def test_a_membership_still_in_pmc_shows_no_keys_and_records_nothing(
    keys: KeyService, store: SqliteStore
) -> None:
    async with store.write() as uow:
        await uow.membership.put(
            Membership(
                level=MEMBERSHIP.level,
                purchase_date=MEMBERSHIP.purchase_date,
                end_date=MEMBERSHIP.end_date,
                account_email=MEMBERSHIP.account_email,
                managed_in_pmc=True,
            )
        )
    before = await snapshot(store)

    with pytest.raises(Forbidden) as caught:
        await keys.reveal(ADMIN, WIN.id, "English", "x64")

    assert "Partner Membership Center" in rendered(caught.value)
    assert await snapshot(store) == before
    assert await first_reveal(store) is None


# -- key material that does not fit -------------------------------------------------


async def test_keys_the_bots_key_cannot_decrypt_are_refused_without_showing_any(
    keys: KeyService, store: SqliteStore, clock: FakeClock
) -> None:
    other = KeyService(store, clock=clock, vault=KeyVault([KeyVault.generate_key()]))
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await other.reveal(ADMIN, WIN.id, "English", "x64")

    assert "BENEFITS_ENCRYPTION_KEY" in rendered(caught.value)
    assert not any(key in rendered(caught.value) for key in WIN_KEYS)
    assert await snapshot(store) == before
    assert await first_reveal(store) is None


async def test_without_key_material_a_reveal_says_the_operator_must_set_it(
    keys: KeyService, store: SqliteStore, clock: FakeClock
) -> None:
    without = KeyService(store, clock=clock, vault=None)

    with pytest.raises(Conflict) as caught:
        await without.reveal(ADMIN, WIN.id, "English", "x64")

    assert "hasn't set BENEFITS_ENCRYPTION_KEY" in rendered(caught.value)


async def test_the_service_logs_no_key_at_debug(
    keys: KeyService, store: SqliteStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await hold(store, MEMBER, WIN)

    await keys.reveal(MEMBER, WIN.id, "English", "x64")
    with pytest.raises(Forbidden):
        await keys.reveal(MEMBER2, WIN.id, "English", "x64")

    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert not any(key in logged for key in WIN_KEYS)


# -- storing, start-up check, rotation ----------------------------------------------


async def test_storing_the_same_keys_again_changes_nothing(
    keys: KeyService, store: SqliteStore, vault: KeyVault
) -> None:
    before = await ciphertexts(store)

    async with store.write() as uow:
        changed = await store_keys(uow, vault, WIN.id, WIN_KEYS)

    assert not changed
    assert await ciphertexts(store) == before


async def test_storing_other_keys_replaces_them_in_order(
    keys: KeyService, store: SqliteStore, vault: KeyVault
) -> None:
    async with store.write() as uow:
        changed = await store_keys(uow, vault, WIN.id, (WIN_KEYS[2], "NEW-KEY"))
        stored = [vault.decrypt(c) for c in await uow.keys.ciphertexts(WIN.id)]

    assert changed
    assert stored == [WIN_KEYS[2], "NEW-KEY"]


async def test_storing_over_keys_of_another_key_material_is_refused(
    keys: KeyService, store: SqliteStore
) -> None:
    before = await ciphertexts(store)

    with pytest.raises(KeysUnreadable, match="BENEFITS_ENCRYPTION_KEY"):
        async with store.write() as uow:
            await store_keys(uow, KeyVault([KeyVault.generate_key()]), WIN.id, WIN_KEYS)

    assert await ciphertexts(store) == before


async def test_start_up_with_stored_keys_needs_the_key_that_decrypts_them(
    keys: KeyService, store: SqliteStore, vault: KeyVault
) -> None:
    await ensure_keys_readable(store, vault)  # the right key: no complaint

    with pytest.raises(SettingsError) as missing:
        await ensure_keys_readable(store, None)
    wrong_key = KeyVault.generate_key()
    with pytest.raises(SettingsError) as wrong:
        await ensure_keys_readable(store, KeyVault([wrong_key]))

    assert len(missing.value.lines) == 1
    assert missing.value.lines[0].startswith("BENEFITS_ENCRYPTION_KEY is missing")
    assert "4 encrypted product keys" in missing.value.lines[0]
    assert len(wrong.value.lines) == 1
    assert wrong.value.lines[0].startswith("BENEFITS_ENCRYPTION_KEY does not decrypt")
    assert wrong_key not in wrong.value.lines[0]


async def test_start_up_without_stored_keys_needs_no_key() -> None:
    await ensure_keys_readable(throwaway_store(), None)


async def test_rotation_re_encrypts_every_key_under_the_new_key_with_equal_plaintexts(
    keys: KeyService, store: SqliteStore, vault: KeyVault, vault_key: str, clock: FakeClock
) -> None:
    old = await ciphertexts(store)
    new_key = KeyVault.generate_key()
    both = KeyVault([new_key, vault_key])
    seen: list[tuple[int, int]] = []

    count = await rotate_keys(store, both, clock=clock, progress=lambda d, t: seen.append((d, t)))

    rotated = await ciphertexts(store)
    assert count == 4
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert [(b, p) for b, p, _ in rotated] == [(b, p) for b, p, _ in old]
    assert all(new != before for (_, _, new), (_, _, before) in zip(rotated, old, strict=True))
    only_new = KeyVault([new_key])
    assert [only_new.decrypt(c) for _, _, c in rotated] == [vault.decrypt(c) for _, _, c in old]
    assert not any(vault.can_decrypt(c) for _, _, c in rotated)  # the old key alone: no more
    rotation = [e for e in await audit_log(store) if e.action == "keys.rotate"]
    assert [(e.actor, e.detail) for e in rotation] == [
        ("operator", "4 product keys re-encrypted under the newest key")
    ]


async def test_rotation_without_the_old_key_listed_changes_nothing(
    keys: KeyService, store: SqliteStore, clock: FakeClock
) -> None:
    before = await ciphertexts(store)
    audit_before = await audit_log(store)

    with pytest.raises(KeysUnreadable, match="BENEFITS_ENCRYPTION_KEY"):
        await rotate_keys(store, KeyVault([KeyVault.generate_key()]), clock=clock)

    assert await ciphertexts(store) == before
    assert await audit_log(store) == audit_before


# -- import -----------------------------------------------------------------------


def _inventory(tmp_path: Path, benefits: str, name: str = "inventory.yaml") -> Path:
    path = tmp_path / name
    path.write_text(
        "membership:\n"
        "  level: gold\n"
        "  purchase_date: 2026-03-01\n"
        "  end_date: 2027-02-28\n"
        "  account_email: partner-admin@contoso.com\n"
        "benefits:\n" + benefits,
        encoding="utf-8",
    )
    return path


SOFTWARE_WITH_KEYS = """\
  - id: win11
    name: Windows 11 Enterprise
    category: software
    seats: 2
    keys:
      - AAAAA-BBBBB-CCCCC-DDDDD-00001
      - AAAAA-BBBBB-CCCCC-DDDDD-00002
"""


async def test_an_import_stores_keys_encrypted_and_a_second_import_changes_nothing(
    tmp_path: Path, clock: FakeClock, vault: KeyVault
) -> None:
    store = throwaway_store()
    path = _inventory(tmp_path, SOFTWARE_WITH_KEYS)

    first = await import_inventory(store, load_inventory(path), clock=clock, vault=vault)
    stored = await ciphertexts(store)
    again = await import_inventory(store, load_inventory(path), clock=clock, vault=vault)

    assert first.keys_updated == 1
    assert [vault.decrypt(c) for _, _, c in stored] == [
        "AAAAA-BBBBB-CCCCC-DDDDD-00001",
        "AAAAA-BBBBB-CCCCC-DDDDD-00002",
    ]
    assert not any("DDDDD-0000" in c for _, _, c in stored)
    assert again.keys_updated == 0
    assert not again.changed
    assert await ciphertexts(store) == stored
    assert "product keys: 1 benefits updated" in first.summary()
    assert not any("DDDDD-0000" in e.detail for e in await audit_log(store))


async def test_an_import_with_keys_but_no_encryption_key_names_the_variable_and_writes_nothing(
    tmp_path: Path, clock: FakeClock
) -> None:
    store = throwaway_store()

    with pytest.raises(InventoryError) as caught:
        await import_inventory(
            store, load_inventory(_inventory(tmp_path, SOFTWARE_WITH_KEYS)), clock=clock
        )

    assert "BENEFITS_ENCRYPTION_KEY is not set" in str(caught.value)
    assert 'field "keys"' in str(caught.value)
    assert "DDDDD-0000" not in str(caught.value)
    async with store.read() as uow:
        assert await uow.benefits.all() == []
        assert await uow.keys.all_ciphertexts() == []


async def test_a_re_import_with_another_encryption_key_is_refused_and_writes_nothing(
    tmp_path: Path, clock: FakeClock, vault: KeyVault
) -> None:
    store = throwaway_store()
    path = _inventory(tmp_path, SOFTWARE_WITH_KEYS)
    await import_inventory(store, load_inventory(path), clock=clock, vault=vault)
    before = await ciphertexts(store)

    with pytest.raises(InventoryError) as caught:
        await import_inventory(
            store,
            load_inventory(path),
            clock=clock,
            vault=KeyVault([KeyVault.generate_key()]),
        )

    assert "cannot be decrypted with BENEFITS_ENCRYPTION_KEY" in str(caught.value)
    assert "DDDDD-0000" not in str(caught.value)
    assert await ciphertexts(store) == before


async def test_an_empty_keys_list_removes_the_stored_keys(
    tmp_path: Path, clock: FakeClock, vault: KeyVault
) -> None:
    store = throwaway_store()
    await import_inventory(
        store, load_inventory(_inventory(tmp_path, SOFTWARE_WITH_KEYS)), clock=clock, vault=vault
    )
    emptied = SOFTWARE_WITH_KEYS.split("    keys:")[0] + "    keys: []\n"

    report = await import_inventory(
        store, load_inventory(_inventory(tmp_path, emptied, "b.yaml")), clock=clock
    )

    assert report.keys_updated == 1
    assert await ciphertexts(store) == []


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        (
            "  - id: vs\n    name: VS\n    category: visual_studio\n    keys: [SEKRIT-1]\n",
            "applies only to software benefits and license-based cloud subscriptions, "
            "not to visual_studio benefits",
        ),
        (
            "  - id: credit\n    name: Credit\n    category: cloud\n    usage_based: true\n"
            "    keys: [SEKRIT-1]\n",
            "this cloud benefit is usage-based",
        ),
        (
            "  - id: w\n    name: W\n    category: software\n    keys: [SEKRIT-1, SEKRIT-1]\n",
            "is the same key as keys[0]",
        ),
        (
            "  - id: w\n    name: W\n    category: software\n    keys: [SEKRIT-1, 12345]\n",
            "must be text: put the key in quotes",
        ),
        (
            "  - id: w\n    name: W\n    category: software\n    keys: ['SEKRIT-1', '  ']\n",
            "must not be empty",
        ),
        (
            f"  - id: w\n    name: W\n    category: software\n    keys: [SEKRIT-{'9' * 300}]\n",
            "must be at most 200 characters",
        ),
        (
            "  - id: w\n    name: W\n    category: software\n    keys: SEKRIT-1\n",
            "must be a list of product keys",
        ),
    ],
)
def test_bad_keys_in_the_file_name_the_field_and_never_quote_a_key(
    tmp_path: Path, entry: str, words: str
) -> None:
    with pytest.raises(InventoryError) as caught:
        load_inventory(_inventory(tmp_path, entry))

    assert words in str(caught.value)
    assert "keys" in str(caught.value)
    assert "SEKRIT" not in str(caught.value)
    assert "12345" not in str(caught.value)


def test_a_loaded_inventory_never_shows_its_keys_in_a_repr(tmp_path: Path) -> None:
    inventory = load_inventory(_inventory(tmp_path, SOFTWARE_WITH_KEYS))

    assert "DDDDD-0000" not in repr(inventory)


# -- at rest: the SQLite file ---------------------------------------------------------


def _example_keys() -> list[str]:
    return [
        key.get_secret_value()
        for entry in load_inventory(EXAMPLE).benefits
        for key in entry.keys or []
    ]


def _leaks(folder: Path, keys: list[str]) -> list[str]:
    found = []
    for path in sorted(folder.glob("benefits.db*")):
        data = path.read_bytes()
        found += [f"{path.name}: {key}" for key in keys if key.encode() in data]
    return found


async def test_the_database_file_and_its_wal_hold_none_of_the_imported_keys(
    tmp_path: Path, clock: FakeClock, vault: KeyVault
) -> None:
    keys = _example_keys()
    assert len(keys) >= 4
    store = await open_sqlite(str(tmp_path / "benefits.db"))
    try:
        await import_inventory(store, load_inventory(EXAMPLE), clock=clock, vault=vault)
        await build_services(store, clock=clock).roles.bootstrap_grant(ADMIN, Role.GLOBAL_ADMIN)
        revealed = await KeyService(store, clock=clock, vault=vault).reveal(
            ADMIN, "windows-11-enterprise", "English", "x64"
        )
        assert set(revealed.keys) <= set(keys)  # the keys are really there, encrypted
        assert (tmp_path / "benefits.db-wal").exists()
        assert _leaks(tmp_path, keys) == []
    finally:
        await store.close()
    assert _leaks(tmp_path, keys) == []


async def test_the_grep_of_the_database_would_find_a_key_stored_in_plain_text(
    tmp_path: Path, clock: FakeClock
) -> None:
    """The at-rest check can fail: a key written as is shows up in the file's bytes."""
    store = await open_sqlite(str(tmp_path / "benefits.db"))
    try:
        async with store.write() as uow:
            await uow.benefits.put(WIN)
            await uow.keys.put(WIN.id, [WIN_KEYS[0]])
        assert _leaks(tmp_path, [WIN_KEYS[0]]) != []
    finally:
        await store.close()


# -- the modals --------------------------------------------------------------------


def _texts(view: dict[str, object]) -> str:
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(view)
    return "\n".join(found)


def test_the_choice_modal_offers_the_benefits_languages_and_operating_systems() -> None:
    view = keys_choice_view(KeyChoice(WIN, 3))

    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert view["callback_id"] == ids.KEYS_VIEW
    assert view["private_metadata"] == WIN.id
    assert [o["value"] for o in inputs[ids.KEYS_LANGUAGE_BLOCK]["options"]] == ["English", "Dutch"]
    assert [o["value"] for o in inputs[ids.KEYS_OS_BLOCK]["options"]] == ["x64", "arm64"]
    assert "initial_option" not in inputs[ids.KEYS_OS_BLOCK]
    assert block_kit_violations(view, surface="modal") == []


def test_the_choice_modal_of_a_benefit_without_languages_has_no_inputs() -> None:
    view = keys_choice_view(KeyChoice(CRM, 1))

    assert [b["type"] for b in view["blocks"]] == ["section"]
    assert block_kit_violations(view, surface="modal") == []


def test_two_hundred_keys_are_shown_on_two_pages_within_block_kit_limits() -> None:
    many = tuple(f"XXXXX-XXXXX-XXXXX-XXXXX-{n:05d}" for n in range(1, 201))
    revealed = RevealedKeys(WIN, "English", "x64", WIN.downloads[0], many)

    first, second = keys_view(revealed, 0), keys_view(revealed, 1)

    for view in (first, second):
        assert block_kit_violations(view, surface="modal") == []
        assert len(view["blocks"]) <= 100
    shown = [k for k in many if f"`{k}`" in _texts(first)] + [
        k for k in many if f"`{k}`" in _texts(second)
    ]
    assert shown == list(many)  # every key once, in order, none dropped
    assert KEYS_PAGE_SIZE == 100
    nav = [b for b in first["blocks"] if b.get("block_id") == ids.KEYS_NAV_BLOCK]
    assert [e["action_id"] for e in nav[0]["elements"]] == [ids.KEYS_NEXT]
    nav = [b for b in second["blocks"] if b.get("block_id") == ids.KEYS_NAV_BLOCK]
    assert [e["action_id"] for e in nav[0]["elements"]] == [ids.KEYS_PREVIOUS]
    assert "https://dl.example.com/en-x64.iso" in _texts(first)
    assert "Activate online within 30 days." in _texts(first)
    assert parse_result_metadata(first["private_metadata"]) == (WIN.id, "English", "x64")


def test_a_page_of_the_longest_keys_still_fits_block_kit() -> None:
    longest = tuple(f"{n:03d}" + "K" * 197 for n in range(KEYS_PAGE_SIZE))
    view = keys_view(RevealedKeys(WIN, "English", "x64", None, longest), 0)

    assert block_kit_violations(view, surface="modal") == []
    assert all(key in _texts(view) for key in longest)


def test_a_single_page_of_keys_has_no_paging_buttons() -> None:
    view = keys_view(RevealedKeys(CRM, "", "", None, CRM_KEYS), 0)

    assert not any(b.get("block_id") == ids.KEYS_NAV_BLOCK for b in view["blocks"])
    assert CRM_KEYS[0] in _texts(view)


@pytest.mark.parametrize(
    ("benefit", "count", "button"),
    [
        (WIN, 3, True),
        (CRM, 1, True),
        (WIN, 0, False),
        (CREDIT, 1, False),
        (VS_ENT, 1, False),
    ],
)
def test_the_details_show_get_keys_only_for_benefits_with_keys(
    benefit: Benefit, count: int, button: bool
) -> None:
    view = details_view(Details(row=BenefitRow(benefit, 0), holders=None, key_count=count))

    action_ids = [
        e.get("action_id") for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert (ids.KEYS_BUTTON in action_ids) is button
