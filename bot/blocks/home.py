"""The App Home tab: one person's benefits, requests and, per role, what they may do.

:func:`home_view` renders a :class:`bot.services.home.Home` within Block Kit's 100
blocks whatever its size: the long lists (holdings, pending requests, the Global
admins' queue) show one page each, with Previous / Next buttons whose value names
the list and the page (:func:`parse_home_page`), and the short lists are packed
into a few sections. Buttons reuse the listeners of the same buttons elsewhere:
Details and Get keys as on a benefit's details, Approve and Deny as on the
approval request in the admin channel.
"""

from __future__ import annotations

from typing import Any, Final

from bot.blocks import ids
from bot.blocks import setup as setup_blocks
from bot.blocks.primitives import (
    MODAL_BLOCKS,
    MODAL_TITLE_LIMIT,
    Block,
    actions,
    button,
    category_label,
    clip,
    context,
    day,
    divider,
    escape,
    fields_section,
    header,
    mention,
    packed_sections,
    parse_page,
    plain,
    section,
)
from bot.domain.model import ROLE_LABELS, Category, InvalidInput, Page, Role
from bot.domain.permissions import Action, allowed
from bot.i18n.translate import N_, t
from bot.services.catalog import Holding, Pending
from bot.services.home import AdminHome, Home, HomePages

SECTIONS: Final = ("held", "pending", "queue")
"""The lists that page, as named in the value of a Previous / Next button."""
REASON_SHOWN: Final = 200
CONFIRM_LIMIT: Final = 30

ROLE_ACTIONS: Final[tuple[tuple[Action, str, str, str, str], ...]] = (
    (Action.DECIDE, "assign", N_("Assign a seat"), "assign <benefit> @user", N_("give someone a seat; `unassign` and `reassign` free or move one")),
    (Action.MANAGE_ROLES, "grant", N_("Grant a role"), "grant @user <role>", N_("give someone a role; `revoke` takes it back, `roles` lists them")),
    (Action.ACTIVATE_TECHNICAL, "activate", N_("Activate a benefit"), "activate <benefit>", N_("activate a technical benefit or go-to-market offer; `list technical` and `list gtm` show their status")),
    (Action.MANAGE_GTM, "contact", N_("Marketing contact"), "contact", N_("set the marketing contact for go-to-market offers")),
    (Action.REVEAL_KEYS, "keys", N_("Product keys"), "keys <benefit>", N_("the download link and product keys of a software benefit")),
    (Action.CANCEL, "cancel", N_("Cancellation"), "cancel", N_("check whether the package can be cancelled with a refund, and ask for it")),
    (Action.ADD_USER, "adduser", N_("Add a user"), "adduser @user", N_("add someone to the bot's directory, before a seat is assigned to them")),
    (Action.READ_AUDIT, "audit", N_("Audit log"), "audit [n]", N_("the latest entries of the audit log")),
)  # fmt: skip
"""What a role may do, as buttons on its Home: (action, key, label, usage, what it does)."""
FORM_ACTIONS: Final = frozenset({"contact"})
"""Keys whose button opens the feature's form itself rather than its help."""


def page_value(name: str, page: int) -> str:
    return f"{name}|{page}"


def parse_home_page(value: str) -> HomePages:
    """The pages a Previous / Next button of the Home asks for; refused when broken."""
    name, _, number = value.partition("|")
    if name not in SECTIONS:
        raise InvalidInput("This button is broken: it names no page.")
    page = parse_page(number)
    return HomePages(**{name: page})


def _nav(page: Page[Any], name: str) -> list[Block]:
    buttons: list[Block] = []
    if page.has_previous:
        buttons.append(
            button(
                t("‹ Previous"), action_id=ids.HOME_PREVIOUS, value=page_value(name, page.page - 1)
            )
        )
    if page.has_next:
        buttons.append(
            button(t("Next ›"), action_id=ids.HOME_NEXT, value=page_value(name, page.page + 1))
        )
    if not buttons:
        return []
    where = t(
        "Page {page} of {pages} · {total} in all",
        page=page.page + 1,
        pages=page.pages,
        total=page.total,
    )
    return [context(where), actions(buttons, block_id=f"home_nav_{name}")]


def _confirm(title: str, text: str, yes: str) -> dict[str, Any]:
    return {
        "title": plain(title, CONFIRM_LIMIT),
        "text": plain(text, 300),
        "confirm": plain(yes, CONFIRM_LIMIT),
        "deny": plain(t("Keep it"), CONFIRM_LIMIT),
    }


def request_button() -> Block:
    return button(
        t("Request a benefit"), action_id=ids.REQUEST_FORM_BUTTON, value="home", style="primary"
    )


def _has_keys(holding: Holding) -> bool:
    b = holding.benefit
    return b.category is Category.SOFTWARE or (b.category is Category.CLOUD and not b.usage_based)


def _holdings(home: Home) -> list[Block]:
    page = home.holdings
    blocks: list[Block] = [section(f"*{t('What you hold')}* ({page.total})")]
    if not page.items:
        blocks.append(context(t("You hold no benefit yet.")))
        return blocks
    for h in page.items:
        line = t(
            "*{benefit}* `{id}` · {category}\nsince {since}",
            benefit=clip(h.benefit.name, 150),
            id=h.benefit.id,
            category=category_label(h.benefit.category),
            since=day(h.assignment.assigned_at),
        )
        details = button(t("Details"), action_id=ids.DETAILS, value=h.benefit.id)
        if _has_keys(h):
            blocks.append(section(line))
            keys = button(t("Get keys"), action_id=ids.KEYS_BUTTON, value=h.benefit.id)
            blocks.append(actions([keys, details]))
        else:
            blocks.append(section(line, accessory=details))
    return blocks + _nav(page, "held")


def _pending(home: Home) -> list[Block]:
    page = home.pending
    if page.total == 0:
        return []
    blocks: list[Block] = [
        section(f"*{t('Your requests waiting for a Global admin')}* ({page.total})")
    ]
    for p in page.items:
        withdraw = button(
            t("Withdraw"), action_id=ids.WITHDRAW, value=str(p.request.id), style="danger"
        )
        withdraw["confirm"] = _confirm(
            t("Withdraw the request?"),
            t(
                "Request #{request_id} for {benefit} will be closed.",
                request_id=p.request.id,
                benefit=clip(p.benefit.name, 150),
            ),
            t("Withdraw"),
        )
        blocks.append(section(_request_line(p, with_requester=False), accessory=withdraw))
    return blocks + _nav(page, "pending")


def _request_line(p: Pending, *, with_requester: bool) -> str:
    reason = (
        escape(clip(p.request.reason, REASON_SHOWN)) if p.request.reason else t("no reason given")
    )
    if with_requester:
        return t(
            "#{request_id} *{benefit}* for {requester}, since {since}\n{reason}",
            request_id=p.request.id,
            benefit=clip(p.benefit.name, 150),
            requester=mention(p.request.requester_id),
            since=day(p.request.created_at),
            reason=reason,
        )
    return t(
        "#{request_id} *{benefit}*, since {since}\n{reason}",
        request_id=p.request.id,
        benefit=clip(p.benefit.name, 150),
        since=day(p.request.created_at),
        reason=reason,
    )


def _ending(home: Home) -> list[Block]:
    if not home.ending:
        return []
    lines = [
        t(
            "• *{benefit}* ends on {day} (yours)",
            benefit=clip(e.benefit.name, 150),
            day=e.on.isoformat(),
        )
        if e.held
        else t(
            "• *{benefit}* ends on {day}", benefit=clip(e.benefit.name, 150), day=e.on.isoformat()
        )
        for e in home.ending
    ]
    return [section(f"*{t('Ending within 30 days')}*"), *packed_sections(lines)]


def _company(home: Home) -> list[Block]:
    lines = [
        t(
            "• *{benefit}*: Access ID `{access_id}`, Contract ID `{contract_id}`",
            benefit=clip(b.name, 150),
            access_id=escape(a.access_id or "—"),
            contract_id=escape(a.contract_id or "—"),
        )
        for b, a in home.support[:10]
    ]
    if home.contact is not None:
        lines.append(t("• Marketing contact: {contact}", contact=mention(home.contact.user_id)))
    if not lines:
        return []
    return [section(f"*{t('Support IDs and marketing contact')}*"), *packed_sections(lines)]


def _how_it_works() -> list[Block]:
    return [
        section(f"*{t('How this works')}*"),
        context(
            t(
                "1. Request a benefit with a reason. 2. A Global admin approves or denies it; you "
                "get a DM either way. 3. Once approved, the seat is yours: get its keys or details "
                "here. Everything is also a command: `{command} help`.",
                command=ids.COMMAND,
            )
        ),
    ]


def _roles(home: Home) -> list[Block]:
    admin_roles = sorted(home.roles, key=list(Role).index)
    if not admin_roles:
        return []
    names = ", ".join(t(ROLE_LABELS[r]) for r in admin_roles)
    buttons = [
        button(t(label), action_id=ids.HOME_ROLE_ACTIONS[key], value=key)
        for action, key, label, _, _ in ROLE_ACTIONS
        if allowed(action, home.roles)
    ]
    blocks: list[Block] = [
        section(f"*{t('What your roles let you do')}*"),
        context(t("You are: {roles}", roles=names)),
    ]
    if buttons:
        blocks.append(actions(buttons[:25], block_id="home_roles"))
    return blocks


def _queue(admin: AdminHome, user: str) -> list[Block]:
    page = admin.queue
    blocks: list[Block] = [section(f"*{t('Requests waiting for a decision')}* ({page.total})")]
    if not page.items:
        blocks.append(context(t("No request is waiting.")))
        return blocks
    for p in page.items:
        blocks.append(section(_request_line(p, with_requester=True)))
        if p.request.requester_id == user:  # nobody decides their own request
            blocks.append(context(t("Your own request: another Global admin decides it.")))
            continue
        value = str(p.request.id)
        blocks.append(
            actions(
                [
                    button(t("Approve"), action_id=ids.APPROVE, value=value, style="primary"),
                    button(t("Deny"), action_id=ids.DENY, value=value, style="danger"),
                ],
                block_id=f"home_request_{p.request.id}",
            )
        )
    return blocks + _nav(page, "queue")


def _admin(admin: AdminHome, user: str) -> list[Block]:
    blocks: list[Block] = [divider(), header(t("Global admin"))]
    setup = admin.setup
    if setup is not None and not setup.done:
        blocks += [*setup_blocks.checklist(setup), divider()]
    blocks += _queue(admin, user)
    if admin.seats:
        pairs = [
            (
                category_label(s.category),
                t("{used} of {seats} seats in use", used=s.used, seats=s.seats)
                if not s.unlimited
                else t(
                    "{used} in use; {seats} seats plus {unlimited} benefits without a limit",
                    used=s.used,
                    seats=s.seats,
                    unlimited=s.unlimited,
                ),
            )
            for s in admin.seats
        ]
        blocks += [section(f"*{t('Seats in use')}*"), fields_section(pairs)]
    if admin.activations:
        lines = [
            t(
                "• *{benefit}*: pending for {days} days (asked by {requester} on {since})",
                benefit=clip(w.benefit.name, 150),
                days=w.days,
                requester=mention(w.activation.requested_by),
                since=day(w.activation.requested_at),
            )
            for w in admin.activations
        ]
        if admin.activations_total > len(admin.activations):
            lines.append(
                t("… and {more} more", more=admin.activations_total - len(admin.activations))
            )
        blocks += [
            section(f"*{t('Activations pending')}* ({admin.activations_total})"),
            *packed_sections(lines),
        ]
    status = [
        t(
            "Reminders parked: {parked} (`benefits-bot reminders --state parked`)",
            parked=admin.parked,
        )
        if admin.parked
        else t("Reminders parked: none"),
        t("Membership ends on {day}", day=admin.membership_end.isoformat())
        if admin.membership_end
        else t("Membership: not imported yet"),
    ]
    if admin.managed_in_pmc:
        status.append(t("Managed in the Partner Membership Center: changes are made there."))
    if setup is not None and setup.done:
        status.append(t("Admin channel: <#{channel}>", channel=setup.admin_channel))
    blocks.append(context(" · ".join(status)))
    if setup is not None and setup.done:
        blocks.append(setup_blocks.setup_buttons())
    return blocks


def home_view(home: Home) -> Block:
    """The Home tab of ``home.user``, within 100 blocks."""
    blocks: list[Block] = [
        header(t("Partner benefits")),
        actions([request_button()], block_id="home_request"),
    ]
    if home.empty:
        blocks.append(
            section(
                t(
                    ":wave: You hold no benefit and have asked for none yet. Start with "
                    "*Request a benefit*: pick one, say why you need it, and a Global admin "
                    "decides. To look around first, type `{command} list`.",
                    command=ids.COMMAND,
                )
            )
        )
    blocks += [divider(), *_holdings(home), *_pending(home), *_ending(home)]
    company = _company(home)
    if company:
        blocks += [divider(), *company]
    roles = _roles(home)
    if roles:
        blocks += [divider(), *roles]
    if home.admin is not None:
        blocks += _admin(home.admin, home.user)
    blocks += [divider(), *_how_it_works()]
    return {"type": "home", "blocks": blocks[:MODAL_BLOCKS]}


def role_help_view(key: str, roles: frozenset[Role]) -> Block:
    """A modal with how to do one thing a role may do (the command and what it does)."""
    for action, name, label, usage, what in ROLE_ACTIONS:
        if name == key:
            if allowed(action, roles):
                text = f"`{ids.COMMAND} {usage}`\n{t(what)}"
            else:
                text = t("Your roles don't allow this; a Global admin can grant a role.")
            return _info_view(t(label), text)
    return _info_view(t("Partner benefits"), t("This button is broken: it names nothing to do."))


def _info_view(title: str, text: str) -> Block:
    return {
        "type": "modal",
        "callback_id": ids.HOME_HELP_VIEW,
        "title": plain(title, MODAL_TITLE_LIMIT),
        "close": plain(t("Close"), MODAL_TITLE_LIMIT),
        "blocks": [section(text)],
    }


def refusal_view(text: str) -> Block:
    """A refusal of a click on the Home (which has no response URL to answer through)."""
    return _info_view(t("Partner benefits"), f":warning: {text}")
