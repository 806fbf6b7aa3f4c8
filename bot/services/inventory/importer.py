"""Applying an inventory to the store, and turning email holders into Slack users.

:func:`import_inventory` applies a validated inventory (from
:func:`bot.services.inventory.loader.load_inventory`) in one all-or-nothing
transaction, one step per part of an entry: the membership, the benefit, its
holders, its activation and its product keys. :func:`resolve_email_holders`
later turns holders known only by email into Slack users.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from bot.domain.clock import Clock, SystemClock
from bot.domain.limits import IMPORT_ACTOR
from bot.domain.model import Assignment, AuditEntry, Benefit, DirectoryUser, DomainError
from bot.i18n.translate import t
from bot.services.activation import ActivationService, ImportOutcome
from bot.services.core import EventBus
from bot.services.inventory.schema import BenefitEntry, Inventory, InventoryError
from bot.services.keys import SETTING as KEY_SETTING
from bot.services.keys import KeysUnreadable, KeyVault, store_keys
from bot.settings import HINTS
from storage.unit_of_work import Store, UnitOfWork

Progress = Callable[[int, int], None]
"""Called with ``(done, total)`` after each benefit."""
Then = Callable[[UnitOfWork, "ImportReport"], Awaitable[None]]
"""Run in the import's transaction once every entry is applied (what the import owes
Slack is queued there); raising undoes the whole import."""


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import changed."""

    benefits_created: int
    benefits_updated: int
    benefits_unchanged: int
    assignments_created: int
    holders_pending: int
    users_added: int = 0
    membership_changed: bool = False
    activations_written: int = 0
    activations_completed: int = 0
    keys_updated: int = 0  # benefits whose product keys were (re)stored

    @property
    def changed(self) -> bool:
        """Whether the import changed anything but the audit log."""
        return bool(
            self.benefits_created
            or self.benefits_updated
            or self.assignments_created
            or self.users_added
            or self.membership_changed
            or self.activations_written
            or self.keys_updated
        )

    def summary(self) -> str:
        """One line for the audit log and the command line."""
        return (
            f"benefits: {self.benefits_created} created, {self.benefits_updated} updated, "
            f"{self.benefits_unchanged} unchanged; assignments: {self.assignments_created} "
            f"created; holders pending email resolution: {self.holders_pending}; "
            f"users added: {self.users_added}; activations: {self.activations_written} "
            f"written, {self.activations_completed} of them completed; product keys: "
            f"{self.keys_updated} benefits updated; membership "
            f"{'updated' if self.membership_changed else 'unchanged'}"
        )


@dataclass
class _Tally:
    """What the import has changed so far."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    assigned: int = 0
    pending: int = 0
    users_added: int = 0
    activations_written: int = 0
    activations_completed: int = 0
    keys_updated: int = 0

    def report(self, *, membership_changed: bool) -> ImportReport:
        return ImportReport(
            benefits_created=self.created,
            benefits_updated=self.updated,
            benefits_unchanged=self.unchanged,
            assignments_created=self.assigned,
            holders_pending=self.pending,
            users_added=self.users_added,
            membership_changed=membership_changed,
            activations_written=self.activations_written,
            activations_completed=self.activations_completed,
            keys_updated=self.keys_updated,
        )


async def import_inventory(
    store: Store,
    inventory: Inventory,
    *,
    clock: Clock,
    progress: Progress | None = None,
    events: EventBus | None = None,
    vault: KeyVault | None = None,
    actor: str = IMPORT_ACTOR,
    then: Then | None = None,
) -> ImportReport:
    """Apply an inventory to the store in one all-or-nothing transaction.

    The membership is replaced by the file's; each benefit is inserted or
    updated in place (its assignments are kept, and benefits or holders that
    are no longer in the file are left alone). Every holder gets an active
    assignment unless they already have one: by Slack user ID, or by email for
    holders not yet resolved to a user. New assignments are made by
    ``"import"`` and dated at 00:00 UTC of the holder's ``assigned`` date (by
    default the import day). Users given by ID join the directory. One audit
    entry (``inventory.import``) records the import, even when it changed
    nothing.

    A benefit's ``activation`` goes through
    :meth:`bot.services.activation.ActivationService.record_imported`, in the import's
    transaction: the same rules as in Slack, an audit entry for each change,
    and, when the file completes an activation (as **Mark active** does in
    Slack), an :class:`bot.domain.events.ActivationCompleted` to its sinks on
    ``events``.

    Args:
        store: Where to import.
        inventory: A validated inventory, usually from :func:`load_inventory`.
        clock: The time source; gives the import day and the audit time.
        progress: Called with ``(done, total)`` after each benefit.
        events: The bus whose sinks get the completions the import records (e.g.
            the reminders' outbox). A sink that raises undoes the whole import.
        vault: Encrypts the benefits' ``keys`` (from ``BENEFITS_ENCRYPTION_KEY``);
            needed when the file lists any. Keys equal to the stored ones
            (compared decrypted) are left alone.
        actor: Who imports, as the audit entry names them (a Global admin who
            shared the file in Slack; ``"import"`` from the command line).
        then: Run in the same transaction with the report, before it commits
            (see :data:`Then`).

    Returns:
        Counts of what was created, updated or left unchanged.

    Raises:
        InventoryError: A benefit would have more active assignments than
            seats. Nothing is written.
    """
    _check_vault(inventory, vault)
    now = clock.now()
    run = _Import(
        inventory=inventory,
        activations=ActivationService(store, clock=clock, events=events),
        vault=vault,
        today_midnight=datetime.combine(now.date(), time(), tzinfo=UTC),
    )
    total = len(inventory.benefits)
    async with store.write() as uow:
        membership_changed = await run.membership(uow)
        for index, entry in enumerate(inventory.benefits):
            await run.benefit(uow, index, entry)
            if progress is not None:
                progress(index + 1, total)
        report = run.tally.report(membership_changed=membership_changed)
        source = inventory.source
        await uow.audit.add(
            AuditEntry(
                at=now,
                actor=actor,
                action="inventory.import",
                subject=f"inventory:{source.name}" if source is not None else "inventory",
                detail=report.summary(),
            )
        )
        if then is not None:
            await then(uow, report)
    return report


def _check_vault(inventory: Inventory, vault: KeyVault | None) -> None:
    """Refuse a file that lists product keys when there is no key to encrypt them with."""
    with_keys = [(i, e) for i, e in enumerate(inventory.benefits) if e.keys]
    if with_keys and vault is None:
        index, first = with_keys[0]
        raise InventoryError(
            f"the file lists product keys, but {KEY_SETTING} is not set, so they cannot be "
            f"stored encrypted: set it to {HINTS[KEY_SETTING]}. Nothing was imported.",
            path=inventory.source,
            entry=f"benefits[{index}] (id: {first.id})",
            field="keys",
        )


@dataclass
class _Import:
    """One import in progress: the steps that apply each entry, in its unit of work."""

    inventory: Inventory
    activations: ActivationService
    vault: KeyVault | None
    today_midnight: datetime
    tally: _Tally = field(default_factory=_Tally)
    known_users: set[str] = field(default_factory=set)

    def _where(self, index: int, benefit_id: str) -> str:
        return f"benefits[{index}] (id: {benefit_id})"

    async def membership(self, uow: UnitOfWork) -> bool:
        """Replace the membership with the file's; whether it changed."""
        membership = self.inventory.membership.to_membership()
        changed = await uow.membership.get() != membership
        if changed:
            await uow.membership.put(membership)
        return changed

    async def benefit(self, uow: UnitOfWork, index: int, entry: BenefitEntry) -> None:
        """Apply one benefit entry: the benefit, its holders, activation and keys."""
        benefit = entry.to_benefit()
        active = await self._put_benefit(uow, benefit)
        added = await self._add_holders(uow, entry, benefit, active)
        if benefit.seats is not None and len(active) + added > benefit.seats:
            raise _over_seats(self.inventory, index, benefit, len(active), added)
        if entry.activation is not None:
            await self._record_activation(uow, index, entry, benefit)
        if entry.keys is not None:
            await self._store_keys(uow, index, entry, benefit)

    async def _put_benefit(self, uow: UnitOfWork, benefit: Benefit) -> list[Assignment]:
        """Insert or update the benefit in place; its active assignments."""
        existing = await uow.benefits.get(benefit.id)
        if existing is None:
            self.tally.created += 1
            await uow.benefits.put(benefit)
            return []  # benefits are never deleted, so a new one has no assignments
        if existing != benefit:
            self.tally.updated += 1
            await uow.benefits.put(benefit)
        else:
            self.tally.unchanged += 1
        return await uow.assignments.active(benefit.id)

    async def _add_holders(
        self, uow: UnitOfWork, entry: BenefitEntry, benefit: Benefit, active: list[Assignment]
    ) -> int:
        """Assign each holder who has no active assignment yet; how many were added."""
        held_by_user = {a.user_id for a in active if a.user_id is not None}
        held_by_email = {a.holder_email.lower(): a for a in active if a.holder_email}
        added = 0
        for holder in entry.holders:
            if holder.user is not None:
                if holder.user not in self.known_users:
                    self.known_users.add(holder.user)
                    if await uow.people.get_user(holder.user) is None:
                        await uow.people.put_user(DirectoryUser(user_id=holder.user))
                        self.tally.users_added += 1
                if holder.user in held_by_user:
                    continue
            else:
                email = holder.email or ""
                held = held_by_email.get(email)
                if held is not None:
                    if held.user_id is None:
                        self.tally.pending += 1
                    continue
                self.tally.pending += 1
            when = (
                datetime.combine(holder.assigned, time(), tzinfo=UTC)
                if holder.assigned is not None
                else self.today_midnight
            )
            await uow.assignments.add(
                benefit_id=benefit.id,
                user_id=holder.user,
                assigned_at=when,
                assigned_by=IMPORT_ACTOR,
                holder_email=holder.email,
            )
            added += 1
        self.tally.assigned += added
        return added

    async def _record_activation(
        self, uow: UnitOfWork, index: int, entry: BenefitEntry, benefit: Benefit
    ) -> None:
        """The same rules, audit and ActivationCompleted event as "Mark active" in Slack."""
        assert entry.activation is not None
        try:
            outcome = await self.activations.record_imported(
                uow, benefit, entry.activation.to_imported()
            )
        except DomainError as error:
            raise InventoryError(
                t(error.message, None, **error.params) + " Nothing was imported.",
                path=self.inventory.source,
                entry=self._where(index, benefit.id),
                field="activation",
            ) from None
        if outcome is not ImportOutcome.UNCHANGED:
            self.tally.activations_written += 1
        if outcome is ImportOutcome.COMPLETED:
            self.tally.activations_completed += 1

    async def _store_keys(
        self, uow: UnitOfWork, index: int, entry: BenefitEntry, benefit: Benefit
    ) -> None:
        """Store the entry's product keys encrypted; ``keys: []`` removes them."""
        assert entry.keys is not None
        wanted = [key.get_secret_value() for key in entry.keys]
        try:
            if self.vault is not None:
                self.tally.keys_updated += await store_keys(uow, self.vault, benefit.id, wanted)
            elif await uow.keys.count(benefit.id):
                await uow.keys.put(benefit.id, [])
                self.tally.keys_updated += 1
        except KeysUnreadable:
            raise InventoryError(
                f"the product keys stored for this benefit cannot be decrypted with "
                f"{KEY_SETTING}: set it to the key they were imported with (when "
                "rotating, the new key first, then the old one). Nothing was imported.",
                path=self.inventory.source,
                entry=self._where(index, benefit.id),
                field="keys",
            ) from None


def _over_seats(
    inventory: Inventory, index: int, benefit: Benefit, before: int, added: int
) -> InventoryError:
    in_use = before + added
    seats = benefit.seats or 0
    if added:
        why = f"{before} already assigned plus {added} new holder{'' if added == 1 else 's'}"
    else:
        why = f"{before} already assigned"
    return InventoryError(
        f"{seats} seat{'' if seats == 1 else 's'}, but {in_use} would be in use ({why}). "
        f"Unassign {in_use - seats} in Slack first, or raise `seats`. Nothing was imported.",
        path=inventory.source,
        entry=f"benefits[{index}] (id: {benefit.id})",
        field="seats",
    )


# -- resolving email holders -------------------------------------------------


async def resolve_email_holders(
    store: Store,
    lookup: Callable[[str], Awaitable[str | None]],
    *,
    clock: Clock | None = None,
) -> int:
    """Turn holders known only by email into Slack users.

    Looks up each distinct pending email once (outside any transaction), then,
    in one transaction, attaches every assignment whose email was found to the
    user ID and adds the user to the directory. If that user already holds an
    active assignment of the same benefit, the email assignment is released
    instead, so nobody holds one benefit twice. Emails the lookup does not find
    stay pending for the next run. Each resolution is written to the audit log.

    Args:
        store: The store to update.
        lookup: Returns the Slack user ID for an email, or ``None`` when nobody
            has it (the running bot calls ``users.lookupByEmail``). Its
            exceptions propagate, and then nothing is written.
        clock: The time source for audit entries and releases; the system
            clock by default.

    Returns:
        How many assignments stopped being pending (attached or released).
    """
    async with store.read() as uow:
        pending = await uow.assignments.unresolved_holders()
    emails = sorted({a.holder_email.lower() for a in pending if a.holder_email})
    found: dict[str, str] = {}
    for email in emails:
        user_id = await lookup(email)
        if user_id:
            found[email] = user_id
    if not found:
        return 0
    now = (clock or SystemClock()).now()
    resolved = 0
    async with store.write() as uow:
        for assignment in await uow.assignments.unresolved_holders():
            email = (assignment.holder_email or "").lower()
            user_id = found.get(email)
            if user_id is None:
                continue
            if await uow.people.get_user(user_id) is None:
                await uow.people.put_user(DirectoryUser(user_id=user_id, email=email))
            if await uow.assignments.find_active(assignment.benefit_id, user_id) is not None:
                await uow.assignments.release(assignment.id, at=now)
                detail = f"{assignment.benefit_id}: {email} already held it; duplicate released"
            else:
                await uow.assignments.resolve_holder(assignment.id, user_id)
                detail = f"{assignment.benefit_id}: {email}"
            await uow.audit.add(
                AuditEntry(
                    at=now,
                    actor=IMPORT_ACTOR,
                    action="inventory.resolve_holder",
                    subject=f"user:{user_id}",
                    detail=detail,
                )
            )
            resolved += 1
    return resolved
