"""What members browse: help, the inventory list and their own benefits (the App Home tab
is :mod:`bot.blocks.home`)."""

from __future__ import annotations

from bot.blocks import ids
from bot.blocks.primitives import (
    Block,
    Message,
    button,
    category_label,
    clip,
    context,
    day,
    divider,
    header,
    list_nav,
    message,
    packed_sections,
    seats_text,
    section,
)
from bot.domain.model import BenefitRow, Category, Page, Role
from bot.domain.permissions import Action, allowed
from bot.i18n.translate import N_, t
from bot.services.catalog import Mine

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
    ("language [nl|en|auto]", N_("the language I write to you in; auto: your Slack language")),
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
    (
        Action.READ_DIGEST,
        "digest",
        N_("the weekly digest now: seats, idle seats, what ends soon (chart by DM)"),
    ),
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
