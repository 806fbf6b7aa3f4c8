"""The permission matrix of docs/rules.md, as one table enforced in one place.

An action maps to the roles that may perform it; ``None`` means every member
may. Keys of a benefit assigned to the caller are the one per-item exception,
and the service checks it beside this table.
"""

from __future__ import annotations

import enum

from bot.domain.model import Role


class Action(enum.StrEnum):
    VIEW = "view"
    REQUEST = "request"
    DECIDE = "decide"  # approve / deny a request, assign, unassign, reassign
    REVEAL_KEYS = "reveal_keys"
    ACTIVATE_TECHNICAL = "activate_technical"
    MANAGE_GTM = "manage_gtm"
    CANCEL = "cancel"
    ADD_USER = "add_user"
    MANAGE_ROLES = "manage_roles"
    READ_AUDIT = "read_audit"
    READ_DIGEST = "read_digest"  # the weekly utilisation digest, on demand
    SET_UP = "set_up"  # choose the admin channel, import the inventory shared in a DM


_G = Role.GLOBAL_ADMIN
_M = Role.MPN_PARTNER_ADMIN
_U = Role.USER_ADMIN
_A = Role.ADMIN_AGENT

PERMISSIONS: dict[Action, frozenset[Role] | None] = {
    Action.VIEW: None,
    Action.REQUEST: None,
    Action.DECIDE: frozenset({_G}),
    Action.REVEAL_KEYS: frozenset({_M, _G}),
    Action.ACTIVATE_TECHNICAL: frozenset({_M, _G}),
    Action.MANAGE_GTM: frozenset({_M, _G}),
    Action.CANCEL: frozenset({_A, _M, _G}),
    Action.ADD_USER: frozenset({_U, _G}),
    Action.MANAGE_ROLES: frozenset({_G}),
    Action.READ_AUDIT: frozenset({_M, _G}),
    Action.READ_DIGEST: frozenset({_M, _G}),
    Action.SET_UP: frozenset({_G}),
}


def allowed(action: Action, roles: frozenset[Role]) -> bool:
    """Whether someone holding ``roles`` may perform ``action``."""
    needed = PERMISSIONS[action]
    return needed is None or bool(needed & roles)


def roles_for(action: Action) -> list[Role]:
    """The roles that may perform ``action``, in the order ``Role`` declares them."""
    needed = PERMISSIONS[action]
    return [role for role in Role if needed is None or role in needed]
