"""The inventory file: what the company holds, and its import into the store.

Microsoft offers no API for MPN benefits, so the operator describes the
membership and its benefits in a YAML file (see ``docs/inventory.md`` and
``examples/inventory.yaml``). :func:`load_inventory` reads and validates it,
:func:`import_inventory` applies it in one transaction, and
:func:`resolve_email_holders` later turns holders known only by email into
Slack users.

Every problem with a file is raised as :class:`InventoryError`, whose text is
one sentence naming the file, the line, the entry and the field.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import yaml
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    StrictBool,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.domain.clock import Clock, SystemClock
from bot.domain.events import EventSink
from bot.domain.model import (
    ActivationStatus,
    AuditEntry,
    Benefit,
    Category,
    DirectoryUser,
    DomainError,
    Download,
    Level,
    Membership,
    SupportKind,
)
from bot.i18n.translate import t
from bot.services.activation import (
    ActivationService,
    ImportedActivation,
    ImportOutcome,
    clean_support_id,
)
from bot.services.activation import Field as SupportIdField
from bot.services.keys import SETTING as KEY_SETTING
from bot.services.keys import KeysUnreadable, KeyVault, store_keys
from bot.settings import HINTS
from storage.unit_of_work import Store

try:  # the libyaml parser is much faster; both are "safe" loaders
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

IMPORT_ACTOR = "import"
MAX_ID = 64
MAX_NAME = 150
MAX_TEXT = 2000
MAX_EMAIL = 254
MAX_CHOICE = 75  # a language or an operating system: the text of one option in a Slack select
MAX_CHOICES = 100  # the options of one Slack select
MAX_URL = 2000

_ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_USER_RE = re.compile(r"^[UW][A-Z0-9]{2,}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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


class _Located(ValueError):
    """A validator's complaint about an item further down than its own field."""

    def __init__(self, below: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.below = below


# -- field types -------------------------------------------------------------


def _shown(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_id(value: str) -> str:
    if len(value) > MAX_ID:
        raise ValueError(f"must be at most {MAX_ID} characters (got {len(value)})")
    if not _ID_RE.fullmatch(value):
        raise ValueError(
            "must be kebab-case: lowercase letters and digits in groups joined by single "
            f"hyphens, like office-ltsc-pro-plus (got {_shown(value)})"
        )
    return value


def _check_user(value: str) -> str:
    if not _USER_RE.fullmatch(value):
        raise ValueError(
            "must be a Slack user ID: U or W then capital letters and digits, like "
            f"U012ABC (got {_shown(value)})"
        )
    return value


def _check_email(value: str) -> str:
    """The address's syntax, checked by email-validator (no DNS look-up), in lower case."""
    if len(value) > MAX_EMAIL:
        raise ValueError(f"must be an email address like name@example.com (got {_shown(value)})")
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError(
            f"must be an email address like name@example.com (got {_shown(value)})"
        ) from None
    return checked.normalized.lower()


def _as_date(value: object) -> object:
    if isinstance(value, datetime):
        raise ValueError(f"must be a date without a time, like 2026-03-01 (got {value})")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE_RE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"is not a real date (got {_shown(value)})") from None
    raise ValueError(f"must be a date written YYYY-MM-DD, like 2026-03-01 (got {_shown(value)})")


def _none_as_empty_text(value: object) -> object:
    return "" if value is None else value


def _none_as_empty_list(value: object) -> object:
    return [] if value is None else value


def _check_https(value: str) -> str:
    wrong = f"must be an https:// link, like https://example.com/download (got {_shown(value)})"
    if len(value) > MAX_URL:
        raise ValueError(f"must be at most {MAX_URL} characters (got {len(value)})")
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        raise ValueError(wrong) from None
    if parts.scheme.lower() != "https" or not host or any(c.isspace() for c in value):
        raise ValueError(wrong)
    return value


def _activation_status(value: object) -> object:
    if value in (ActivationStatus.PENDING.value, ActivationStatus.ACTIVE.value):
        return value
    raise ValueError(
        f"must be 'pending' or 'active' (got {_shown(value)}); an active offer whose "
        "`expires_on` has passed is stored as expired"
    )


def _check_support_id(value: str, info: ValidationInfo) -> str:
    """An Access ID or Contract ID, by the rules of the Slack **Mark active** modal."""
    if not value:
        return value
    field = (
        SupportIdField.CONTRACT_ID if info.field_name == "contract_id" else SupportIdField.ACCESS_ID
    )
    try:
        return clean_support_id(field, value)
    except DomainError as error:
        raise ValueError(
            f"{t(error.message, None, **error.params)} (got {_shown(value)})"
        ) from None


def _unique_choices(values: list[str], info: ValidationInfo) -> list[str]:
    first: dict[str, int] = {}
    for index, value in enumerate(values):
        folded = value.casefold()
        if folded in first:
            raise _Located(
                (index,),
                f"{value!r} is listed twice (also {info.field_name}[{first[folded]}], "
                "ignoring case)",
            )
        first[folded] = index
    return values


BenefitId = Annotated[str, AfterValidator(_check_id)]
SlackUserId = Annotated[str, AfterValidator(_check_user)]
Email = Annotated[str, AfterValidator(_check_email)]
InventoryDate = Annotated[date, BeforeValidator(_as_date)]
LongText = Annotated[str, BeforeValidator(_none_as_empty_text), Field(max_length=MAX_TEXT)]
Choice = Annotated[str, Field(min_length=1, max_length=MAX_CHOICE)]
Choices = Annotated[
    list[Choice],
    BeforeValidator(_none_as_empty_list),
    Field(max_length=MAX_CHOICES),
    AfterValidator(_unique_choices),
]
HttpsUrl = Annotated[str, AfterValidator(_check_https)]
SupportId = Annotated[str, BeforeValidator(_none_as_empty_text), AfterValidator(_check_support_id)]
ImportedStatus = Annotated[ActivationStatus, BeforeValidator(_activation_status)]


MAX_PRODUCT_KEY = 200
MAX_PRODUCT_KEYS = 10_000


def _check_keys(value: object) -> object:
    """Product keys: text, one line each, no repeats. Messages never quote a key."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise ValueError("must be a list of product keys (lines starting with `-`)")
    if len(value) > MAX_PRODUCT_KEYS:
        raise ValueError(f"lists {len(value)} keys; at most {MAX_PRODUCT_KEYS} are allowed")
    keys: list[str] = []
    first: dict[str, int] = {}
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise _Located((index,), "must be text: put the key in quotes")
        key = item.strip()
        if not key:
            raise _Located((index,), "must not be empty")
        if len(key) > MAX_PRODUCT_KEY:
            raise _Located(
                (index,), f"must be at most {MAX_PRODUCT_KEY} characters (got {len(key)})"
            )
        if any(not c.isprintable() for c in key):
            raise _Located((index,), "must be one line of printable text")
        if key in first:
            raise _Located((index,), f"is the same key as keys[{first[key]}]")
        first[key] = index
        keys.append(key)
    return keys


# Secret strings: a repr or an error report of an entry never shows a key.
ProductKeys = Annotated[list[SecretStr] | None, BeforeValidator(_check_keys)]


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
                    raise _Located(
                        (name,),
                        "is known only once the activation is complete; "
                        "set `status: active` or remove it",
                    )
        requested = self.requested_at
        if self.expires_on is not None and requested is not None and self.expires_on <= requested:
            raise _Located(
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
    downloads: Annotated[list[DownloadEntry], BeforeValidator(_none_as_empty_list)] = Field(
        default_factory=list
    )
    expires_on: InventoryDate | None = None
    usage_based: StrictBool = False
    monthly: StrictBool = False
    needs_approval: StrictBool = False
    support_kind: SupportKind | None = None
    keys: ProductKeys = None  # product keys; stored encrypted, never shown by the import
    activation: ActivationEntry | None = None
    holders: Annotated[list[HolderEntry], BeforeValidator(_none_as_empty_list)] = Field(
        default_factory=list
    )

    @field_validator("holders")
    @classmethod
    def _holders_fit(cls, holders: list[HolderEntry], info: ValidationInfo) -> list[HolderEntry]:
        first: dict[tuple[str, str], int] = {}
        for index, holder in enumerate(holders):
            if holder.key in first:
                raise _Located(
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
                raise _Located(
                    (name,),
                    f"applies only to {_LICENSED}; this cloud benefit is usage-based "
                    "(`usage_based: true`), so remove it",
                )
            if category is not Category.SOFTWARE and not cloud:
                raise _Located((name,), f"applies only to {_LICENSED}, not to {kind}; remove it")
        if self.usage_based and not cloud:
            raise _Located(("usage_based",), f"applies only to cloud benefits, not to {kind}")
        for name in ("monthly", "needs_approval"):
            if getattr(self, name) and not (cloud and self.usage_based):
                raise _Located(
                    (name,),
                    "applies only to usage-based cloud benefits (Azure credit); "
                    + ("add `usage_based: true` or remove it" if cloud else f"not to {kind}"),
                )
        if category is Category.TECHNICAL and self.support_kind is None:
            kinds = ", ".join(repr(k.value) for k in SupportKind)
            raise _Located(("support_kind",), f"is required for technical benefits: one of {kinds}")
        if category is not Category.TECHNICAL and self.support_kind is not None:
            raise _Located(("support_kind",), f"applies only to technical benefits, not to {kind}")
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
                    raise _Located(
                        ("downloads", index, name),
                        f"{value!r} is not among this benefit's {key} ({known}); "
                        f"add it to `{key}` or fix the spelling",
                    )
            pair = (download.language, download.os)
            if pair in first:
                raise _Located(
                    ("downloads", index),
                    f"a second link for {download.language} on {download.os} "
                    f"(also downloads[{first[pair]}])",
                )
            first[pair] = index

    def _activation_fits(self, activation: ActivationEntry) -> None:
        category = self.category
        if category not in (Category.TECHNICAL, Category.GTM):
            raise _Located(
                ("activation",),
                "applies only to technical benefits and go-to-market offers, "
                f"not to {category.value} benefits",
            )
        if self.support_kind is SupportKind.ADVISORY_HOURS:
            raise _Located(
                ("activation",),
                "advisory hours need no activation: any member files a request; remove it",
            )
        technical = category is Category.TECHNICAL
        for name in ("access_id", "contract_id"):
            if getattr(activation, name) and not technical:
                raise _Located(
                    ("activation", name),
                    "applies only to technical benefits; a go-to-market offer has "
                    "`expires_on` instead",
                )
        if activation.expires_on is not None and technical:
            raise _Located(
                ("activation", "expires_on"),
                "applies only to go-to-market offers; a technical benefit has "
                "`access_id` and `contract_id` instead",
            )
        if activation.status is not ActivationStatus.ACTIVE:
            return
        if technical:
            for name, label in (("access_id", "Access ID"), ("contract_id", "Contract ID")):
                if not getattr(activation, name):
                    raise _Located(
                        ("activation", name),
                        f"is required once a technical benefit is active: the {label} "
                        "that Partner Center shows",
                    )
        elif activation.expires_on is None:
            raise _Located(
                ("activation", "expires_on"),
                "is required once a go-to-market offer is active: the date it expires",
            )

    @model_validator(mode="after")
    def _keys_fit_category(self) -> BenefitEntry:
        if not self.keys:
            return self
        if self.category is Category.CLOUD and self.usage_based:
            raise _Located(
                ("keys",),
                f"applies only to {_LICENSED}; this cloud benefit is usage-based "
                "(`usage_based: true`), so remove it",
            )
        if self.category not in (Category.SOFTWARE, Category.CLOUD):
            raise _Located(
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
                raise _Located(
                    (index, "id"),
                    f"duplicate id {entry.id!r}: benefits[{first[entry.id]}] already uses it",
                )
            first[entry.id] = index
        return benefits

    @property
    def source(self) -> Path | None:
        """The file this inventory was loaded from, if any."""
        return self._source


_MODELS_BELOW: dict[str, type[BaseModel]] = {
    "membership": MembershipEntry,
    "benefits": BenefitEntry,
    "holders": HolderEntry,
    "downloads": DownloadEntry,
    "activation": ActivationEntry,
}


# -- loading -----------------------------------------------------------------


class _Loader(_SafeLoader):
    """``yaml.safe_load``'s loader, refusing a key given twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"found the key {key!r} twice",
                    key_node.start_mark,
                )
            if isinstance(key, Hashable):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_inventory(path: Path) -> Inventory:
    """Read and validate an inventory file.

    Args:
        path: The YAML file to read.

    Returns:
        The validated inventory, remembering ``path`` as its source.

    Raises:
        InventoryError: The file cannot be read, is not valid YAML, or breaks a
            rule of the format. The message names the file and, when it can,
            the line, the entry and the field; only the first problem is
            described, with a count of any others.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InventoryError(f"cannot read the file ({exc.strerror or exc})", path=path) from None
    except UnicodeDecodeError as exc:
        raise InventoryError(
            f"the file is not UTF-8 text (bad byte at offset {exc.start})", path=path
        ) from None
    try:
        data = yaml.load(text, Loader=_Loader)  # a safe loader, like yaml.safe_load
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(path, exc) from None
    except yaml.YAMLError as exc:
        raise InventoryError(f"not valid YAML: {exc}", path=path) from None
    if data is None:
        raise InventoryError(
            "the file is empty; it needs a `membership` and a `benefits` list", path=path
        )
    if not isinstance(data, dict):
        raise InventoryError(
            "the file must be a mapping with the keys `membership` and `benefits` "
            f"(it is a {type(data).__name__})",
            path=path,
            line=1,
        )
    try:
        inventory = Inventory.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(path, text, data, exc) from None
    inventory._source = path
    return inventory


def _syntax_error(path: Path, exc: yaml.MarkedYAMLError) -> InventoryError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "unreadable"
    if exc.context and exc.problem and exc.context_mark is not None:
        problem += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
    return InventoryError(
        f"not valid YAML: {problem}",
        path=path,
        line=mark.line + 1 if mark is not None else None,
        column=mark.column + 1 if mark is not None else None,
    )


def _validation_error(
    path: Path, text: str, data: dict[str, Any], exc: ValidationError
) -> InventoryError:
    errors = exc.errors()
    first = _first_to_report(errors)
    loc: tuple[str | int, ...] = tuple(first["loc"])
    ctx = first.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, _Located):
        loc += cause.below
    entry, field = _describe(loc, data)
    problem = _problem(first, loc)
    if len(errors) > 1:
        more = len(errors) - 1
        problem += f"; the file has {more} more problem{'' if more == 1 else 's'}"
    return InventoryError(
        problem,
        path=path,
        line=_line_of(text, loc, first["type"] == "extra_forbidden"),
        entry=entry,
        field=field,
    )


def _first_to_report(errors: Sequence[Any]) -> Any:
    """The first error, unless a misspelt key explains a missing one better."""
    first = errors[0]
    if first["type"] == "missing":
        parent = tuple(first["loc"][:-1])
        for other in errors:
            if other["type"] == "extra_forbidden" and tuple(other["loc"][:-1]) == parent:
                return other
    return first


def _describe(loc: tuple[str | int, ...], data: dict[str, Any]) -> tuple[str, str | None]:
    """The entry and the field that a validation error location points at."""
    if len(loc) >= 2 and loc[0] == "benefits" and isinstance(loc[1], int):
        index = loc[1]
        raw = data.get("benefits")
        item = raw[index] if isinstance(raw, list) and index < len(raw) else None
        raw_id = item.get("id") if isinstance(item, dict) else None
        label = f"id: {raw_id}" if isinstance(raw_id, str) and raw_id else "no id"
        return f"benefits[{index}] ({label})", _field_name(loc[2:]) or None
    if len(loc) >= 2 and loc[0] == "membership":
        return "membership", _field_name(loc[1:])
    return "top level", _field_name(loc) or None


def _field_name(parts: Sequence[str | int]) -> str:
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else part
    return name


def _problem(error: Any, loc: tuple[str | int, ...]) -> str:
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    value = error.get("input")
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind == "enum":
        return f"must be one of {ctx.get('expected')} (got {_shown(value)})"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters (got {len(value)})"
    if kind == "greater_than_equal":
        return f"must be {ctx.get('ge')} or more (got {_shown(value)})"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} items (got {ctx.get('actual_length')})"
    simple = {
        "string_type": "must be text",
        "int_type": "must be a whole number",
        "bool_type": "must be true or false",
        "list_type": "must be a list (lines starting with `-`)",
        "model_type": "must be a mapping of keys to values",
        "model_attributes_type": "must be a mapping of keys to values",
        "dict_type": "must be a mapping of keys to values",
    }
    if kind == "string_type" and isinstance(value, int | float | bool | date):
        return f"must be text (got {_shown(value)}); put it in quotes, like '{value}'"
    if kind in simple:
        return f"{simple[kind]} (got {_shown(value)})"
    return str(error.get("msg", "is not valid"))


def _unknown_key(loc: tuple[str | int, ...]) -> str:
    key = str(loc[-1])
    model: type[BaseModel] = Inventory
    for part in loc[:-1]:
        if isinstance(part, str) and part in _MODELS_BELOW:
            model = _MODELS_BELOW[part]
    allowed = list(model.model_fields)
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    return f"unknown key{hint}; the keys allowed here are {', '.join(allowed)}"


def _line_of(text: str, loc: tuple[str | int, ...], want_key: bool) -> int | None:
    """The 1-based line of the YAML node at ``loc``, or of its closest parent."""
    try:
        node = yaml.compose(text, Loader=_SafeLoader)
    except yaml.YAMLError:  # pragma: no cover - the text already parsed once
        return None
    if node is None:
        return None
    found: yaml.Node = node
    for depth, part in enumerate(loc):
        child: yaml.Node | None = None
        if isinstance(found, yaml.MappingNode):
            for key_node, value_node in found.value:
                if key_node.value == part:
                    last = depth == len(loc) - 1
                    child = key_node if want_key and last else value_node
                    break
        elif (
            isinstance(found, yaml.SequenceNode)
            and isinstance(part, int)
            and part < len(found.value)
        ):
            child = found.value[part]
        if child is None:
            break
        found = child
    return int(found.start_mark.line) + 1


# -- importing ---------------------------------------------------------------


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


async def import_inventory(
    store: Store,
    inventory: Inventory,
    *,
    clock: Clock,
    progress: Callable[[int, int], None] | None = None,
    events: Sequence[EventSink] = (),
    vault: KeyVault | None = None,
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
    :meth:`bot.activation.ActivationService.record_imported`, in the import's
    transaction: the same rules as in Slack, an audit entry for each change,
    and, when the file completes an activation (as **Mark active** does in
    Slack), an :class:`bot.events.ActivationCompleted` to every sink in
    ``events``.

    Args:
        store: Where to import.
        inventory: A validated inventory, usually from :func:`load_inventory`.
        clock: The time source; gives the import day and the audit time.
        progress: Called with ``(done, total)`` after each benefit.
        events: Sinks for the completions the import records (e.g. the
            reminders' outbox). A sink that raises undoes the whole import.
        vault: Encrypts the benefits' ``keys`` (from ``BENEFITS_ENCRYPTION_KEY``);
            needed when the file lists any. Keys equal to the stored ones
            (compared decrypted) are left alone.

    Returns:
        Counts of what was created, updated or left unchanged.

    Raises:
        InventoryError: A benefit would have more active assignments than
            seats. Nothing is written.
    """
    now = clock.now()
    today_midnight = datetime.combine(now.date(), time(), tzinfo=UTC)
    total = len(inventory.benefits)
    created = updated = unchanged = assigned = pending = users_added = 0
    activations_written = activations_completed = 0
    activations = ActivationService(store, clock=clock, events=events)
    keys_updated = 0
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
    async with store.write() as uow:
        membership = inventory.membership.to_membership()
        membership_changed = await uow.membership.get() != membership
        if membership_changed:
            await uow.membership.put(membership)
        known_users: set[str] = set()
        for index, entry in enumerate(inventory.benefits):
            benefit = entry.to_benefit()
            existing = await uow.benefits.get(benefit.id)
            if existing is None:
                created += 1
                await uow.benefits.put(benefit)
                active = []  # benefits are never deleted, so a new one has no assignments
            else:
                if existing != benefit:
                    updated += 1
                    await uow.benefits.put(benefit)
                else:
                    unchanged += 1
                active = await uow.assignments.active(benefit.id)
            held_by_user = {a.user_id for a in active if a.user_id is not None}
            held_by_email = {a.holder_email.lower(): a for a in active if a.holder_email}
            added_here = 0
            for holder in entry.holders:
                if holder.user is not None:
                    if holder.user not in known_users:
                        known_users.add(holder.user)
                        if await uow.people.get_user(holder.user) is None:
                            await uow.people.put_user(DirectoryUser(user_id=holder.user))
                            users_added += 1
                    if holder.user in held_by_user:
                        continue
                else:
                    email = holder.email or ""
                    held = held_by_email.get(email)
                    if held is not None:
                        if held.user_id is None:
                            pending += 1
                        continue
                    pending += 1
                when = (
                    datetime.combine(holder.assigned, time(), tzinfo=UTC)
                    if holder.assigned is not None
                    else today_midnight
                )
                await uow.assignments.add(
                    benefit_id=benefit.id,
                    user_id=holder.user,
                    assigned_at=when,
                    assigned_by=IMPORT_ACTOR,
                    holder_email=holder.email,
                )
                added_here += 1
            assigned += added_here
            in_use = len(active) + added_here
            if benefit.seats is not None and in_use > benefit.seats:
                raise _over_seats(inventory, index, benefit, len(active), added_here)
            if entry.activation is not None:
                # The same rules, audit and ActivationCompleted event as "Mark active" in Slack.
                try:
                    outcome = await activations.record_imported(
                        uow, benefit, entry.activation.to_imported()
                    )
                except DomainError as error:
                    raise InventoryError(
                        t(error.message, None, **error.params) + " Nothing was imported.",
                        path=inventory.source,
                        entry=f"benefits[{index}] (id: {benefit.id})",
                        field="activation",
                    ) from None
                if outcome is not ImportOutcome.UNCHANGED:
                    activations_written += 1
                if outcome is ImportOutcome.COMPLETED:
                    activations_completed += 1
            if entry.keys is not None:
                wanted = [key.get_secret_value() for key in entry.keys]
                try:
                    if vault is not None:
                        keys_updated += await store_keys(uow, vault, benefit.id, wanted)
                    elif await uow.keys.count(benefit.id):  # `keys: []` removes them
                        await uow.keys.put(benefit.id, [])
                        keys_updated += 1
                except KeysUnreadable:
                    raise InventoryError(
                        f"the product keys stored for this benefit cannot be decrypted with "
                        f"{KEY_SETTING}: set it to the key they were imported with (when "
                        "rotating, the new key first, then the old one). Nothing was imported.",
                        path=inventory.source,
                        entry=f"benefits[{index}] (id: {benefit.id})",
                        field="keys",
                    ) from None
            if progress is not None:
                progress(index + 1, total)
        report = ImportReport(
            benefits_created=created,
            benefits_updated=updated,
            benefits_unchanged=unchanged,
            assignments_created=assigned,
            holders_pending=pending,
            users_added=users_added,
            membership_changed=membership_changed,
            activations_written=activations_written,
            activations_completed=activations_completed,
            keys_updated=keys_updated,
        )
        source = inventory.source
        await uow.audit.add(
            AuditEntry(
                at=now,
                actor=IMPORT_ACTOR,
                action="inventory.import",
                subject=f"inventory:{source.name}" if source is not None else "inventory",
                detail=report.summary(),
            )
        )
    return report


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


__all__ = [
    "ActivationEntry",
    "BenefitEntry",
    "DownloadEntry",
    "HolderEntry",
    "ImportReport",
    "Inventory",
    "InventoryError",
    "MembershipEntry",
    "import_inventory",
    "load_inventory",
    "resolve_email_holders",
]
