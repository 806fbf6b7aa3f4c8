"""The inventory file's schema: what each entry may hold, checked by pydantic.

Microsoft offers no API for MPN benefits, so the operator describes the
membership and its benefits in a YAML file (see ``docs/inventory.md`` and
``examples/inventory.yaml``). These models say what a valid file is;
:mod:`bot.services.inventory.loader` reads one into them, and
:mod:`bot.services.inventory.importer` applies it to the store. Every problem is
raised as :class:`InventoryError`, whose text is one sentence naming the file,
the line, the entry and the field. The limits are :mod:`bot.domain.limits`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.domain.limits import IMPORT_ACTOR, MAX_NAME
from bot.domain.model import (
    ActivationStatus,
    Benefit,
    Category,
    Download,
    Level,
    Membership,
    SupportKind,
)
from bot.services.activation import ImportedActivation
from bot.services.inventory.fields import (
    BenefitId,
    Choice,
    Choices,
    Email,
    HttpsUrl,
    ImportedStatus,
    InventoryDate,
    Located,
    LongText,
    ProductKeys,
    SlackUserId,
    SupportId,
    none_as_empty_list,
)


class InventoryError(Exception):
    """A problem with an inventory file or its import, as one readable message.

    ``str(error)`` names the file (and line, when known), the entry (for example
    ``benefits[3] (id: office-365-e3)``) and the field, then says what is wrong.
    The parts are also available as attributes for callers that format them.
    """

    def __init__(
        self,
        problem: str,
        *,
        path: Path | None = None,
        line: int | None = None,
        column: int | None = None,
        entry: str | None = None,
        field: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = path
        self.line = line
        self.column = column
        self.entry = entry
        self.field = field
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = [str(self.path) if self.path is not None else "inventory"]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column}")
        what: list[str] = []
        if self.entry:
            what.append(self.entry)
        if self.field:
            what.append(f'field "{self.field}"')
        parts = [", ".join(where), *([", ".join(what)] if what else []), self.problem]
        return ": ".join(parts)


# -- the file's models -------------------------------------------------------


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class HolderEntry(_Entry):
    """Someone who already holds a seat: a Slack user ID or an email address."""

    user: SlackUserId | None = None
    email: Email | None = None
    assigned: InventoryDate | None = None

    @model_validator(mode="after")
    def _one_of_user_or_email(self) -> HolderEntry:
        if (self.user is None) == (self.email is None):
            raise ValueError(
                "give exactly one of `user` (a Slack user ID) or `email`"
                + (", not both" if self.user is not None else "")
            )
        return self

    @property
    def key(self) -> tuple[str, str]:
        """What makes two holders the same person within one benefit."""
        if self.user is not None:
            return ("user", self.user)
        return ("email", self.email or "")

    @property
    def label(self) -> str:
        return self.user if self.user is not None else self.email or ""


class MembershipEntry(_Entry):
    """The company's MPN membership."""

    level: Level
    purchase_date: InventoryDate
    end_date: InventoryDate
    account_email: Email
    managed_in_pmc: StrictBool = False
    cloud_competency: StrictBool = False

    @field_validator("end_date")
    @classmethod
    def _after_purchase(cls, value: date, info: ValidationInfo) -> date:
        purchased = info.data.get("purchase_date")
        if isinstance(purchased, date) and value <= purchased:
            raise ValueError(
                f"must be after the purchase date {purchased.isoformat()} (got {value.isoformat()})"
            )
        return value

    def to_membership(self) -> Membership:
        return Membership(
            level=self.level,
            purchase_date=self.purchase_date,
            end_date=self.end_date,
            account_email=self.account_email,
            managed_in_pmc=self.managed_in_pmc,
            cloud_competency=self.cloud_competency,
        )


class DownloadEntry(_Entry):
    """Where one language and operating system of a product is downloaded."""

    language: Choice
    os: Choice
    url: HttpsUrl

    def to_download(self) -> Download:
        return Download(language=self.language, os=self.os, url=self.url)


class ActivationEntry(_Entry):
    """A technical benefit or go-to-market offer already asked to be activated."""

    status: ImportedStatus
    requested_by: SlackUserId | None = None
    requested_at: InventoryDate | None = None
    access_id: SupportId = ""
    contract_id: SupportId = ""
    expires_on: InventoryDate | None = None

    @model_validator(mode="after")
    def _fits_status(self) -> ActivationEntry:
        if self.status is ActivationStatus.PENDING:
            for name in ("access_id", "contract_id", "expires_on"):
                if getattr(self, name):
                    raise Located(
                        (name,),
                        "is known only once the activation is complete; "
                        "set `status: active` or remove it",
                    )
        requested = self.requested_at
        if self.expires_on is not None and requested is not None and self.expires_on <= requested:
            raise Located(
                ("expires_on",),
                f"must be after requested_at {requested.isoformat()} "
                f"(got {self.expires_on.isoformat()})",
            )
        return self

    def to_imported(self) -> ImportedActivation:
        """The activation as the activation service takes it from an import."""
        requested = self.requested_at
        return ImportedActivation(
            status=self.status,
            requested_by=self.requested_by or IMPORT_ACTOR,
            requested_at=None
            if requested is None
            else datetime.combine(requested, time(), tzinfo=UTC),
            access_id=self.access_id,
            contract_id=self.contract_id,
            expires_on=self.expires_on,
        )


_LICENSED = "software benefits and license-based cloud subscriptions"


class BenefitEntry(_Entry):
    """One benefit of the membership, with the people who already hold it.

    Some keys belong to one category only (see ``docs/inventory.md``); a key
    given a value on a benefit of another category is an error.
    """

    id: BenefitId
    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
    category: Category
    seats: Annotated[StrictInt, Field(ge=0)] | None = None
    description: LongText = ""
    instructions: LongText = ""
    languages: Choices = Field(default_factory=list)
    operating_systems: Choices = Field(default_factory=list)
    downloads: Annotated[list[DownloadEntry], BeforeValidator(none_as_empty_list)] = Field(
        default_factory=list
    )
    expires_on: InventoryDate | None = None
    usage_based: StrictBool = False
    monthly: StrictBool = False
    needs_approval: StrictBool = False
    support_kind: SupportKind | None = None
    keys: ProductKeys = None  # product keys; stored encrypted, never shown by the import
    activation: ActivationEntry | None = None
    holders: Annotated[list[HolderEntry], BeforeValidator(none_as_empty_list)] = Field(
        default_factory=list
    )

    @field_validator("holders")
    @classmethod
    def _holders_fit(cls, holders: list[HolderEntry], info: ValidationInfo) -> list[HolderEntry]:
        first: dict[tuple[str, str], int] = {}
        for index, holder in enumerate(holders):
            if holder.key in first:
                raise Located(
                    (index,),
                    f"{holder.label} is listed twice in this benefit "
                    f"(also holders[{first[holder.key]}])",
                )
            first[holder.key] = index
        seats = info.data.get("seats")
        if isinstance(seats, int) and len(holders) > seats:
            listed = f"{len(holders)} holder{' is' if len(holders) == 1 else 's are'} listed"
            raise ValueError(
                f"{listed} but the benefit has only {seats} "
                f"seat{'' if seats == 1 else 's'}; raise `seats` or remove holders"
            )
        return holders

    @model_validator(mode="after")
    def _fits_category(self) -> BenefitEntry:
        category = self.category
        kind = f"{category.value} benefits"
        cloud = category is Category.CLOUD
        for name in ("languages", "operating_systems", "downloads"):
            if not getattr(self, name):
                continue
            if cloud and self.usage_based:
                raise Located(
                    (name,),
                    f"applies only to {_LICENSED}; this cloud benefit is usage-based "
                    "(`usage_based: true`), so remove it",
                )
            if category is not Category.SOFTWARE and not cloud:
                raise Located((name,), f"applies only to {_LICENSED}, not to {kind}; remove it")
        if self.usage_based and not cloud:
            raise Located(("usage_based",), f"applies only to cloud benefits, not to {kind}")
        for name in ("monthly", "needs_approval"):
            if getattr(self, name) and not (cloud and self.usage_based):
                raise Located(
                    (name,),
                    "applies only to usage-based cloud benefits (Azure credit); "
                    + ("add `usage_based: true` or remove it" if cloud else f"not to {kind}"),
                )
        if category is Category.TECHNICAL and self.support_kind is None:
            kinds = ", ".join(repr(k.value) for k in SupportKind)
            raise Located(("support_kind",), f"is required for technical benefits: one of {kinds}")
        if category is not Category.TECHNICAL and self.support_kind is not None:
            raise Located(("support_kind",), f"applies only to technical benefits, not to {kind}")
        if self.activation is not None:
            self._activation_fits(self.activation)
        self._downloads_fit()
        return self

    def _downloads_fit(self) -> None:
        """Each link is for a listed language and OS, and for a pair no other link has."""
        first: dict[tuple[str, str], int] = {}
        for index, download in enumerate(self.downloads):
            for name, value, key in (
                ("language", download.language, "languages"),
                ("os", download.os, "operating_systems"),
            ):
                listed: list[str] = getattr(self, key)
                if value not in listed:
                    known = ", ".join(repr(v) for v in listed) if listed else "none"
                    raise Located(
                        ("downloads", index, name),
                        f"{value!r} is not among this benefit's {key} ({known}); "
                        f"add it to `{key}` or fix the spelling",
                    )
            pair = (download.language, download.os)
            if pair in first:
                raise Located(
                    ("downloads", index),
                    f"a second link for {download.language} on {download.os} "
                    f"(also downloads[{first[pair]}])",
                )
            first[pair] = index

    def _activation_fits(self, activation: ActivationEntry) -> None:
        category = self.category
        if category not in (Category.TECHNICAL, Category.GTM):
            raise Located(
                ("activation",),
                "applies only to technical benefits and go-to-market offers, "
                f"not to {category.value} benefits",
            )
        if self.support_kind is SupportKind.ADVISORY_HOURS:
            raise Located(
                ("activation",),
                "advisory hours need no activation: any member files a request; remove it",
            )
        technical = category is Category.TECHNICAL
        for name in ("access_id", "contract_id"):
            if getattr(activation, name) and not technical:
                raise Located(
                    ("activation", name),
                    "applies only to technical benefits; a go-to-market offer has "
                    "`expires_on` instead",
                )
        if activation.expires_on is not None and technical:
            raise Located(
                ("activation", "expires_on"),
                "applies only to go-to-market offers; a technical benefit has "
                "`access_id` and `contract_id` instead",
            )
        if activation.status is not ActivationStatus.ACTIVE:
            return
        if technical:
            for name, label in (("access_id", "Access ID"), ("contract_id", "Contract ID")):
                if not getattr(activation, name):
                    raise Located(
                        ("activation", name),
                        f"is required once a technical benefit is active: the {label} "
                        "that Partner Center shows",
                    )
        elif activation.expires_on is None:
            raise Located(
                ("activation", "expires_on"),
                "is required once a go-to-market offer is active: the date it expires",
            )

    @model_validator(mode="after")
    def _keys_fit_category(self) -> BenefitEntry:
        if not self.keys:
            return self
        if self.category is Category.CLOUD and self.usage_based:
            raise Located(
                ("keys",),
                f"applies only to {_LICENSED}; this cloud benefit is usage-based "
                "(`usage_based: true`), so remove it",
            )
        if self.category not in (Category.SOFTWARE, Category.CLOUD):
            raise Located(
                ("keys",),
                f"applies only to {_LICENSED}, not to {self.category.value} benefits; remove it",
            )
        return self

    def to_benefit(self) -> Benefit:
        return Benefit(
            id=self.id,
            name=self.name,
            category=self.category,
            seats=self.seats,
            description=self.description,
            instructions=self.instructions,
            languages=tuple(self.languages),
            operating_systems=tuple(self.operating_systems),
            downloads=tuple(d.to_download() for d in self.downloads),
            expires_on=self.expires_on,
            usage_based=self.usage_based,
            monthly=self.monthly,
            needs_approval=self.needs_approval,
            support_kind=self.support_kind,
        )


class Inventory(_Entry):
    """A whole inventory file: the membership and its benefits."""

    membership: MembershipEntry
    benefits: list[BenefitEntry]

    _source: Path | None = PrivateAttr(default=None)

    @field_validator("benefits")
    @classmethod
    def _unique_ids(cls, benefits: list[BenefitEntry]) -> list[BenefitEntry]:
        first: dict[str, int] = {}
        for index, entry in enumerate(benefits):
            if entry.id in first:
                raise Located(
                    (index, "id"),
                    f"duplicate id {entry.id!r}: benefits[{first[entry.id]}] already uses it",
                )
            first[entry.id] = index
        return benefits

    @property
    def source(self) -> Path | None:
        """The file this inventory was loaded from, if any."""
        return self._source


MODELS_BELOW: dict[str, type[BaseModel]] = {  # the model of the entries under each key
    "membership": MembershipEntry,
    "benefits": BenefitEntry,
    "holders": HolderEntry,
    "downloads": DownloadEntry,
    "activation": ActivationEntry,
}
