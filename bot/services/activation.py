"""Technical benefits and go-to-market offers: activation, support, advisory hours
and the marketing contact.

What a membership level is entitled to is one declarative table,
:data:`ENTITLEMENTS`; which kind of support answers which problem is another,
:data:`SUPPORT_FOR`. Everything else is one method per use case on
:class:`ActivationService`, which, like the rest of the service layer, knows
nothing of Slack.

Life cycle of an activation (docs/rules.md)::

    (none) ──activate──▶ pending ──complete(IDs or expiry)──▶ active ──end date──▶ expired
                                                                   (expired ──activate──▶ pending)
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from bot.domain import events
from bot.domain.clock import Clock
from bot.domain.events import EventSink
from bot.domain.model import (
    Activation,
    ActivationStatus,
    AdvisoryRequest,
    Benefit,
    Category,
    Conflict,
    DirectoryUser,
    InvalidInput,
    Level,
    MarketingContact,
    Membership,
    NotFound,
    Page,
    Role,
    SupportKind,
)
from bot.domain.permissions import Action, roles_for
from bot.i18n.translate import N_
from bot.services.benefits import PAGE_SIZE, ServiceCore
from storage.unit_of_work import Store, UnitOfWork

IMPORT_ACTOR = "import"
MAX_ID = 64
MAX_TOPIC = 500
MAX_EMAIL = 254
MAX_PHONE = 32
MAX_HOURS_TEXT = 6
MAX_EXPIRY_YEARS = 10
DEFAULT_PHONE_REGION = "US"


# -- the entitlement table --------------------------------------------------


class Unit(enum.StrEnum):
    INCIDENTS = "incidents"
    HOURS = "hours"


@dataclass(frozen=True, slots=True)
class Allowance:
    """How much of one kind of support a membership has: ``amount`` of ``unit``,
    ``None`` for unlimited, 0 when the level has none of it."""

    amount: int | None
    unit: Unit

    @property
    def available(self) -> bool:
        return self.amount is None or self.amount > 0

    @property
    def unlimited(self) -> bool:
        return self.amount is None


@dataclass(frozen=True, slots=True)
class Entitlement:
    """One cell of docs/rules.md's table: the allowance of a level, and a different
    one when the membership holds a cloud competency."""

    standard: Allowance
    with_cloud_competency: Allowance | None = None

    def for_membership(self, membership: Membership) -> Allowance:
        if membership.cloud_competency and self.with_cloud_competency is not None:
            return self.with_cloud_competency
        return self.standard


def _incidents(amount: int | None) -> Allowance:
    return Allowance(amount, Unit.INCIDENTS)


def _hours(amount: int) -> Allowance:
    return Allowance(amount, Unit.HOURS)


# docs/rules.md, "Kinds of support and entitlement per level".
ENTITLEMENTS: Mapping[SupportKind, Mapping[Level, Entitlement]] = {
    SupportKind.SIGNATURE_CLOUD: {
        Level.ACTION_PACK: Entitlement(_incidents(0)),
        Level.SILVER: Entitlement(_incidents(5), with_cloud_competency=_incidents(None)),
        Level.GOLD: Entitlement(_incidents(10), with_cloud_competency=_incidents(None)),
    },
    SupportKind.PRODUCT_INCIDENTS: {
        Level.ACTION_PACK: Entitlement(_incidents(10)),
        Level.SILVER: Entitlement(_incidents(15)),
        Level.GOLD: Entitlement(_incidents(20)),
    },
    SupportKind.ADVISORY_HOURS: {
        Level.ACTION_PACK: Entitlement(_hours(5)),
        Level.SILVER: Entitlement(_hours(20)),
        Level.GOLD: Entitlement(_hours(50)),
    },
}

# Advisory hours need no activation: any member files a request.
NEEDS_ACTIVATION: frozenset[SupportKind] = frozenset(
    {SupportKind.SIGNATURE_CLOUD, SupportKind.PRODUCT_INCIDENTS}
)

SUPPORT_LABELS: Mapping[SupportKind, str] = {
    SupportKind.SIGNATURE_CLOUD: N_("Signature cloud support"),
    SupportKind.PRODUCT_INCIDENTS: N_("Product support incidents"),
    SupportKind.ADVISORY_HOURS: N_("Presales and deployment advisory hours"),
}

LEVEL_LABELS: Mapping[Level, str] = {
    Level.ACTION_PACK: N_("Action Pack"),
    Level.SILVER: N_("Silver"),
    Level.GOLD: N_("Gold"),
}


def entitlement(kind: SupportKind, membership: Membership) -> Allowance:
    """What ``membership`` is entitled to of ``kind``."""
    return ENTITLEMENTS[kind][membership.level].for_membership(membership)


# -- which support answers which problem -------------------------------------


class Problem(enum.StrEnum):
    """What a support question is about."""

    CLOUD = "cloud"
    ON_PREMISES = "on_premises"
    ADVICE = "advice"


SUPPORT_FOR: Mapping[Problem, SupportKind] = {
    Problem.CLOUD: SupportKind.SIGNATURE_CLOUD,
    Problem.ON_PREMISES: SupportKind.PRODUCT_INCIDENTS,
    Problem.ADVICE: SupportKind.ADVISORY_HOURS,
}

PROBLEM_LABELS: Mapping[Problem, str] = {
    Problem.CLOUD: N_("Something is broken in a cloud product"),
    Problem.ON_PREMISES: N_("Something is broken in an on-premises product"),
    Problem.ADVICE: N_("Presales or deployment advice"),
}

PROBLEM_ALIASES: Mapping[str, Problem] = {
    "cloud": Problem.CLOUD,
    "azure": Problem.CLOUD,
    "on-premises": Problem.ON_PREMISES,
    "on_premises": Problem.ON_PREMISES,
    "onpremises": Problem.ON_PREMISES,
    "on-prem": Problem.ON_PREMISES,
    "onprem": Problem.ON_PREMISES,
    "advice": Problem.ADVICE,
    "advisory": Problem.ADVICE,
    "presales": Problem.ADVICE,
    "deployment": Problem.ADVICE,
}


def parse_problem(text: str) -> Problem:
    """A problem from its name or an alias (``cloud``, ``on-premises``, ``advice``)."""
    problem = PROBLEM_ALIASES.get(text.strip().casefold())
    if problem is None:
        raise InvalidInput(
            "I don't know the kind of problem `{problem}`. Pick one of: cloud, on-premises, "
            "advice.",
            problem=text.strip()[:40],
        )
    return problem


# -- the marketing contact's preferred languages ----------------------------

LANGUAGES: Mapping[str, str] = {
    "en": N_("English"),
    "de": N_("German"),
    "es": N_("Spanish"),
    "fr": N_("French"),
    "it": N_("Italian"),
    "ja": N_("Japanese"),
    "ko": N_("Korean"),
    "nl": N_("Dutch"),
    "pl": N_("Polish"),
    "pt-BR": N_("Portuguese (Brazil)"),
    "ru": N_("Russian"),
    "sv": N_("Swedish"),
    "tr": N_("Turkish"),
    "zh-Hans": N_("Chinese (Simplified)"),
    "zh-Hant": N_("Chinese (Traditional)"),
}


# -- form fields and their refusals -----------------------------------------


class Field(enum.StrEnum):
    """An input of a form the service validates field by field."""

    ACCESS_ID = "access_id"
    CONTRACT_ID = "contract_id"
    EXPIRES_ON = "expires_on"
    USER = "user"
    EMAIL = "email"
    PHONE = "phone"
    LANGUAGE = "language"


class InvalidFields(InvalidInput):
    """Some inputs of one form are wrong; ``errors`` holds the refusal of each.

    As a plain :class:`InvalidInput` it reads as the first refusal.
    """

    def __init__(self, errors: Mapping[Field, InvalidInput]) -> None:
        first = next(iter(errors.values()))
        super().__init__(first.message, **first.params)
        self.errors = dict(errors)


_ID_TEXT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._/-]*[A-Za-z0-9])?")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
_FIELD_NAMES: Mapping[Field, str] = {
    Field.ACCESS_ID: N_("Access ID"),
    Field.CONTRACT_ID: N_("Contract ID"),
}


def clean_support_id(field: Field, text: str | None) -> str:
    """An Access ID or Contract ID, stripped; raises when empty, too long or odd."""
    name = _FIELD_NAMES[field]
    value = (text or "").strip()
    if not value:
        raise InvalidInput("Enter the {field}.", field=name)
    if len(value) > MAX_ID:
        raise InvalidInput(
            "The {field} is too long ({length} characters, at most {limit}).",
            field=name,
            length=len(value),
            limit=MAX_ID,
        )
    if not _ID_TEXT.fullmatch(value):
        raise InvalidInput(
            "The {field} may contain only letters, digits and . _ / - (no spaces), and must "
            "start and end with a letter or digit.",
            field=name,
        )
    return value


def clean_expiry(value: date | str | None, *, today: date) -> date:
    """The Expires date of an offer: a real date after today, within ten years."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput("Pick the date the offer expires.")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise InvalidInput("`{text}` is not a date; use YYYY-MM-DD.", text=text[:20]) from None
    if value <= today:
        raise InvalidInput("The offer must expire after today ({today}).", today=today.isoformat())
    if value.year > today.year + MAX_EXPIRY_YEARS:
        raise InvalidInput(
            "{expires} is more than {years} years ahead; check the year.",
            expires=value.isoformat(),
            years=MAX_EXPIRY_YEARS,
        )
    return value


def clean_email(text: str | None, *, account_email: str) -> str:
    """A valid email address (syntax only) that is not the company account email."""
    value = (text or "").strip()
    if not value:
        raise InvalidInput("Enter the marketing contact's email address.")
    if len(value) > MAX_EMAIL:
        raise InvalidInput(
            "The email address is too long ({length} characters, at most {limit}).",
            length=len(value),
            limit=MAX_EMAIL,
        )
    try:
        valid = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidInput(
            "`{email}` is not a valid email address: {reason}",
            email=value[:80],
            reason=str(error),
        ) from None
    normalized: str = valid.normalized
    if normalized.casefold() == account_email.strip().casefold():
        raise InvalidInput(
            "The marketing contact's email must differ from the company's Partner Center "
            "account email ({account_email}).",
            account_email=account_email,
        )
    return normalized


def clean_phone(text: str | None, *, region: str) -> str:
    """A valid phone number in E.164 (``+31201234567``).

    Numbers without a leading ``+`` are read as numbers of ``region``.
    """
    value = (text or "").strip()
    if not value:
        raise InvalidInput("Enter the marketing contact's phone number.")
    if len(value) > MAX_PHONE:
        raise InvalidInput(
            "The phone number is too long ({length} characters, at most {limit}).",
            length=len(value),
            limit=MAX_PHONE,
        )
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise InvalidInput(
            "`{phone}` is not a valid phone number. Write it in international format, e.g. "
            "+31 20 123 4567 (numbers without + are read as {region} numbers).",
            phone=value,
            region=region,
        )
    formatted: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return formatted


def clean_language(code: str | None) -> str:
    value = (code or "").strip()
    if value not in LANGUAGES:
        raise InvalidInput("Pick the marketing contact's preferred language.")
    return value


def _hours_requested(text: str) -> int:
    value = text.strip()
    if not value.isdigit() or len(value) > MAX_HOURS_TEXT or int(value) == 0:
        raise InvalidInput(
            "The hours must be a positive whole number, like `4` (not `{hours}`).",
            hours=value[:20],
        )
    return int(value)


# -- results ------------------------------------------------------------------


class State(enum.StrEnum):
    """What a technical benefit or offer looks like to a person right now."""

    NOT_AVAILABLE = "not_available"  # the membership level has none of it
    NO_ACTIVATION_NEEDED = "no_activation_needed"  # advisory hours
    NOT_ACTIVATED = "not_activated"
    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"


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


@dataclass(frozen=True, slots=True)
class SupportAnswer:
    """Which support to use for a problem, how much is left, and the IDs to quote."""

    problem: Problem
    kind: SupportKind
    membership: Membership
    allowance: Allowance
    benefit: Benefit | None
    state: State
    activation: Activation | None
    hours_left: int | None
    activators: list[str]


@dataclass(frozen=True, slots=True)
class AdvisoryFiled:
    request: AdvisoryRequest
    benefit: Benefit
    allowance: Allowance
    hours_left: int
    admins: list[str]


@dataclass(frozen=True, slots=True)
class ContactForm:
    current: MarketingContact | None
    account_email: str


# -- the service --------------------------------------------------------------


_CATEGORY_ACTION: Mapping[Category, Action] = {
    Category.TECHNICAL: Action.ACTIVATE_TECHNICAL,
    Category.GTM: Action.MANAGE_GTM,
}
ACTIVATED_CATEGORIES: frozenset[Category] = frozenset(_CATEGORY_ACTION)


class ActivationService(ServiceCore):
    """Activations of technical benefits and go-to-market offers, support,
    advisory hours and the marketing contact: one method per use case."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock,
        events: Sequence[EventSink] = (),
        phone_region: str = DEFAULT_PHONE_REGION,
        page_size: int = PAGE_SIZE,
    ) -> None:
        super().__init__(store, clock=clock, events=events)
        self.phone_region = phone_region
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
                        advisory = await self._benefit_of_kind(uow, kind)
                        left = await self._hours_left(uow, advisory, allowance)
                    summaries.append(KindSummary(kind, allowance, left))
            contact = await uow.marketing_contact.get() if category is Category.GTM else None
            roles = await uow.people.roles_of(actor)
        needed = roles_for(_CATEGORY_ACTION[category])
        return Overview(
            category=category,
            page=Page(items=rows, page=page, page_size=self.page_size, total=total),
            membership=membership,
            entitlements=summaries,
            contact=contact,
            can_manage=bool(roles & set(needed)),
        )

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
        hours_left = None
        if benefit.support_kind is SupportKind.ADVISORY_HOURS:
            hours_left = await self._hours_left(uow, benefit, allowance)
        return ActivationRow(
            benefit=benefit,
            state=self._state(benefit, activation, allowance),
            activation=activation,
            allowance=allowance,
            hours_left=hours_left,
        )

    def _state(
        self, benefit: Benefit, activation: Activation | None, allowance: Allowance | None
    ) -> State:
        if allowance is not None and not allowance.available:
            return State.NOT_AVAILABLE
        if benefit.support_kind is SupportKind.ADVISORY_HOURS:
            return State.NO_ACTIVATION_NEEDED
        if activation is None:
            return State.NOT_ACTIVATED
        if activation.status is ActivationStatus.PENDING:
            return State.PENDING
        if activation.status is ActivationStatus.EXPIRED or self._past(activation.expires_on):
            return State.EXPIRED
        return State.ACTIVE

    def _past(self, expires_on: date | None) -> bool:
        """Whether an offer that could be used until ``expires_on`` has ended."""
        return expires_on is not None and expires_on < self._clock.now().date()

    # -- activating ----------------------------------------------------------

    async def activate(self, actor: str, query: str) -> ActivationRequested:
        """Ask for a technical benefit or go-to-market offer to be activated (pending).

        Args:
            actor: Who asks; an MPN partner admin or Global admin.
            query: The benefit's id or the start of its name.
        """
        now = self._clock.now()
        async with self._store.write() as uow:
            await self._ensure_changeable(uow)
            benefit = await self._find(uow, query)
            self._check_activated_category(benefit)
            await self._require(uow, actor, _CATEGORY_ACTION[benefit.category])
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
            current = await uow.activations.get(benefit.id)
            self._check_not_started(benefit, current)
            activation = Activation(
                benefit_id=benefit.id,
                status=ActivationStatus.PENDING,
                requested_by=actor,
                requested_at=now,
            )
            await uow.activations.put(activation)
            await self._audit(uow, actor, "activation.request", f"benefit:{benefit.id}")
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
            await self._ensure_changeable(uow)
            return await self._pending_for_completion(uow, actor, benefit_id)

    async def complete(
        self,
        actor: str,
        benefit_id: str,
        *,
        access_id: str | None = None,
        contract_id: str | None = None,
        expires_on: date | str | None = None,
    ) -> ActivationDone:
        """Record that a pending activation is done (Mark active).

        A technical benefit needs its Access ID and Contract ID, a go-to-market
        offer its Expires date. Raises :class:`InvalidFields` naming each wrong
        input; on success emits :class:`bot.events.ActivationCompleted`.
        """
        now = self._clock.now()
        async with self._store.write() as uow:
            await self._ensure_changeable(uow)
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
            await self._audit(
                uow, actor, "activation.complete", f"benefit:{benefit.id}", _detail(activation)
            )
            await self._emit(uow, events.ActivationCompleted(benefit, activation))
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
        await self._require(uow, actor, _CATEGORY_ACTION[benefit.category])
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
        completion is audited and emits :class:`bot.events.ActivationCompleted`.
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
            await self._audit(uow, actor, "activation.request", f"benefit:{benefit.id}")
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
            await self._audit(
                uow, actor, "activation.expire", f"benefit:{benefit.id}", _detail(activation)
            )
            return ImportOutcome.EXPIRED
        if was_active:
            await self._audit(
                uow, actor, "activation.update", f"benefit:{benefit.id}", _detail(activation)
            )
            return ImportOutcome.UPDATED
        await self._audit(
            uow, actor, "activation.complete", f"benefit:{benefit.id}", _detail(activation)
        )
        if current is not None and current.status is ActivationStatus.PENDING:
            # A completion the bot saw coming; an activation that arrives already
            # active (a company moving its spreadsheet in) is history, not news.
            await self._emit(uow, events.ActivationCompleted(benefit, activation))
        return ImportOutcome.COMPLETED

    # -- support ---------------------------------------------------------------

    async def support(self, actor: str, problem: Problem) -> SupportAnswer:
        """Which kind of support answers ``problem``, what is left of it, and the IDs to quote."""
        del actor  # every member may ask
        kind = SUPPORT_FOR[problem]
        async with self._store.read() as uow:
            membership = await self._membership(uow)
            allowance = entitlement(kind, membership)
            benefit = await self._benefit_of_kind(uow, kind)
            activation = await uow.activations.get(benefit.id) if benefit else None
            hours_left = None
            if kind is SupportKind.ADVISORY_HOURS:
                hours_left = await self._hours_left(uow, benefit, allowance)
            activators = await self._holders(uow, Action.ACTIVATE_TECHNICAL)
        if benefit is not None:
            state = self._state(benefit, activation, allowance)
        elif not allowance.available:
            state = State.NOT_AVAILABLE
        elif kind in NEEDS_ACTIVATION:
            state = State.NOT_ACTIVATED
        else:
            state = State.NO_ACTIVATION_NEEDED
        return SupportAnswer(
            problem=problem,
            kind=kind,
            membership=membership,
            allowance=allowance,
            benefit=benefit,
            state=state,
            activation=activation,
            hours_left=hours_left,
            activators=activators,
        )

    # -- advisory hours ----------------------------------------------------------

    async def file_advisory(self, actor: str, hours: str | int, topic: str) -> AdvisoryFiled:
        """File a request for presales or deployment advisory hours (any member).

        Args:
            actor: Who asks.
            hours: A positive whole number of hours, at most what is left.
            topic: What the advice is about.
        """
        wanted = _hours_requested(str(hours))
        topic = topic.strip()
        if not topic:
            raise InvalidInput(
                "Say what the advice is about: `/benefits advisory <hours> <topic>`."
            )
        if len(topic) > MAX_TOPIC:
            raise InvalidInput(
                "The topic is too long ({length} characters, at most {limit}).",
                length=len(topic),
                limit=MAX_TOPIC,
            )
        now = self._clock.now()
        async with self._store.write() as uow:
            await self._ensure_changeable(uow)
            membership = await self._membership(uow)
            allowance = entitlement(SupportKind.ADVISORY_HOURS, membership)
            benefit = await self._benefit_of_kind(uow, SupportKind.ADVISORY_HOURS)
            if benefit is None:
                raise Conflict(
                    "The inventory has no advisory hours benefit yet (a technical benefit with "
                    "support kind advisory_hours). Ask the operator to add it."
                )
            left = await self._hours_left(uow, benefit, allowance)
            assert left is not None
            if wanted > left:
                raise Conflict(
                    "You asked for {hours} hours, but only {left} of the {total} advisory hours "
                    "of the membership are left.",
                    hours=wanted,
                    left=left,
                    total=allowance.amount or 0,
                )
            if await uow.people.get_user(actor) is None:
                await uow.people.put_user(DirectoryUser(user_id=actor))
            request = await uow.advisory.add_request(
                benefit_id=benefit.id, user_id=actor, hours=wanted, topic=topic, created_at=now
            )
            await self._audit(
                uow,
                actor,
                "advisory.request",
                f"advisory:{request.id}",
                f"{benefit.id}: {wanted} h: {topic}",
            )
            admins = await uow.people.role_holders(Role.GLOBAL_ADMIN)
        return AdvisoryFiled(
            request=request,
            benefit=benefit,
            allowance=allowance,
            hours_left=left - wanted,
            admins=admins,
        )

    # -- the marketing contact ------------------------------------------------------

    async def contact_form(self, actor: str) -> ContactForm:
        """Check that ``actor`` may set the marketing contact; the current one to fill in."""
        async with self._store.read() as uow:
            await self._ensure_changeable(uow)
            await self._require(uow, actor, Action.MANAGE_GTM)
            membership = await self._membership(uow)
            return ContactForm(await uow.marketing_contact.get(), membership.account_email)

    async def marketing_contact(self) -> MarketingContact | None:
        async with self._store.read() as uow:
            return await uow.marketing_contact.get()

    async def set_marketing_contact(
        self,
        actor: str,
        *,
        user_id: str | None,
        email: str | None,
        phone: str | None,
        language: str | None,
    ) -> MarketingContact:
        """Set the company's marketing contact; raises :class:`InvalidFields` per wrong input."""
        now = self._clock.now()
        async with self._store.write() as uow:
            await self._ensure_changeable(uow)
            await self._require(uow, actor, Action.MANAGE_GTM)
            membership = await self._membership(uow)
            errors: dict[Field, InvalidInput] = {}
            user = (user_id or "").strip()
            if not _USER_ID.fullmatch(user):
                errors[Field.USER] = InvalidInput("Pick the marketing contact from the list.")
            elif await uow.people.get_user(user) is None:
                errors[Field.USER] = InvalidInput(
                    "{unknown_user} is not in the bot's directory yet. A User management admin "
                    "or Global admin must add them first with `/benefits adduser @user`.",
                    unknown_user=user,
                )
            cleaned: dict[Field, str] = {}
            checks: tuple[tuple[Field, Callable[[], str]], ...] = (
                (Field.EMAIL, lambda: clean_email(email, account_email=membership.account_email)),
                (Field.PHONE, lambda: clean_phone(phone, region=self.phone_region)),
                (Field.LANGUAGE, lambda: clean_language(language)),
            )
            for field, check in checks:
                try:
                    cleaned[field] = check()
                except InvalidInput as error:
                    errors[field] = error
            if errors:
                raise InvalidFields(errors)
            contact = MarketingContact(
                user_id=user,
                email=cleaned[Field.EMAIL],
                phone=cleaned[Field.PHONE],
                language=cleaned[Field.LANGUAGE],
                set_by=actor,
                set_at=now,
            )
            await uow.marketing_contact.put(contact)
            await self._audit(
                uow,
                actor,
                "marketing_contact.set",
                f"user:{user}",
                f"{contact.email} {contact.phone} {contact.language}",
            )
        return contact

    # -- helpers ---------------------------------------------------------------------

    async def _get(self, uow: UnitOfWork, benefit_id: str) -> Benefit:
        benefit = await uow.benefits.get(benefit_id)
        if benefit is None:
            raise NotFound(
                "There is no benefit with the id `{benefit_id}`.", benefit_id=benefit_id[:80]
            )
        return benefit

    async def _membership(self, uow: UnitOfWork) -> Membership:
        membership = await uow.membership.get()
        if membership is None:
            raise Conflict(
                "The membership is not loaded yet. The operator loads it with "
                "`benefits-bot import inventory.yaml`."
            )
        return membership

    async def _benefit_of_kind(self, uow: UnitOfWork, kind: SupportKind) -> Benefit | None:
        total = await uow.benefits.count(category=Category.TECHNICAL)
        rows = await uow.benefits.rows(category=Category.TECHNICAL, offset=0, limit=total)
        return next((r.benefit for r in rows if r.benefit.support_kind is kind), None)

    async def _hours_left(
        self, uow: UnitOfWork, benefit: Benefit | None, allowance: Allowance | None
    ) -> int | None:
        if allowance is None or allowance.amount is None:
            return None
        used = await uow.advisory.hours_used(benefit.id) if benefit is not None else 0
        return max(allowance.amount - used, 0)

    async def _holders(self, uow: UnitOfWork, action: Action) -> list[str]:
        holders: list[str] = []
        for role in roles_for(action):
            holders.extend(u for u in await uow.people.role_holders(role) if u not in holders)
        return holders


def _detail(activation: Activation) -> str:
    parts = [activation.status.value]
    if activation.access_id:
        parts.append(f"access id {activation.access_id}")
    if activation.contract_id:
        parts.append(f"contract id {activation.contract_id}")
    if activation.expires_on is not None:
        parts.append(f"expires {activation.expires_on.isoformat()}")
    return ", ".join(parts)


__all__ = [
    "ENTITLEMENTS",
    "LANGUAGES",
    "SUPPORT_FOR",
    "ActivationDone",
    "ActivationRequested",
    "ActivationRow",
    "ActivationService",
    "AdvisoryFiled",
    "Allowance",
    "ContactForm",
    "Entitlement",
    "Field",
    "ImportOutcome",
    "ImportedActivation",
    "InvalidFields",
    "Overview",
    "Problem",
    "State",
    "SupportAnswer",
]
