"""The `/benefits` command language: text in, a typed command out.

Parsing knows Slack's escaping of mentions (``<@U123|name>``, sent because
the command is declared with ``should_escape``) and nothing about storage.
Bad text raises :class:`bot.domain.InvalidInput` with the usage to follow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.entitlements import Problem, parse_problem
from bot.domain.limits import MAX_COMMAND, MAX_RECORD_ID, USER_ID, USER_ID_TEXT
from bot.domain.model import Category, InvalidInput, Role
from bot.domain.validation import whole_number

_MENTION = re.compile(rf"<@({USER_ID_TEXT})(?:\|[^>]*)?>")
# Slack's clients often turn straight quotes into curly ones.
_OPENING_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}
_RAW_AT = re.compile(r"(?<![<\w])@[\w.\-]+")

CATEGORY_ALIASES: dict[str, Category] = {
    "software": Category.SOFTWARE,
    "cloud": Category.CLOUD,
    "azure": Category.CLOUD,
    "visual_studio": Category.VISUAL_STUDIO,
    "visual-studio": Category.VISUAL_STUDIO,
    "vs": Category.VISUAL_STUDIO,
    "technical": Category.TECHNICAL,
    "support": Category.TECHNICAL,
    "gtm": Category.GTM,
    "go-to-market": Category.GTM,
}


@dataclass(frozen=True, slots=True)
class Help:
    pass


@dataclass(frozen=True, slots=True)
class ListBenefits:
    category: Category | None = None


@dataclass(frozen=True, slots=True)
class ShowMine:
    pass


@dataclass(frozen=True, slots=True)
class RequestForm:
    """`request` with nothing after it: the Request a benefit form."""


@dataclass(frozen=True, slots=True)
class Withdraw:
    request_id: int


@dataclass(frozen=True, slots=True)
class RequestBenefit:
    """``benefit`` is the text naming the benefit; ``reason`` is None when the
    two are not yet told apart (the service takes the longest name that fits)."""

    benefit: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class Assign:
    benefit: str
    user_id: str


@dataclass(frozen=True, slots=True)
class Unassign:
    benefit: str
    user_id: str


@dataclass(frozen=True, slots=True)
class Grant:
    user_id: str
    role: Role


@dataclass(frozen=True, slots=True)
class Revoke:
    user_id: str
    role: Role


@dataclass(frozen=True, slots=True)
class ShowRoles:
    pass


@dataclass(frozen=True, slots=True)
class AddUser:
    user_id: str


@dataclass(frozen=True, slots=True)
class Reassign:
    benefit: str
    from_user: str
    to_user: str


@dataclass(frozen=True, slots=True)
class Cancel:
    pass


@dataclass(frozen=True, slots=True)
class ShowAudit:
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class ShowKeys:
    """``benefit`` is the text naming a software or license-based cloud benefit."""

    benefit: str


@dataclass(frozen=True, slots=True)
class Activate:
    """``benefit`` names a technical benefit, go-to-market offer or cloud credit."""

    benefit: str


@dataclass(frozen=True, slots=True)
class ShowSupport:
    """``problem`` is None when the caller is still to be asked what it is about."""

    problem: Problem | None = None


@dataclass(frozen=True, slots=True)
class FileAdvisory:
    """``hours`` as typed; the service checks it is a positive whole number."""

    hours: str
    topic: str


@dataclass(frozen=True, slots=True)
class SetContact:
    pass


@dataclass(frozen=True, slots=True)
class ShowDigest:
    pass


@dataclass(frozen=True, slots=True)
class ChooseLanguage:
    """``choice`` as typed (``nl``, ``en``, ``auto``); None: say which language is in use."""

    choice: str | None = None


Command = (
    Help
    | ListBenefits
    | ShowMine
    | RequestBenefit
    | RequestForm
    | Withdraw
    | Assign
    | Unassign
    | Grant
    | Revoke
    | ShowRoles
    | AddUser
    | Reassign
    | Cancel
    | ShowAudit
    | ShowKeys
    | Activate
    | ShowSupport
    | FileAdvisory
    | SetContact
    | ShowDigest
    | ChooseLanguage
)

USAGE: dict[str, str] = {
    "list": "/benefits list [software|cloud|visual_studio|technical|gtm]",
    "mine": "/benefits mine",
    "request": "/benefits request <benefit> [reason]",
    "withdraw": "/benefits withdraw <request number>",
    "assign": "/benefits assign <benefit> @user",
    "unassign": "/benefits unassign <benefit> @user",
    "grant": "/benefits grant @user <role>",
    "revoke": "/benefits revoke @user <role>",
    "roles": "/benefits roles",
    "adduser": "/benefits adduser @user",
    "reassign": "/benefits reassign <benefit> @from @to",
    "cancel": "/benefits cancel",
    "audit": "/benefits audit [number of entries]",
    "keys": "/benefits keys <benefit>",
    "activate": "/benefits activate <benefit>",
    "support": "/benefits support [cloud|on-premises|advice]",
    "advisory": "/benefits advisory <hours> <topic>",
    "contact": "/benefits contact",
    "help": "/benefits help",
    "digest": "/benefits digest",
    "language": "/benefits language [nl|en|auto]",
}


def verb_of(text: str) -> str:
    """The first word of a command, case-folded ("" for none)."""
    parts = text.split(maxsplit=1)
    return parts[0].casefold() if parts else ""


def parse(text: str) -> Command:
    """Parse the text after ``/benefits``."""
    if len(text) > MAX_COMMAND:
        raise InvalidInput(
            "That command is too long ({length} characters, at most {limit}).",
            length=len(text),
            limit=MAX_COMMAND,
        )
    verb = verb_of(text)
    parts = text.strip().split(maxsplit=1)
    rest = parts[1].strip() if len(parts) > 1 else ""
    match verb:
        case "" | "help":
            return Help()
        case "list" | "ls":
            return ListBenefits(_category(rest))
        case "mine" | "my":
            _no_arguments("mine", rest)
            return ShowMine()
        case "request":
            return _request(rest) if rest else RequestForm()
        case "withdraw":
            return _withdraw(rest)
        case "assign":
            benefit, user = _benefit_and_user("assign", rest)
            return Assign(benefit, user)
        case "unassign":
            benefit, user = _benefit_and_user("unassign", rest)
            return Unassign(benefit, user)
        case "grant":
            user, role = _user_and_role("grant", rest)
            return Grant(user, role)
        case "revoke":
            user, role = _user_and_role("revoke", rest)
            return Revoke(user, role)
        case "roles":
            _no_arguments("roles", rest)
            return ShowRoles()
        case "adduser":
            return AddUser(_only_user("adduser", rest))
        case "reassign":
            return _reassign(rest)
        case "cancel":
            _no_arguments("cancel", rest)
            return Cancel()
        case "audit":
            return _audit(rest)
        case "digest":
            _no_arguments("digest", rest)
            return ShowDigest()
        case "activate":
            return Activate(_unquoted("activate", rest))
        case "support":
            return ShowSupport(parse_problem(rest) if rest else None)
        case "advisory":
            words = rest.split(None, 1)
            if not words:
                raise _usage_error("advisory")
            return FileAdvisory(words[0], words[1].strip() if len(words) > 1 else "")
        case "contact":
            _no_arguments("contact", rest)
            return SetContact()
        case "keys":
            return ShowKeys(_unquoted("keys", rest))
        case "language" | "taal":
            if len(rest.split()) > 1:
                raise _usage_error("language")
            return ChooseLanguage(rest or None)
    raise InvalidInput(
        "I don't know the command `{verb}`. Try `/benefits help` to see what you can do.",
        verb=verb[:40],
    )


def _usage_error(command: str) -> InvalidInput:
    return InvalidInput("Usage: `{usage}`", usage=USAGE[command])


def _no_arguments(command: str, rest: str) -> None:
    if rest:
        raise _usage_error(command)


def _category(rest: str) -> Category | None:
    if not rest:
        return None
    category = CATEGORY_ALIASES.get(rest.casefold())
    if category is None:
        raise InvalidInput(
            "There is no category `{category}`. Pick one of: {choices}.",
            category=rest[:40],
            choices=", ".join(c.value for c in Category),
        )
    return category


def _request(rest: str) -> RequestBenefit:
    if not rest:
        raise _usage_error("request")
    if rest[0] in _OPENING_QUOTES:
        closing = _OPENING_QUOTES[rest[0]]
        end = rest.find(closing, 1)
        if end == -1:
            raise InvalidInput("A quote is not closed. Usage: `{usage}`", usage=USAGE["request"])
        return RequestBenefit(rest[1:end], rest[end + 1 :].strip())
    return RequestBenefit(rest, None)


def _withdraw(rest: str) -> Withdraw:
    request_id = whole_number(rest.removeprefix("#"), maximum=MAX_RECORD_ID)
    if request_id is None:
        raise _usage_error("withdraw")
    return Withdraw(request_id)


def _unquoted(command: str, rest: str) -> str:
    """``rest``, without quotes around it (`keys "Windows 11"`); a usage error when empty."""
    if rest and rest[0] in _OPENING_QUOTES and rest.endswith(_OPENING_QUOTES[rest[0]]):
        rest = rest[1:-1].strip()
    if not rest:
        raise _usage_error(command)
    return rest


def _mentions(rest: str) -> list[str]:
    return _MENTION.findall(rest)


def _reassign(rest: str) -> Reassign:
    """``<benefit> @from @to``: the benefit first, then exactly two mentions."""
    _check_no_raw_at("reassign", rest)
    first = _MENTION.search(rest)
    users = _mentions(rest)
    if first is None or len(users) != 2 or _MENTION.sub("", rest[first.start() :]).strip():
        raise _usage_error("reassign")
    benefit = rest[: first.start()].strip()
    if benefit and benefit[0] in _OPENING_QUOTES and benefit.endswith(_OPENING_QUOTES[benefit[0]]):
        benefit = benefit[1:-1].strip()
    if not benefit:
        raise _usage_error("reassign")
    return Reassign(benefit, users[0], users[1])


def _audit(rest: str) -> ShowAudit:
    if not rest:
        return ShowAudit()
    limit = whole_number(rest, maximum=999_999)
    if limit is None:
        raise InvalidInput(
            "`audit` takes a number of entries, like `/benefits audit 50`. Usage: `{usage}`",
            usage=USAGE["audit"],
        )
    return ShowAudit(limit)


def _check_no_raw_at(command: str, rest: str) -> None:
    if _RAW_AT.search(_MENTION.sub("", rest)):
        raise InvalidInput(
            "I couldn't tell who you meant. Pick the person from Slack's @ suggestions so the "
            "mention becomes a link. Usage: `{usage}`",
            usage=USAGE[command],
        )


def _benefit_and_user(command: str, rest: str) -> tuple[str, str]:
    _check_no_raw_at(command, rest)
    users = _mentions(rest)
    if len(users) != 1:
        raise _usage_error(command)
    benefit = _MENTION.sub("", rest).strip()
    if not benefit:
        raise _usage_error(command)
    return benefit, users[0]


def _only_user(command: str, rest: str) -> str:
    _check_no_raw_at(command, rest)
    users = _mentions(rest)
    if len(users) != 1 or _MENTION.sub("", rest).strip():
        raise _usage_error(command)
    return users[0]


def _user_and_role(command: str, rest: str) -> tuple[str, Role]:
    _check_no_raw_at(command, rest)
    users = _mentions(rest)
    role_text = _MENTION.sub("", rest).strip().casefold().replace("-", "_").replace(" ", "_")
    if len(users) != 1 or not role_text:
        raise _usage_error(command)
    try:
        role = Role(role_text)
    except ValueError:
        raise InvalidInput(
            "There is no role `{role}`. Roles: {choices}.",
            role=role_text[:40],
            choices=", ".join(r.value for r in Role),
        ) from None
    return users[0], role


def parse_user_id(text: str) -> str | None:
    """A bare Slack user ID or a mention (``<@U123|name>``), else None."""
    text = text.strip()
    if USER_ID.match(text):
        return text
    found = _MENTION.fullmatch(text)
    return found.group(1) if found else None
