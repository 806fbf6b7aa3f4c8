"""Block Kit builders: small pure functions from domain results to Slack payloads.

Every builder returns plain dicts within Block Kit's limits: lists are paged
or packed into several sections, and free text is clipped with an ellipsis
where one field has a hard limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.blocks import ids
from bot.domain.cloud import AZURE_PORTAL_URL
from bot.domain.model import (
    CATEGORY_LABELS,
    ActivationStatus,
    Assignment,
    Benefit,
    BenefitRow,
    Category,
    DomainError,
    NoMatch,
    Page,
    Request,
    RequestStatus,
    Role,
)
from bot.domain.permissions import Action, allowed
from bot.i18n.translate import N_, t
from bot.services.benefits import CloudActivation, Decision, Details, Mine
from bot.services.keys import keys_possible

Block = dict[str, Any]
Message = dict[str, Any]

SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
HEADER_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100


# -- primitives -----------------------------------------------------------


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """User-typed text made inert in mrkdwn: no mentions, links or @channel pings."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str, limit: int = SECTION_TEXT_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT_LIMIT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit) or " "}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_LIMIT)}


def section(text: str, *, accessory: Block | None = None, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id is not None:
        block["block_id"] = block_id
    return block


def fields_section(pairs: Sequence[tuple[str, str]]) -> Block:
    return {
        "type": "section",
        "fields": [mrkdwn(f"*{label}*\n{value}", FIELD_TEXT_LIMIT) for label, value in pairs[:10]],
    }


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text)]}


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str, *, action_id: str, value: str, style: str | None = None, url: str | None = None
) -> Block:
    element: Block = {
        "type": "button",
        "text": plain(text, BUTTON_TEXT_LIMIT),
        "action_id": action_id,
        "value": value,
    }
    if style is not None:
        element["style"] = style
    if url is not None:
        element["url"] = url
    return element


def actions(elements: list[Block], *, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": elements}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def packed_sections(lines: Iterable[str], *, limit: int = SECTION_TEXT_LIMIT) -> list[Block]:
    """Lines joined into as few sections as fit, none over ``limit`` characters."""
    blocks: list[Block] = []
    current: list[str] = []
    size = 0
    for raw in lines:
        line = clip(raw, limit)
        if current and size + 1 + len(line) > limit:
            blocks.append(section("\n".join(current)))
            current, size = [], 0
        current.append(line)
        size += len(line) + (1 if size else 0)
    if current:
        blocks.append(section("\n".join(current)))
    return blocks


def message(text: str, blocks: list[Block] | None = None) -> Message:
    """A message payload: fallback ``text`` (notifications, screen readers) and blocks."""
    payload: Message = {"text": clip(text, 3000)}
    if blocks:
        payload["blocks"] = blocks[:MESSAGE_BLOCKS]
    return payload


# -- rendering domain values ----------------------------------------------


def mention(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "nobody"


def day(moment: datetime) -> str:
    return moment.date().isoformat()


def category_label(category: Category) -> str:
    return t(CATEGORY_LABELS[category])


def seats_text(row: BenefitRow) -> str:
    if row.benefit.seats is None:
        return t("no seat limit")
    return t(
        "{left} of {seats} seats left",
        left=row.seats_left,
        seats=row.benefit.seats,
    )


def render_error(error: DomainError) -> str:
    """The refusal as a sentence, user references rendered as mentions."""
    params: dict[str, Any] = {}
    for name, value in error.params.items():
        if name.endswith("_users"):
            params[name] = ", ".join(mention(u) for u in value) or t("nobody")
        elif name.endswith("_user"):
            params[name] = mention(value)
        else:
            params[name] = value
    text = t(error.message, **params)
    if isinstance(error, NoMatch) and error.candidates:
        options = "\n".join(f"• *{b.name}* (`{b.id}`)" for b in error.candidates)
        text = f"{text}\n{t('Closest matches:')}\n{options}"
    return text


def error_message(error: DomainError) -> Message:
    text = render_error(error)
    return message(text, [section(f":warning: {text}")])


def notice(text: str) -> Message:
    return message(text, [section(text)])


# -- help -----------------------------------------------------------------

_MEMBER_COMMANDS = (
    ("list [category]", N_("the inventory with seats left; categories: {categories}")),
    ("mine", N_("your benefits and pending requests")),
    ("request <benefit> [reason]", N_("ask a Global admin for a seat of a benefit")),
    (
        "keys <benefit>",
        N_("the download link and product keys of software or a cloud license you hold"),
    ),
    ("activate <benefit>", N_("assign an Azure credit to yourself")),
    (
        "support [cloud|on-premises|advice]",
        N_("which support to use, what is left of it and the IDs to quote"),
    ),
    ("advisory <hours> <topic>", N_("ask for presales or deployment advisory hours")),
    ("help", N_("this list")),
)
_ADMIN_COMMANDS: tuple[tuple[Action, str, str], ...] = (
    (Action.DECIDE, "assign <benefit> @user", N_("give someone a seat")),
    (Action.DECIDE, "unassign <benefit> @user", N_("free someone's seat")),
    (
        Action.DECIDE,
        "reassign <benefit> @from @to",
        N_("move a seat to someone else (Visual Studio: 90 days after its assignment)"),
    ),
    (
        Action.ACTIVATE_TECHNICAL,
        "activate <benefit>",
        N_("activate a technical benefit or go-to-market offer"),
    ),
    (Action.MANAGE_GTM, "contact", N_("set the marketing contact for go-to-market offers")),
    (Action.CANCEL, "cancel", N_("check whether the package can be cancelled with a refund")),
    (Action.READ_AUDIT, "audit [n]", N_("the latest n entries of the audit log (default 20)")),
    (Action.ADD_USER, "adduser @user", N_("add someone to the bot's directory")),
    (Action.MANAGE_ROLES, "grant @user <role>", N_("give a role: {roles}")),
    (Action.MANAGE_ROLES, "revoke @user <role>", N_("take a role away")),
    (Action.MANAGE_ROLES, "roles", N_("who holds which role")),
)


def help_message(roles: frozenset[Role]) -> Message:
    categories = ", ".join(c.value for c in Category)
    role_names = ", ".join(r.value for r in Role)
    lines = [
        f"`{ids.COMMAND} {usage}` — {t(what, categories=categories)}"
        for usage, what in _MEMBER_COMMANDS
    ]
    admin_lines = [
        f"`{ids.COMMAND} {usage}` — {t(what, roles=role_names)}"
        for action, usage, what in _ADMIN_COMMANDS
        if allowed(action, roles)
    ]
    blocks = [header(t("Partner benefits")), *packed_sections(lines)]
    if admin_lines:
        blocks += [divider(), section(f"*{t('As an admin you can also')}*")]
        blocks += packed_sections(admin_lines)
    held = ", ".join(sorted(r.value for r in roles)) or t("none (team member)")
    blocks.append(context(t("Your roles: {roles}", roles=held)))
    return message(t("What you can do with {command}", command=ids.COMMAND), blocks)


# -- the inventory list ---------------------------------------------------


def page_value(category: Category | None, page: int) -> str:
    return f"{category.value if category else 'all'}|{page}"


def parse_page_value(value: str) -> tuple[Category | None, int]:
    name, _, number = value.partition("|")
    category = None if name == "all" else Category(name)
    return category, int(number)


def benefit_line(row: BenefitRow) -> str:
    b = row.benefit
    return f"*{clip(b.name, 150)}*  `{b.id}`\n{category_label(b.category)} · {seats_text(row)}"


def benefit_list_message(page: Page[BenefitRow], category: Category | None) -> Message:
    title = (
        t("Benefits: {category}", category=category_label(category)) if category else t("Benefits")
    )
    if not page.items:
        text = t(
            "No benefits yet. The operator loads the inventory with "
            "`benefits-bot import inventory.yaml`.",
        )
        return message(text, [header(title), section(text)])
    blocks: list[Block] = [header(title)]
    for row in page.items:
        blocks.append(
            section(
                benefit_line(row),
                accessory=button(t("Details"), action_id=ids.DETAILS, value=row.benefit.id),
            )
        )
    blocks.append(
        context(
            t(
                "Page {page} of {pages} · {total} benefits · ask with `{command} request <id> [reason]`",
                page=page.page + 1,
                pages=page.pages,
                total=page.total,
                command=ids.COMMAND,
            )
        )
    )
    blocks += list_nav(page, category)
    return message(f"{title} ({page.total})", blocks)


def list_nav(page: Page[Any], category: Category | None) -> list[Block]:
    """The Previous and Next buttons of an inventory list page (none on a single page)."""
    nav: list[Block] = []
    if page.has_previous:
        nav.append(
            button(
                t("‹ Previous"),
                action_id=ids.LIST_PREVIOUS,
                value=page_value(category, page.page - 1),
            )
        )
    if page.has_next:
        nav.append(
            button(
                t("Next ›"),
                action_id=ids.LIST_NEXT,
                value=page_value(category, page.page + 1),
            )
        )
    return [actions(nav, block_id=ids.LIST_NAV_BLOCK)] if nav else []


_STATUS_LABELS: dict[ActivationStatus, str] = {
    ActivationStatus.PENDING: N_("Pending"),
    ActivationStatus.ACTIVE: N_("Active"),
    ActivationStatus.EXPIRED: N_("Expired"),
}
LIST_ITEMS_SHOWN = 30


def status_text(details: Details) -> str:
    """Pending (since when), Active, Expired, or not activated yet."""
    if details.status is None:
        return t("Not activated")
    label = t(_STATUS_LABELS[details.status])
    activation = details.activation
    if details.status is ActivationStatus.PENDING and activation is not None:
        return t("{status} (requested {date})", status=label, date=day(activation.requested_at))
    return label


def _names(values: Sequence[str]) -> str:
    shown = ", ".join(values[:LIST_ITEMS_SHOWN])
    if len(values) > LIST_ITEMS_SHOWN:
        shown += " " + t("and {count} more", count=len(values) - LIST_ITEMS_SHOWN)
    return shown


def holders_page_value(benefit_id: str, page: int) -> str:
    return f"{benefit_id}|{page}"


def parse_holders_page_value(value: str) -> tuple[str, int]:
    """The benefit id and page of a holders paging button; ValueError when broken."""
    benefit_id, _, number = value.rpartition("|")
    if not benefit_id or not (number.isascii() and number.isdigit()) or len(number) > 6:
        raise ValueError(value)
    return benefit_id, int(number)


def details_view(details: Details) -> Block:
    """A benefit's details modal: what its category has, as Partner Center shows it.

    Holders' names appear only when ``details.holders`` is set (admins), one
    page at a time with Previous / Next buttons that update the modal.
    """
    b = details.row.benefit
    facts = [
        (t("Category"), category_label(b.category)),
        (t("Seats"), seats_text(details.row)),
        (t("Status"), status_text(details)),
        (t("Id"), f"`{b.id}`"),
    ]
    if details.expires_on is not None:
        facts.append((t("Expires"), details.expires_on.isoformat()))
    if b.languages:
        facts.append((t("Languages"), _names(b.languages)))
    if b.operating_systems:
        facts.append((t("Operating systems"), _names(b.operating_systems)))
    activation = details.activation
    if (
        b.category is Category.TECHNICAL
        and activation is not None
        and details.status is ActivationStatus.ACTIVE
    ):
        facts.append((t("Access ID"), f"`{activation.access_id or '—'}`"))
        facts.append((t("Contract ID"), f"`{activation.contract_id or '—'}`"))
    blocks: list[Block] = [header(b.name), fields_section(facts)]
    if b.description:
        blocks.append(section(b.description))
    if b.instructions:
        blocks.append(section(f"*{t('Special instructions')}*\n{b.instructions}"))
    buttons: list[Block] = []
    if b.category is Category.CLOUD and b.usage_based:
        buttons.append(
            button(t("Activate"), action_id=ids.CLOUD_ACTIVATE, value=b.id, style="primary")
        )
    if details.key_count and keys_possible(b):
        buttons.append(button(t("Get keys"), action_id=ids.KEYS_BUTTON, value=b.id))
    if buttons:
        blocks.append(actions(buttons, block_id=ids.DETAILS_ACTIONS_BLOCK))
    if details.holders is not None:
        blocks.append(divider())
        if details.holders:
            blocks.append(
                section(
                    f"*{t('Holders')}* ({details.row.seats_used})"
                    + (
                        " · "
                        + t(
                            "page {page} of {pages}",
                            page=details.holders_page + 1,
                            pages=details.holders_pages,
                        )
                        if details.holders_pages > 1
                        else ""
                    )
                )
            )
            blocks += packed_sections(holder_line(a) for a in details.holders)
            blocks += _holders_nav(details)
        else:
            blocks.append(section(t("Nobody holds a seat yet.")))
    blocks.append(
        context(
            t(
                "Ask for it with `{command} request {id} [reason]`.",
                command=ids.COMMAND,
                id=b.id,
            )
        )
    )
    return {
        "type": "modal",
        "callback_id": ids.DETAILS_VIEW,
        "private_metadata": b.id,
        "title": plain(t("Benefit details"), 24),
        "close": plain(t("Close"), 24),
        "blocks": blocks[:MODAL_BLOCKS],
    }


def _holders_nav(details: Details) -> list[Block]:
    b = details.row.benefit
    nav: list[Block] = []
    if details.holders_page > 0:
        nav.append(
            button(
                t("‹ Previous"),
                action_id=ids.DETAILS_HOLDERS_PREVIOUS,
                value=holders_page_value(b.id, details.holders_page - 1),
            )
        )
    if details.holders_page + 1 < details.holders_pages:
        nav.append(
            button(
                t("Next ›"),
                action_id=ids.DETAILS_HOLDERS_NEXT,
                value=holders_page_value(b.id, details.holders_page + 1),
            )
        )
    return [actions(nav, block_id=ids.DETAILS_HOLDERS_NAV_BLOCK)] if nav else []


def holder_line(a: Assignment) -> str:
    who = mention(a.user_id) if a.user_id else f"{a.holder_email} (pending)"
    return f"{who} · {day(a.assigned_at)}"


# -- mine -----------------------------------------------------------------


def mine_message(mine: Mine) -> Message:
    blocks: list[Block] = [header(t("Your benefits"))]
    if mine.holdings:
        blocks += packed_sections(
            t(
                "• *{benefit}* (`{id}`), since {since}",
                benefit=h.benefit.name,
                id=h.benefit.id,
                since=day(h.assignment.assigned_at),
            )
            for h in mine.holdings
        )
    else:
        blocks.append(section(t("You hold no benefit yet.")))
    if mine.pending:
        blocks.append(section(f"*{t('Waiting for a Global admin')}*"))
        blocks += packed_sections(
            t(
                "• *{benefit}*: request #{request_id} of {since}",
                benefit=p.benefit.name,
                request_id=p.request.id,
                since=day(p.request.created_at),
            )
            for p in mine.pending
        )
    blocks.append(context(t("See everything with `{command} list`.", command=ids.COMMAND)))
    text = t(
        "You hold {held} benefits and wait for {pending}.",
        held=len(mine.holdings),
        pending=len(mine.pending),
    )
    return message(text, blocks)


# -- approval requests ----------------------------------------------------


def _request_summary(request: Request, benefit: Benefit, seats_left: int | None) -> list[Block]:
    left = t("no seat limit") if seats_left is None else str(seats_left)
    return [
        section(
            t(
                "{requester} asks for *{benefit}* (`{id}`).",
                requester=mention(request.requester_id),
                benefit=benefit.name,
                id=benefit.id,
            )
        ),
        fields_section(
            [
                (t("Reason"), escape(request.reason) or t("(none given)")),
                (t("Seats left"), left),
                (t("Category"), category_label(benefit.category)),
                (t("Request"), f"#{request.id} · {day(request.created_at)}"),
            ]
        ),
    ]


def approval_request_message(request: Request, benefit: Benefit, seats_left: int | None) -> Message:
    """The message Global admins decide on, with Approve and Deny buttons."""
    blocks = _request_summary(request, benefit, seats_left)
    blocks.append(
        actions(
            [
                button(
                    t("Approve"),
                    action_id=ids.APPROVE,
                    value=str(request.id),
                    style="primary",
                ),
                button(t("Deny"), action_id=ids.DENY, value=str(request.id), style="danger"),
            ],
            block_id=ids.REQUEST_ACTIONS_BLOCK,
        )
    )
    text = t(
        "{requester} asks for {benefit}",
        requester=mention(request.requester_id),
        benefit=benefit.name,
    )
    return message(text, blocks)


def outcome_line(request: Request) -> str:
    when = day(request.decided_at) if request.decided_at else ""
    if request.status is RequestStatus.APPROVED:
        return t(
            ":white_check_mark: Approved by {decider} on {when}.",
            decider=mention(request.decided_by),
            when=when,
        )
    if request.status is RequestStatus.DENIED:
        return t(
            ":x: Denied by {decider} on {when}: {reason}",
            decider=mention(request.decided_by),
            when=when,
            reason=escape(request.decision_note),
        )
    return t("Closed.")


def decided_request_message(decision: Decision) -> Message:
    """The approval request after its decision: the outcome instead of buttons."""
    blocks = _request_summary(decision.request, decision.benefit, decision.seats_left)
    outcome = outcome_line(decision.request)
    blocks.append(context(outcome))
    text = t(
        "{requester}'s request for {benefit}: {outcome}",
        requester=mention(decision.request.requester_id),
        benefit=decision.benefit.name,
        outcome=outcome,
    )
    return message(text, blocks)


def outcome_dm(decision: Decision) -> Message:
    """What the requester reads when their request is decided."""
    r = decision.request
    return outcome_message(r.status, decision.benefit.name, r.decided_by, r.decision_note)


def outcome_message(
    status: RequestStatus,
    benefit: str,
    decider: str | None,
    note: str,
) -> Message:
    """The requester's DM about a decision, from its plain facts (the outbox keeps those)."""
    if status is RequestStatus.APPROVED:
        text = t(
            ":white_check_mark: Your request for *{benefit}* was approved by {decider}. The seat is yours; see `{command} mine`.",
            benefit=benefit,
            decider=mention(decider),
            command=ids.COMMAND,
        )
    else:
        text = t(
            ":x: Your request for *{benefit}* was denied by {decider}: {reason}",
            benefit=benefit,
            decider=mention(decider),
            reason=escape(note),
        )
    return message(text, [section(text)])


def deny_view(request: Request, benefit: Benefit) -> Block:
    """The modal that asks a Global admin why a request is denied."""
    return {
        "type": "modal",
        "callback_id": ids.DENY_VIEW,
        "private_metadata": str(request.id),
        "title": plain(t("Deny request"), 24),
        "submit": plain(t("Deny"), 24),
        "close": plain(t("Cancel"), 24),
        "blocks": [
            section(
                t(
                    "Deny {requester}'s request for *{benefit}*? They will read your reason.",
                    requester=mention(request.requester_id),
                    benefit=benefit.name,
                )
            ),
            {
                "type": "input",
                "block_id": ids.DENY_REASON_BLOCK,
                "label": plain(t("Reason"), 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.DENY_REASON_INPUT,
                    "multiline": True,
                    "min_length": 1,
                    "max_length": 500,
                    "placeholder": plain(t("Why is this request denied?"), 150),
                },
            },
        ],
    }


# -- roles ----------------------------------------------------------------


def roles_message(pairs: list[tuple[str, Role]]) -> Message:
    blocks: list[Block] = [header(t("Roles"))]
    for role in Role:
        holders = [u for u, r in pairs if r is role]
        names = ", ".join(mention(u) for u in holders) or t("nobody")
        blocks += packed_sections([f"*{role.value}*: {names}"])
    return message(t("Who holds which role"), blocks)


def home_view(roles: frozenset[Role], mine: Mine) -> Block:
    """The App Home tab: the caller's benefits and what they can do."""
    blocks = [*mine_message(mine)["blocks"][:40], divider()]
    blocks += help_message(roles)["blocks"][1:]
    return {"type": "home", "blocks": blocks[:MODAL_BLOCKS]}


# -- usage-based cloud credits ---------------------------------------------


def cloud_activated(result: CloudActivation) -> Message:
    """The answer to activating an Azure credit: it is yours, or it waits for approval."""
    b = result.benefit
    if result.request is not None:
        text = t(
            ":hourglass_flowing_sand: *{benefit}* needs a Global admin's approval first: your "
            "request #{request_id} was sent to them. Once it is approved, manage the credit in "
            "the Azure portal as {email}.",
            benefit=b.name,
            request_id=result.request.request.id,
            email=result.email,
        )
    else:
        text = t(
            ":white_check_mark: *{benefit}* is now yours, for {email}. Manage it in the Azure "
            "portal.",
            benefit=b.name,
            email=result.email,
        )
    portal = button(
        t("Open the Azure portal"),
        action_id=ids.AZURE_PORTAL,
        value=b.id,
        url=AZURE_PORTAL_URL,
    )
    return message(text, [section(text, accessory=portal)])
