"""Setting up from Slack, at the service: the admin channel chosen by a Global admin (the
setting wins), where notices go, the installer's welcome and an inventory file shared in a
DM (imported like ``benefits-bot import``, all or nothing, once per file)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.blocks import setup as setup_blocks
from bot.domain.clock import FakeClock
from bot.domain.model import Forbidden, InvalidInput, Role
from bot.domain.outbox import ParamValue, Ping
from bot.i18n.translate import reading_as
from bot.runtime.container import Services
from bot.services.home import SetupState
from bot.services.inventory.loader import load_inventory, read_inventory
from bot.services.inventory.schema import InventoryError
from bot.services.notices import Notice
from bot.services.setup import (
    AdminChannelChoice,
    FetchFailed,
    SetupNotice,
    SharedFile,
    TooLarge,
    UploadOutcome,
)
from storage.sqlite import SqliteStore
from storage.unit_of_work import UnitOfWork
from tests.fakes.blockkit import block_kit_violations
from tests.unit.conftest import ADMIN, MEMBER, VS_ENT, AddBenefits, audit_log
from tests.unit.test_inventory import BASE

CHANNEL = "CADMINS01"
INVENTORY = BASE.encode()

Fetch = Callable[[int], Awaitable[bytes]]


def serving(content: bytes) -> tuple[Fetch, list[int]]:
    """A download that hands over ``content``, and the limits it was asked with."""
    asked: list[int] = []

    async def fetch(limit: int) -> bytes:
        asked.append(limit)
        return content

    return fetch, asked


def failing(error: Exception) -> Fetch:
    async def fetch(limit: int) -> bytes:
        del limit
        raise error

    return fetch


def shared(file_id: str = "F00000001", event: str = "1767225600.000100") -> SharedFile:
    return SharedFile(id=file_id, name="inventory.yaml", size=len(INVENTORY), event=event)


async def replies(store: SqliteStore) -> list[Ping]:
    async with store.read() as uow:
        pings = await uow.outbox.pings(state=None, offset=0, limit=1000)
    return [p for p in pings if p.kind == SetupNotice.UPLOAD]


async def benefit_ids(store: SqliteStore) -> list[str]:
    async with store.read() as uow:
        rows = await uow.benefits.rows(category=None, offset=0, limit=100)
    return sorted(r.benefit.id for r in rows)


# -- the admin channel --------------------------------------------------------------------


async def test_a_chosen_admin_channel_is_where_approval_requests_are_queued(
    services: Services, add_benefits: AddBenefits, store: SqliteStore
) -> None:
    await add_benefits(VS_ENT)

    await services.setup.choose_admin_channel(ADMIN, CHANNEL)
    await services.requests.request_benefit(MEMBER, VS_ENT.id, "for the lab")

    async with store.read() as uow:
        pings = await uow.outbox.pings(state=None, offset=0, limit=100)
    [post] = [p for p in pings if p.kind == Notice.APPROVAL_REQUEST]
    assert post.recipient == CHANNEL
    [entry] = [e for e in await audit_log(store) if e.action == "settings.admin_channel"]
    assert (entry.actor, entry.subject, entry.detail) == (ADMIN, f"channel:{CHANNEL}", "was none")


async def test_the_admin_channel_setting_wins_over_the_one_chosen_in_slack(
    services: Services,
) -> None:
    services.notices.admin_channel = "COPERATE1"

    choice = await services.setup.choose_admin_channel(ADMIN, CHANNEL)

    assert (choice.configured, choice.chosen, choice.current) == ("COPERATE1", CHANNEL, "COPERATE1")
    assert await services.notices.current_channel() == "COPERATE1"


async def test_the_current_channel_is_read_again_once_another_process_changed_it(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    assert await services.notices.current_channel() is None

    async with store.write() as uow:  # as another replica would
        await uow.settings.set_admin_channel(CHANNEL, by=ADMIN, at=clock.now())

    assert await services.notices.current_channel() == CHANNEL


async def test_saying_where_a_notice_just_went_asks_the_database_nothing_more(
    services: Services, store: SqliteStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await services.setup.choose_admin_channel(ADMIN, CHANNEL)
    async with store.read() as uow:  # a change queues its notice: it reads the channel
        assert await services.notices.channel_in(uow) == CHANNEL

    async def no_round_trip() -> int:
        raise AssertionError("the store's version was asked for")

    monkeypatch.setattr(store, "version", no_round_trip)
    assert await services.notices.current_channel() == CHANNEL


async def test_a_channel_chosen_here_is_said_at_once(
    services: Services, store: SqliteStore
) -> None:
    async with store.read() as uow:  # a notice read it a moment before
        assert await services.notices.channel_in(uow) is None

    await services.setup.choose_admin_channel(ADMIN, CHANNEL)

    assert await services.notices.current_channel() == CHANNEL


async def test_only_a_global_admin_chooses_the_admin_channel(services: Services) -> None:
    await services.roles.grant(ADMIN, MEMBER, Role.MPN_PARTNER_ADMIN)

    with pytest.raises(Forbidden):
        await services.setup.choose_admin_channel(MEMBER, CHANNEL)
    with pytest.raises(Forbidden):
        await services.setup.admin_channel(MEMBER)
    assert await services.notices.current_channel() is None


@pytest.mark.parametrize("channel", ["U0123ABCD", "D0123ABCD", "#general", "c0123abcd", ""])
async def test_anything_but_a_channel_id_is_refused(services: Services, channel: str) -> None:
    with pytest.raises(InvalidInput):
        await services.setup.choose_admin_channel(ADMIN, channel)


# -- the installer's welcome ----------------------------------------------------------------


async def test_the_first_admin_made_by_an_install_is_welcomed_once(
    bare_services: Services, store: SqliteStore
) -> None:
    async def welcome(uow: UnitOfWork) -> None:
        await bare_services.setup.queue_welcome(uow, "UINSTALL1")

    assert await bare_services.roles.grant_first_admin(
        "UINSTALL1", operator="slack-install", then=welcome
    )
    assert not await bare_services.roles.grant_first_admin(
        "UINSTALL1", operator="slack-install", then=welcome
    )

    async with store.read() as uow:
        pings = await uow.outbox.pings(state=None, offset=0, limit=100)
    assert [(p.kind, p.recipient) for p in pings] == [(SetupNotice.WELCOME, "UINSTALL1")]


# -- the inventory shared in a DM ---------------------------------------------------------------


async def test_a_shared_inventory_is_imported_with_the_admin_as_its_auditor(
    services: Services, store: SqliteStore
) -> None:
    fetch, asked = serving(INVENTORY)

    outcome = await services.setup.receive_file(ADMIN, shared(), fetch)

    assert outcome is UploadOutcome.IMPORTED
    assert asked == [services.setup.upload_limit]
    assert "windows-11-enterprise" in await benefit_ids(store)
    [reply] = await replies(store)
    assert (reply.recipient, reply.params["outcome"], reply.params["created"]) == (
        ADMIN,
        "imported",
        2,
    )
    [entry] = [e for e in await audit_log(store) if e.action == "inventory.import"]
    assert entry.actor == ADMIN


async def test_a_retry_of_the_same_message_imports_nothing_more_and_says_nothing_more(
    services: Services, store: SqliteStore
) -> None:
    fetch, asked = serving(INVENTORY)
    await services.setup.receive_file(ADMIN, shared(), fetch)

    again = await services.setup.receive_file(ADMIN, shared(), fetch)

    assert again is UploadOutcome.RETRIED
    assert len(asked) == 1  # not even downloaded again
    assert len(await replies(store)) == 1


async def test_the_same_file_shared_in_a_new_message_is_not_imported_again(
    services: Services, store: SqliteStore
) -> None:
    fetch, _ = serving(INVENTORY)
    await services.setup.receive_file(ADMIN, shared(), fetch)

    again = await services.setup.receive_file(ADMIN, shared(event="1767225700.000100"), fetch)

    assert again is UploadOutcome.ALREADY
    imports = [e for e in await audit_log(store) if e.action == "inventory.import"]
    assert len(imports) == 1
    assert [p.params["outcome"] for p in await replies(store)] == ["imported", "already"]


@pytest.mark.parametrize(
    ("second_event", "second_outcome", "replies_sent"),
    [
        ("1767225600.000100", UploadOutcome.RETRIED, 1),
        ("1767225700.000100", UploadOutcome.ALREADY, 2),
    ],
)
async def test_one_file_delivered_twice_at_once_is_imported_once(
    services: Services,
    store: SqliteStore,
    second_event: str,
    second_outcome: UploadOutcome,
    replies_sent: int,
) -> None:
    gate = asyncio.Event()

    async def fetch(limit: int) -> bytes:  # both get past the first look before either imports
        del limit
        await gate.wait()
        return INVENTORY

    first = asyncio.create_task(services.setup.receive_file(ADMIN, shared(), fetch))
    second = asyncio.create_task(
        services.setup.receive_file(ADMIN, shared(event=second_event), fetch)
    )
    await asyncio.sleep(0.05)
    gate.set()

    outcomes = set(await asyncio.gather(first, second))

    assert outcomes == {UploadOutcome.IMPORTED, second_outcome}
    imports = [e for e in await audit_log(store) if e.action == "inventory.import"]
    assert len(imports) == 1
    assert len(await replies(store)) == replies_sent


@pytest.mark.parametrize(
    ("fetch", "outcome"),
    [
        (failing(TooLarge()), UploadOutcome.TOO_LARGE),
        (failing(FetchFailed("files.info answered file_not_found")), UploadOutcome.UNREADABLE),
        (serving(b"membership: [\n")[0], UploadOutcome.REFUSED),
        (serving(b"\xff\xfe not text")[0], UploadOutcome.REFUSED),
    ],
)
async def test_a_file_that_cannot_be_imported_changes_nothing_and_says_why(
    services: Services, store: SqliteStore, fetch: Fetch, outcome: UploadOutcome
) -> None:
    audit_before = len(await audit_log(store))
    before = await benefit_ids(store)

    assert await services.setup.receive_file(ADMIN, shared(), fetch) is outcome

    assert await benefit_ids(store) == before
    assert len(await audit_log(store)) == audit_before
    [reply] = await replies(store)
    assert reply.params["outcome"] == outcome.value


async def test_a_file_from_someone_not_a_global_admin_is_not_even_downloaded(
    services: Services, store: SqliteStore
) -> None:
    fetch, asked = serving(INVENTORY)
    before = await benefit_ids(store)

    outcome = await services.setup.receive_file(MEMBER, shared(), fetch)

    assert outcome is UploadOutcome.NOT_ADMIN
    assert asked == []
    assert await benefit_ids(store) == before


async def test_a_file_slack_says_is_too_large_is_not_downloaded(
    services: Services, store: SqliteStore
) -> None:
    fetch, asked = serving(INVENTORY)
    big = SharedFile(id="F00000009", name="big.yaml", size=6 * 1024 * 1024, event="1")

    assert await services.setup.receive_file(ADMIN, big, fetch) is UploadOutcome.TOO_LARGE
    assert asked == []


async def test_a_shared_file_name_shows_without_folders(
    services: Services, store: SqliteStore
) -> None:
    fetch, _ = serving(b"membership: [\n")
    sneaky = SharedFile(id="F00000002", name="../../etc/inventory.yaml", size=None, event="1")

    await services.setup.receive_file(ADMIN, sneaky, fetch)

    [reply] = await replies(store)
    assert reply.params["file"] == "inventory.yaml"
    assert str(reply.params["problem"]).startswith("inventory.yaml, line ")


def test_bytes_and_a_file_are_read_alike_with_the_same_line_numbers(tmp_path: Path) -> None:
    broken = INVENTORY.replace(b"seats: 2", b"seets: 2").replace(b"\n", b"\r\n")
    path = tmp_path / "inventory.yaml"
    path.write_bytes(broken)

    with pytest.raises(InventoryError) as from_file:
        load_inventory(path)
    with pytest.raises(InventoryError) as from_bytes:
        read_inventory(broken, source=Path("inventory.yaml"))

    assert from_file.value.line == from_bytes.value.line == 10
    assert from_file.value.problem == from_bytes.value.problem


# -- what it looks like -------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("outcome", list(UploadOutcome))
def test_every_reply_to_a_shared_file_keeps_within_block_kit_limits(
    language: str, outcome: UploadOutcome
) -> None:
    params: dict[str, ParamValue] = {
        "outcome": outcome.value,
        "file": "x" * 300 + ".yaml",
        "problem": "&<`" * 700,
        "limit_mb": 5,
        "created": 10**6,
        "membership": True,
    }
    with reading_as(language):
        reply = setup_blocks.upload_reply(params)
    assert block_kit_violations(reply, surface="message", require_fallback_text=True) == []


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("configured", [None, "COPERATE1"])
def test_the_checklist_and_the_forms_keep_within_block_kit_limits(
    language: str, configured: str | None
) -> None:
    state = SetupState(CHANNEL, bool(configured), membership=False, benefits=0)
    choice = AdminChannelChoice(configured, CHANNEL)
    with reading_as(language):
        home = {"type": "home", "blocks": setup_blocks.checklist(state)}
        views = [
            setup_blocks.admin_channel_view(choice),
            setup_blocks.membership_help_view(),
            setup_blocks.inventory_help_view(5),
        ]
        messages = [setup_blocks.welcome_message(), setup_blocks.channel_chosen_message(ADMIN)]
    assert block_kit_violations(home, surface="home") == []
    for view in views:
        assert block_kit_violations(view, surface="modal") == []
    for message in messages:
        assert block_kit_violations(message, surface="message", require_fallback_text=True) == []
