"""The benefits domain: typed records and the errors a person can act on.

Nothing here knows about Slack. User references are plain user IDs; the Slack
layer renders them as mentions.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from bot.i18n.translate import N_

T = TypeVar("T")


class Role(enum.StrEnum):
    """Partner Center roles the bot knows; a member without a role has none."""

    GLOBAL_ADMIN = "global_admin"
    MPN_PARTNER_ADMIN = "mpn_partner_admin"
    USER_ADMIN = "user_admin"
    ADMIN_AGENT = "admin_agent"


ROLE_LABELS: dict[Role, str] = {
    Role.GLOBAL_ADMIN: N_("Global admin"),
    Role.MPN_PARTNER_ADMIN: N_("MPN partner admin"),
    Role.USER_ADMIN: N_("User management admin"),
    Role.ADMIN_AGENT: N_("Admin agent"),
}


class Category(enum.StrEnum):
    """The five kinds of benefit of an MPN membership."""

    SOFTWARE = "software"
    CLOUD = "cloud"
    VISUAL_STUDIO = "visual_studio"
    TECHNICAL = "technical"
    GTM = "gtm"


CATEGORY_LABELS: dict[Category, str] = {
    Category.SOFTWARE: N_("Software"),
    Category.CLOUD: N_("Cloud services"),
    Category.VISUAL_STUDIO: N_("Visual Studio subscriptions"),
    Category.TECHNICAL: N_("Technical benefits"),
    Category.GTM: N_("Go-to-market offers"),
}


class Level(enum.StrEnum):
    """Membership levels; the level decides the technical entitlements."""

    ACTION_PACK = "action_pack"
    SILVER = "silver"
    GOLD = "gold"


class SupportKind(enum.StrEnum):
    """The kinds of technical support a membership level entitles to."""

    SIGNATURE_CLOUD = "signature_cloud"
    PRODUCT_INCIDENTS = "product_incidents"
    ADVISORY_HOURS = "advisory_hours"


class ActivationStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Membership:
    level: Level
    purchase_date: date
    end_date: date
    account_email: str
    managed_in_pmc: bool = False
    cloud_competency: bool = False


@dataclass(frozen=True, slots=True)
class Download:
    """Where one language and operating system of a software product is downloaded."""

    language: str
    os: str
    url: str


@dataclass(frozen=True, slots=True)
class Benefit:
    """One benefit of the inventory.

    Product keys are not part of it: they live encrypted in storage and are
    read only to reveal them to someone entitled.
    """

    id: str
    name: str
    category: Category
    seats: int | None = None
    description: str = ""
    instructions: str = ""
    languages: tuple[str, ...] = ()
    operating_systems: tuple[str, ...] = ()
    downloads: tuple[Download, ...] = ()
    expires_on: date | None = None
    usage_based: bool = False  # cloud: an Azure credit the member assigns to themselves
    monthly: bool = False  # cloud: a monthly credit (reassignable at most 5 times)
    needs_approval: bool = False  # cloud: self-activation waits for a Global admin
    support_kind: SupportKind | None = None  # technical benefits


@dataclass(frozen=True, slots=True)
class Activation:
    """A technical benefit or go-to-market offer asked to be activated, and its outcome."""

    benefit_id: str
    status: ActivationStatus
    requested_by: str
    requested_at: datetime
    completed_by: str | None = None
    completed_at: datetime | None = None
    access_id: str = ""
    contract_id: str = ""
    expires_on: date | None = None


@dataclass(frozen=True, slots=True)
class MarketingContact:
    user_id: str
    email: str
    phone: str  # E.164
    language: str
    set_by: str
    set_at: datetime


@dataclass(frozen=True, slots=True)
class AdvisoryRequest:
    id: int
    benefit_id: str
    user_id: str
    hours: int
    topic: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class KeyReveal:
    benefit_id: str
    user_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ServiceRequest:
    """A request filed with Microsoft through Partner Center, e.g. a cancellation."""

    id: int
    kind: str
    status: str
    created_by: str
    created_at: datetime
    detail: str = ""


@dataclass(frozen=True, slots=True)
class BenefitRow:
    """A benefit with its availability, as the inventory list shows it."""

    benefit: Benefit
    seats_used: int

    @property
    def seats_left(self) -> int | None:
        if self.benefit.seats is None:
            return None
        return max(self.benefit.seats - self.seats_used, 0)


@dataclass(frozen=True, slots=True)
class Assignment:
    id: int
    benefit_id: str
    user_id: str | None
    assigned_at: datetime
    assigned_by: str
    holder_email: str | None = None
    released_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Request:
    id: int
    benefit_id: str
    requester_id: str
    reason: str
    status: RequestStatus
    created_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str = ""


@dataclass(frozen=True, slots=True)
class MessageRef:
    """Where a copy of a message was posted (channel ID and Slack timestamp)."""

    channel: str
    ts: str


@dataclass(frozen=True, slots=True)
class DirectoryUser:
    user_id: str
    name: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    subject: str
    detail: str = ""
    id: int = 0


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a longer list; ``page`` counts from 0."""

    items: list[T]
    page: int
    page_size: int
    total: int
    version: int | None = None  # the store's version it was read at, when known

    @property
    def pages(self) -> int:
        return max((self.total + self.page_size - 1) // self.page_size, 1)

    @property
    def has_next(self) -> bool:
        return (self.page + 1) * self.page_size < self.total

    @property
    def has_previous(self) -> bool:
        return self.page > 0


class DomainError(Exception):
    """A refusal with a message a person can act on.

    ``message`` is an English msgid for the translation catalogue and
    ``params`` fills its placeholders. Parameters whose name ends in ``users``
    are tuples of user IDs that the presentation layer renders as mentions.
    """

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class NotFound(DomainError):
    pass


class Forbidden(DomainError):
    pass


class Conflict(DomainError):
    pass


class InvalidInput(DomainError):
    pass


class NoMatch(NotFound):
    """The text named no benefit, or several; ``candidates`` are the closest."""

    def __init__(self, message: str, *, candidates: list[Benefit], **params: Any) -> None:
        super().__init__(message, **params)
        self.candidates = candidates
