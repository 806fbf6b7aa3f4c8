"""Setting the bot up from Slack: the admin channel a Global admin chooses, what their
Home's checklist asks for until setup is done, the welcome the installer gets, and the
inventory file a Global admin shares in a DM with the bot.

The admin channel chosen here is kept in the database; ``BENEFITS_ADMIN_CHANNEL``,
when set, wins over it (:meth:`bot.services.notices.NoticeService.channel_in`).

A file shared in a DM is imported as ``benefits-bot import`` imports one: the same
validation (:func:`~bot.services.inventory.loader.read_inventory`) and the same
all-or-nothing import (:func:`~bot.services.inventory.importer.import_inventory`).
The reply goes through the outbox, keyed by the file and the message that shared it:
Slack's retries of one event queue one reply, and a file imported once is not
imported again (its reply, queued in the import's transaction, is the record).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Final

from bot.domain.clock import Clock
from bot.domain.limits import USER_ID
from bot.domain.model import InvalidInput, Role
from bot.domain.outbox import NewPing, ParamValue
from bot.domain.permissions import Action
from bot.services.core import EventBus, audit, require
from bot.services.home import HomeService
from bot.services.inventory.importer import ImportReport, import_inventory
from bot.services.inventory.loader import read_inventory
from bot.services.inventory.schema import InventoryError
from bot.services.keys import KeyVault
from bot.services.notices import NoticeService
from storage.unit_of_work import Store, UnitOfWork

UPLOAD_LIMIT: Final = 5 * 1024 * 1024
"""The largest inventory file imported from Slack (5 MB; the CLI has no limit)."""
UPLOAD_PREFIX: Final = "inventory-upload:"
WELCOME_PREFIX: Final = "welcome:"
PROBLEM_SHOWN: Final = 1500
"""At most this many characters of an import's problem go into the reply."""
CHANNEL_ID: Final = re.compile(r"^[CG][A-Z0-9]{2,}$")
"""A public or private channel's ID, as Slack's conversations_select gives it."""
FILE_ID: Final = re.compile(r"^F[A-Z0-9]{2,}$")


class SetupNotice(enum.StrEnum):
    """The messages of setting up, rendered when sent (see bot.runtime.notices)."""

    WELCOME = "welcome"  # DM to the installer who became the first Global admin
    UPLOAD = "inventory_upload"  # the reply to a file shared in a DM


class UploadOutcome(enum.StrEnum):
    """What became of a shared file; the reply says so."""

    IMPORTED = "imported"
    REFUSED = "refused"  # it breaks a rule of the format or of the import: nothing changed
    NOT_ADMIN = "not_admin"
    TOO_LARGE = "too_large"
    UNREADABLE = "unreadable"  # Slack would not hand it over
    ALREADY = "already"  # this file was imported before
    RETRIED = "retried"  # Slack sent the same event again: nothing more to do or say


class TooLarge(Exception):
    """The file is larger than the limit (found while downloading it)."""


class FetchFailed(Exception):
    """The file could not be downloaded from Slack; the message says why (no token)."""


Fetch = Callable[[int], Awaitable[bytes]]
"""Downloads the shared file, at most ``limit`` bytes: raises :class:`TooLarge` past it,
:class:`FetchFailed` when Slack does not hand it over."""


@dataclass(frozen=True, slots=True)
class SharedFile:
    """A file shared in a DM with the bot, as the message event names it."""

    id: str
    name: str
    size: int | None  # as Slack says; None when it did not say
    event: str  # the message that shared it (its ``ts``): the same for Slack's retries


@dataclass(frozen=True, slots=True)
class AdminChannelChoice:
    """The admin channel from the setting (``configured``, which wins) and from Slack."""

    configured: str | None
    chosen: str | None

    @property
    def current(self) -> str | None:
        return self.configured or self.chosen


class _AlreadyImported(Exception):
    """The file's reply was queued by another delivery of it: undo this import."""


def _file_name(name: str) -> str:
    """The shared file's name as messages show it (no folders, never empty)."""
    return PurePath(name.replace("\\", "/")).name[:200] or "inventory.yaml"


def report_params(report: ImportReport) -> dict[str, ParamValue]:
    """An import's counts, as the reply's params."""
    return {
        "created": report.benefits_created,
        "updated": report.benefits_updated,
        "unchanged": report.benefits_unchanged,
        "assigned": report.assignments_created,
        "pending": report.holders_pending,
        "activations": report.activations_written,
        "keys": report.keys_updated,
        "membership": report.membership_changed,
    }


class SetupService:
    """The admin channel chosen in Slack, the installer's welcome, inventory uploads."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock,
        notices: NoticeService,
        home: HomeService,
        events: EventBus | None = None,
        vault: KeyVault | None = None,
        upload_limit: int = UPLOAD_LIMIT,
    ) -> None:
        self._store = store
        self._clock = clock
        self._notices = notices
        self._home = home
        self._events = events
        self._vault = vault
        self.upload_limit = upload_limit

    # -- the admin channel --------------------------------------------------------------

    async def admin_channel(self, actor: str) -> AdminChannelChoice:
        """Where the admin channel comes from; for a Global admin only."""
        async with self._store.read() as uow:
            await require(uow, actor, Action.SET_UP)
            chosen = await uow.settings.admin_channel()
        return AdminChannelChoice(self._notices.admin_channel, chosen)

    async def choose_admin_channel(self, actor: str, channel: str | None) -> AdminChannelChoice:
        """Keep ``channel`` as the admin channel (None: each Global admin by DM), audited;
        the Global admins' Homes are republished (their checklist changes)."""
        if channel is not None and not CHANNEL_ID.match(channel):
            raise InvalidInput("Pick a channel from the list.")
        now = self._clock.now()
        async with self._store.write() as uow:
            await require(uow, actor, Action.SET_UP)
            before = await uow.settings.admin_channel()
            if before != channel:
                await uow.settings.set_admin_channel(channel, by=actor, at=now)
                await audit(
                    uow,
                    now,
                    actor,
                    "settings.admin_channel",
                    f"channel:{channel}" if channel else "channel:none",
                    f"was {before or 'none'}",
                )
                admins = await uow.people.role_holders(Role.GLOBAL_ADMIN)
                await self._home.queue_homes(uow, admins)
        self._notices.forget_channel()
        return AdminChannelChoice(self._notices.admin_channel, channel)

    # -- the installer's welcome ------------------------------------------------------------

    async def queue_welcome(self, uow: UnitOfWork, installer: str) -> None:
        """Queue the DM that welcomes the installer, in the caller's transaction."""
        if not USER_ID.match(installer):
            return
        await uow.outbox.enqueue(
            [
                NewPing(
                    key=f"{WELCOME_PREFIX}{installer}",
                    recipient=installer,
                    kind=SetupNotice.WELCOME.value,
                )
            ],
            at=self._clock.now(),
        )

    # -- the inventory shared in a DM -------------------------------------------------------

    async def receive_file(self, actor: str, shared: SharedFile, fetch: Fetch) -> UploadOutcome:
        """Import a file ``actor`` shared in their DM with the bot, and queue the reply.

        Refused (and nothing changed) unless ``actor`` is a Global admin, when the file
        is larger than :attr:`upload_limit`, when it cannot be downloaded, or when it
        breaks a rule of the inventory file or of the import (the reply names the line
        and the field). A file imported once is not imported again.
        """
        name = _file_name(shared.name)
        imported_key = f"{UPLOAD_PREFIX}{shared.id}:imported"
        async with self._store.read() as uow:
            roles = await uow.people.roles_of(actor)
            before = await uow.outbox.with_prefix(imported_key)
        if Role.GLOBAL_ADMIN not in roles:
            return await self._reply(actor, shared, UploadOutcome.NOT_ADMIN, name)
        if before:
            if any(p.params.get("event") == shared.event for p in before):
                return UploadOutcome.RETRIED
            return await self._reply(actor, shared, UploadOutcome.ALREADY, name)
        if shared.size is not None and shared.size > self.upload_limit:
            return await self._reply(actor, shared, UploadOutcome.TOO_LARGE, name)
        try:
            content = await fetch(self.upload_limit)
        except TooLarge:
            return await self._reply(actor, shared, UploadOutcome.TOO_LARGE, name)
        except FetchFailed as error:
            return await self._reply(
                actor, shared, UploadOutcome.UNREADABLE, name, problem=str(error)
            )
        try:
            inventory = read_inventory(content, source=Path(name))
            await import_inventory(
                self._store,
                inventory,
                clock=self._clock,
                events=self._events,
                vault=self._vault,
                actor=actor,
                then=lambda uow, report: self._imported(uow, actor, shared, name, report),
            )
        except InventoryError as error:
            return await self._reply(actor, shared, UploadOutcome.REFUSED, name, problem=str(error))
        except _AlreadyImported:
            # Imported meanwhile by another delivery: of this message (a retry), or of
            # another message sharing the same file.
            async with self._store.read() as uow:
                first = await uow.outbox.with_prefix(imported_key)
            if any(p.params.get("event") == shared.event for p in first):
                return UploadOutcome.RETRIED
            return await self._reply(actor, shared, UploadOutcome.ALREADY, name)
        return UploadOutcome.IMPORTED

    async def _imported(
        self, uow: UnitOfWork, actor: str, shared: SharedFile, name: str, report: ImportReport
    ) -> None:
        """In the import's transaction: its reply (the record that this file is imported)
        and a republish of the Global admins' Homes."""
        queued = await uow.outbox.enqueue(
            [
                NewPing(
                    key=f"{UPLOAD_PREFIX}{shared.id}:imported",
                    recipient=actor,
                    kind=SetupNotice.UPLOAD.value,
                    params={
                        "outcome": UploadOutcome.IMPORTED.value,
                        "file": name,
                        "event": shared.event,
                        **report_params(report),
                    },
                )
            ],
            at=self._clock.now(),
        )
        if not queued:
            raise _AlreadyImported()
        await self._home.queue_homes(uow, await uow.people.role_holders(Role.GLOBAL_ADMIN))

    async def _reply(
        self,
        actor: str,
        shared: SharedFile,
        outcome: UploadOutcome,
        name: str,
        *,
        problem: str = "",
    ) -> UploadOutcome:
        """Queue the reply of a file that was not imported, once per message that shared it."""
        params: dict[str, ParamValue] = {
            "outcome": outcome.value,
            "file": name,
            "event": shared.event,
            "limit_mb": self.upload_limit // (1024 * 1024),
        }
        if problem:
            params["problem"] = problem[:PROBLEM_SHOWN]
        async with self._store.write(concurrent=True) as uow:
            await uow.outbox.enqueue(
                [
                    NewPing(
                        key=f"{UPLOAD_PREFIX}{shared.id}:{outcome.value}:{shared.event}",
                        recipient=actor,
                        kind=SetupNotice.UPLOAD.value,
                        params=params,
                    )
                ],
                at=self._clock.now(),
            )
        return outcome


__all__ = [
    "UPLOAD_LIMIT",
    "AdminChannelChoice",
    "Fetch",
    "FetchFailed",
    "SetupNotice",
    "SetupService",
    "SharedFile",
    "TooLarge",
    "UploadOutcome",
]
