"""Activating technical benefits and go-to-market offers, and marking them active.

An MPN partner admin or Global admin asks for an activation (pending); once
Partner Center has done it, they mark it active with its Access ID and Contract
ID (technical benefits) or its expiry date (offers), which raises
:class:`bot.domain.events.ActivationCompleted`. An inventory import records
activations through :meth:`ActivationService.record_imported`, by the same
rules. The life cycle is :mod:`bot.domain.activations`; what a level is
entitled to, :mod:`bot.domain.entitlements`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime

from bot.domain import events
from bot.domain.activations import (
    ACTIVATED_CATEGORIES,
    CATEGORY_ACTION,
    State,
    activation_state,
    is_past,
)
from bot.domain.clock import Clock
from bot.domain.entitlements import (
    LEVEL_LABELS,
    NEEDS_ACTIVATION,
    SUPPORT_LABELS,
    Allowance,
    entitlement,
)
from bot.domain.limits import IMPORT_ACTOR, PAGE_SIZE
from bot.domain.model import (
    Activation,
    ActivationStatus,
    Benefit,
    Category,
    Conflict,
    InvalidInput,
    MarketingContact,
    Membership,
    MessageRef,
    NotFound,
    Page,
    SupportKind,
)
from bot.domain.permissions import roles_for
from bot.domain.validation import Field, InvalidFields, clean_expiry, clean_support_id
from bot.services.core import EventBus, audit, ensure_changeable, find_benefit, require
from bot.services.support import benefit_of_kind, hours_left
from storage.unit_of_work import Store, UnitOfWork


@dataclass(frozen=True, slots=True)
class ActivationRow:
    """One technical benefit or go-to-market offer as the list shows it."""

    benefit: Benefit
    state: State
    activation: Activation | None
    allowance: Allowance | None  # technical benefits with a support kind, with a membership
    hours_left: int | None = None  # advisory hours


@dataclass(frozen=True, slots=True)
class KindSummary:
    kind: SupportKind
    allowance: Allowance
    hours_left: int | None = None


@dataclass(frozen=True, slots=True)
class Overview:
    """A page of technical benefits or go-to-market offers, with what frames them."""

    category: Category
    page: Page[ActivationRow]
    membership: Membership | None
    entitlements: list[KindSummary]  # technical: every kind of the level
    contact: MarketingContact | None
    can_manage: bool  # may activate and mark active in this category


@dataclass(frozen=True, slots=True)
class ActivationRequested:
    benefit: Benefit
    activation: Activation


@dataclass(frozen=True, slots=True)
class ActivationDone:
    benefit: Benefit
    activation: Activation


class ImportOutcome(enum.StrEnum):
    UNCHANGED = "unchanged"
    REQUESTED = "requested"
    COMPLETED = "completed"
    UPDATED = "updated"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class ImportedActivation:
    """An activation as an inventory file records it."""

    status: ActivationStatus
    requested_by: str = IMPORT_ACTOR
    requested_at: datetime | None = None
    access_id: str = ""
    contract_id: str = ""
    expires_on: date | None = None


class ActivationService:
    """Activations of technical benefits and go-to-market offers: listing, asking
    for one, marking it active, and recording one from an inventory file."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock,
        events: EventBus | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._store = store
        self._clock = clock
        self._events = events or EventBus()
        self.page_size = page_size

    # -- reading -----------------------------------------------------------

    async def overview(self, actor: str, category: Category, *, page: int = 0) -> Overview:
        """One page of technical benefits or go-to-market offers with their status."""
        if category not in ACTIVATED_CATEGORIES:
            raise InvalidInput(
                "Only technical benefits and go-to-market offers are activated here."
            )
        async with self._store.read() as uow:
            total = await uow.benefits.count(category=category)
            last = max((total - 1) // self.page_size, 0)
            page = min(max(page, 0), last)
            benefit_rows = await uow.benefits.rows(
                category=category, offset=page * self.page_size, limit=self.page_size
            )
            membership = await uow.membership.get()
            rows = [await self._row(uow, r.benefit, membership) for r in benefit_rows]
            summaries: list[KindSummary] = []
            if category is Category.TECHNICAL and membership is not None:
                for kind in SupportKind:
                    allowance = entitlement(kind, membership)
                    left = None
                    if kind is SupportKind.ADVISORY_HOURS:
                        advisory = await benefit_of_kind(uow, kind)
                        left = await hours_left(uow, advisory, allowance)
                    summaries.append(KindSummary(kind, allowance, left))
            contact = await uow.marketing_contact.get() if category is Category.GTM else None
            roles = await uow.people.roles_of(actor)
        needed = roles_for(CATEGORY_ACTION[category])
        return Overview(
            category=category,
            page=Page(items=rows, page=page, page_size=self.page_size, total=total),
            membership=membership,
            entitlements=summaries,
            contact=contact,
            can_manage=bool(roles & set(needed)),
        )

    async def current(self, benefit_id: str) -> tuple[Benefit, Activation | None]:
        """A benefit and its activation as they stand now (NotFound: no such benefit)."""
        async with self._store.read() as uow:
            benefit = await self._get(uow, benefit_id)
            return benefit, await uow.activations.get(benefit_id)

    async def row(self, benefit_id: str) -> ActivationRow:
        """The status of one technical benefit or go-to-market offer."""
        async with self._store.read() as uow:
            benefit = await self._get(uow, benefit_id)
            return await self._row(uow, benefit, await uow.membership.get())

    async def _row(
        self, uow: UnitOfWork, benefit: Benefit, membership: Membership | None
    ) -> ActivationRow:
        activation = await uow.activations.get(benefit.id)
        allowance = None
        if benefit.support_kind is not None and membership is not None:
            allowance = entitlement(benefit.support_kind, membership)
        left = None
        if benefit.support_kind is SupportKind.ADVISORY_HOURS:
            left = await hours_left(uow, benefit, allowance)
        return ActivationRow(
            benefit=benefit,
            state=activation_state(benefit, activation, allowance, self._clock.now().date()),
            activation=activation,
            allowance=allowance,
            hours_left=left,
        )

    def _past(self, expires_on: date | None) -> bool:
        """Whether an offer that could be used until ``expires_on`` has ended."""
        return is_past(expires_on, self._clock.now().date())

    # -- activating ----------------------------------------------------------

    async def activate(self, actor: str, query: str) -> ActivationRequested:
        """Ask for a technical benefit or go-to-market offer to be activated (pending).

        Args:
            actor: Who asks; an MPN partner admin or Global admin.
            query: The benefit's id or the start of its name.
        """
        now = self._clock.now()
        async with self._store.write() as uow:
            await ensure_changeable(uow)
            benefit = await find_benefit(uow, query)
            self._check_activated_category(benefit)
            await require(uow, actor, CATEGORY_ACTION[benefit.category])
            membership = await uow.membership.get()
            if benefit.category is Category.TECHNICAL:
                self._check_needs_activation(benefit, membership)
            else:
                contact = await uow.marketing_contact.get()
                if contact is None:
                    raise Conflict(
                        "Set the company's marketing contact before activating a go-to-market "
                        "offer: Microsoft sends the offer's instructions to them. Use "
                        "`/benefits contact`."
                    )
                if await uow.offboardings.current(contact.user_id) is not None:
                    # docs/rules.md#offboarding: a contact who left is missing until replaced.
                    raise Conflict(
                        "The marketing contact {contact_user} has left the company, so the "
                        "contact is missing: set a new one with `/benefits contact` before "
                        "activating a go-to-market offer.",
                        contact_user=contact.user_id,
                    )
            current = await uow.activations.get(benefit.id)
            self._check_not_started(benefit, current)
            activation = Activation(
                benefit_id=benefit.id,
                status=ActivationStatus.PENDING,
                requested_by=actor,
                requested_at=now,
            )
            await uow.activations.put(activation)
            await audit(
                uow, self._clock.now(), actor, "activation.request", f"benefit:{benefit.id}"
            )
            await self._events.emit(uow, events.ActivationRequested(benefit, activation))
        return ActivationRequested(benefit, activation)

    def _check_activated_category(self, benefit: Benefit) -> None:
        if benefit.category is Category.CLOUD:
            raise InvalidInput(
                "*{benefit}* is a cloud service: a member assigns it to themselves with "
                "`/benefits activate {id}`.",
                benefit=benefit.name,
                id=benefit.id,
            )
        if benefit.category not in ACTIVATED_CATEGORIES:
            raise InvalidInput(
                "*{benefit}* is not activated: only technical benefits, go-to-market offers "
                "and cloud credits are. Ask for a seat with `/benefits request {id} [reason]`.",
                benefit=benefit.name,
                id=benefit.id,
            )

    def _check_needs_activation(self, benefit: Benefit, membership: Membership | None) -> None:
        kind = benefit.support_kind
        if kind is not None and kind not in NEEDS_ACTIVATION:
            raise InvalidInput(
                "*{benefit}* needs no activation: any member files a request for advisory "
                "hours with `/benefits advisory <hours> <topic>`.",
                benefit=benefit.name,
            )
        if (
            kind is not None
            and membership is not None
            and not entitlement(kind, membership).available
        ):
            raise Conflict(
                "The {level} membership includes no {support}, so there is nothing to activate.",
                level=LEVEL_LABELS[membership.level],
                support=SUPPORT_LABELS[kind],
            )

    def _check_not_started(self, benefit: Benefit, current: Activation | None) -> None:
        if current is None:
            return
        if current.status is ActivationStatus.PENDING:
            raise Conflict(
                "*{benefit}* was already asked to be activated on {since} by {requester_user}; "
                "it is pending. Processing takes several days; an admin marks it active once "
                "done.",
                benefit=benefit.name,
                since=current.requested_at.date().isoformat(),
                requester_user=current.requested_by,
            )
        if current.status is ActivationStatus.ACTIVE and not self._past(current.expires_on):
            since = (current.completed_at or current.requested_at).date().isoformat()
            raise Conflict(
                "*{benefit}* is already active (since {since}).",
                benefit=benefit.name,
                since=since,
            )

    async def completion_form(self, actor: str, benefit_id: str) -> tuple[Benefit, Activation]:
        """Check that ``actor`` may mark the pending activation active, before the form opens."""
        async with self._store.read() as uow:
            await ensure_changeable(uow)
            return await self._pending_for_completion(uow, actor, benefit_id)

    async def complete(
        self,
        actor: str,
        benefit_id: str,
        *,
        access_id: str | None = None,
        contract_id: str | None = None,
        expires_on: date | str | None = None,
        message: MessageRef | None = None,
    ) -> ActivationDone:
        """Record that a pending activation is done (Mark active).

        A technical benefit needs its Access ID and Contract ID, a go-to-market
        offer its Expires date. Raises :class:`InvalidFields` naming each wrong
        input; on success emits :class:`bot.domain.events.ActivationCompleted`,
        with ``message``, the lasting message it was marked active from (which
        then shows the outcome).
        """
        now = self._clock.now()
        async with self._store.write() as uow:
            await ensure_changeable(uow)
            benefit, pending = await self._pending_for_completion(uow, actor, benefit_id)
            errors: dict[Field, InvalidInput] = {}
            ids: dict[Field, str] = {}
            expiry: date | None = None
            if benefit.category is Category.TECHNICAL:
                for field, text in ((Field.ACCESS_ID, access_id), (Field.CONTRACT_ID, contract_id)):
                    try:
                        ids[field] = clean_support_id(field, text)
                    except InvalidInput as error:
                        errors[field] = error
            else:
                try:
                    expiry = clean_expiry(expires_on, today=now.date())
                except InvalidInput as error:
                    errors[Field.EXPIRES_ON] = error
            if errors:
                raise InvalidFields(errors)
            activation = replace(
                pending,
                status=ActivationStatus.ACTIVE,
                completed_by=actor,
                completed_at=now,
                access_id=ids.get(Field.ACCESS_ID, ""),
                contract_id=ids.get(Field.CONTRACT_ID, ""),
                expires_on=expiry,
            )
            await uow.activations.put(activation)
            await audit(
                uow,
                self._clock.now(),
                actor,
                "activation.complete",
                f"benefit:{benefit.id}",
                _detail(activation),
            )
            await self._events.emit(uow, events.ActivationCompleted(benefit, activation, message))
        return ActivationDone(benefit, activation)

    async def _pending_for_completion(
        self, uow: UnitOfWork, actor: str, benefit_id: str
    ) -> tuple[Benefit, Activation]:
        benefit = await self._get(uow, benefit_id)
        if benefit.category not in ACTIVATED_CATEGORIES:
            raise InvalidInput(
                "*{benefit}* is not a technical benefit or go-to-market offer.",
                benefit=benefit.name,
            )
        await require(uow, actor, CATEGORY_ACTION[benefit.category])
        current = await uow.activations.get(benefit.id)
        if current is None:
            raise Conflict(
                "Nobody asked for *{benefit}* to be activated yet. Activate it first with "
                "`/benefits activate {id}`.",
                benefit=benefit.name,
                id=benefit.id,
            )
        if current.status is ActivationStatus.EXPIRED or (
            current.status is ActivationStatus.ACTIVE and self._past(current.expires_on)
        ):
            raise Conflict(
                "*{benefit}* has expired. Activate it again with `/benefits activate {id}`.",
                benefit=benefit.name,
                id=benefit.id,
            )
        if current.status is ActivationStatus.ACTIVE:
            raise Conflict(
                "*{benefit}* is already active: {completer_user} marked it on {since}.",
                benefit=benefit.name,
                completer_user=current.completed_by or IMPORT_ACTOR,
                since=(current.completed_at or current.requested_at).date().isoformat(),
            )
        return benefit, current

    async def record_imported(
        self,
        uow: UnitOfWork,
        benefit: Benefit,
        imported: ImportedActivation,
        *,
        actor: str = IMPORT_ACTOR,
    ) -> ImportOutcome:
        """Apply an activation that an inventory file records, in the import's unit of work.

        The same rules as in Slack apply: IDs or an expiry must be valid, and a
        completion is audited and emits :class:`bot.domain.events.ActivationCompleted`.
        An import never moves an activation back (active stays active when the
        file says pending); an offer whose expiry has passed is stored expired.

        Raises:
            InvalidInput: The entry cannot be applied (wrong category, bad IDs).
        """
        now = self._clock.now()
        if benefit.category not in ACTIVATED_CATEGORIES:
            raise InvalidInput(
                "Only technical benefits and go-to-market offers carry an activation."
            )
        if benefit.support_kind is not None and benefit.support_kind not in NEEDS_ACTIVATION:
            raise InvalidInput("Advisory hours need no activation; leave `activation` out.")
        current = await uow.activations.get(benefit.id)
        requested_at = imported.requested_at or (current.requested_at if current else now)
        requested_by = imported.requested_by or IMPORT_ACTOR
        if imported.status is ActivationStatus.PENDING:
            if current is not None and current.status is not ActivationStatus.EXPIRED:
                return ImportOutcome.UNCHANGED
            activation = Activation(
                benefit_id=benefit.id,
                status=ActivationStatus.PENDING,
                requested_by=requested_by,
                requested_at=requested_at,
            )
            await uow.activations.put(activation)
            await audit(
                uow, self._clock.now(), actor, "activation.request", f"benefit:{benefit.id}"
            )
            return ImportOutcome.REQUESTED
        access_id = contract_id = ""
        if benefit.category is Category.TECHNICAL:
            access_id = clean_support_id(Field.ACCESS_ID, imported.access_id)
            contract_id = clean_support_id(Field.CONTRACT_ID, imported.contract_id)
        elif imported.expires_on is None:
            raise InvalidInput("An active go-to-market offer needs its `expires_on` date.")
        expired = imported.status is ActivationStatus.EXPIRED or self._past(imported.expires_on)
        status = ActivationStatus.EXPIRED if expired else ActivationStatus.ACTIVE
        if (
            current is not None
            and current.status is status
            and (current.access_id, current.contract_id, current.expires_on)
            == (access_id, contract_id, imported.expires_on)
        ):
            return ImportOutcome.UNCHANGED
        was_active = current is not None and current.status is ActivationStatus.ACTIVE
        keep = current if (current is not None and was_active) else None
        activation = Activation(
            benefit_id=benefit.id,
            status=status,
            requested_by=current.requested_by if current else requested_by,
            requested_at=current.requested_at if current else requested_at,
            completed_by=keep.completed_by if keep else actor,
            completed_at=keep.completed_at if keep else now,
            access_id=access_id,
            contract_id=contract_id,
            expires_on=imported.expires_on,
        )
        await uow.activations.put(activation)
        if expired:
            await audit(
                uow,
                self._clock.now(),
                actor,
                "activation.expire",
                f"benefit:{benefit.id}",
                _detail(activation),
            )
            return ImportOutcome.EXPIRED
        if was_active:
            await audit(
                uow,
                self._clock.now(),
                actor,
                "activation.update",
                f"benefit:{benefit.id}",
                _detail(activation),
            )
            return ImportOutcome.UPDATED
        await audit(
            uow,
            self._clock.now(),
            actor,
            "activation.complete",
            f"benefit:{benefit.id}",
            _detail(activation),
        )
        if current is not None and current.status is ActivationStatus.PENDING:
            # A completion the bot saw coming; an activation that arrives already
            # active (a company moving its spreadsheet in) is history, not news.
            await self._events.emit(uow, events.ActivationCompleted(benefit, activation))
        return ImportOutcome.COMPLETED

    async def _get(self, uow: UnitOfWork, benefit_id: str) -> Benefit:
        benefit = await uow.benefits.get(benefit_id)
        if benefit is None:
            raise NotFound(
                "There is no benefit with the id `{benefit_id}`.", benefit_id=benefit_id[:80]
            )
        return benefit


def _detail(activation: Activation) -> str:
    parts = [activation.status.value]
    if activation.access_id:
        parts.append(f"access id {activation.access_id}")
    if activation.contract_id:
        parts.append(f"contract id {activation.contract_id}")
    if activation.expires_on is not None:
        parts.append(f"expires {activation.expires_on.isoformat()}")
    return ", ".join(parts)
