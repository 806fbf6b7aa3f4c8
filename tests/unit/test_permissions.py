"""docs/rules.md's permission matrix, written out cell by cell.

The expected table is copied from docs/rules.md by hand, not computed from
``bot.permissions.PERMISSIONS``, so a wrong entry in the code cannot agree with
itself. Keys of a benefit assigned to a member are the one per-item exception;
the table-level answer for a member is "refused".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.domain.model import Forbidden, Role
from bot.domain.permissions import Action, allowed
from bot.runtime.container import Services
from storage.sqlite import SqliteStore
from tests.unit.conftest import ADMIN, MEMBER, MEMBER2, STRANGER, VS_ENT, VS_PRO, snapshot

MEMBER_ONLY = "member"
COLUMNS: tuple[str, ...] = (
    MEMBER_ONLY,
    Role.USER_ADMIN.value,
    Role.ADMIN_AGENT.value,
    Role.MPN_PARTNER_ADMIN.value,
    Role.GLOBAL_ADMIN.value,
)

Y, N = True, False

#                               member user_admin admin_agent mpn_partner_admin global_admin
MATRIX: dict[Action, tuple[bool, bool, bool, bool, bool]] = {
    Action.VIEW: (Y, Y, Y, Y, Y),
    Action.REQUEST: (Y, Y, Y, Y, Y),
    Action.DECIDE: (N, N, N, N, Y),
    Action.REVEAL_KEYS: (N, N, N, Y, Y),
    Action.ACTIVATE_TECHNICAL: (N, N, N, Y, Y),
    Action.MANAGE_GTM: (N, N, N, Y, Y),
    Action.CANCEL: (N, N, Y, Y, Y),
    Action.ADD_USER: (N, Y, N, N, Y),
    Action.MANAGE_ROLES: (N, N, N, N, Y),
    Action.READ_AUDIT: (N, N, N, Y, Y),
    Action.READ_DIGEST: (N, N, N, Y, Y),
    Action.SET_UP: (N, N, N, N, Y),
}


def roles_of_column(column: str) -> frozenset[Role]:
    return frozenset() if column == MEMBER_ONLY else frozenset({Role(column)})


CELLS = [
    pytest.param(action, column, expected, id=f"{action.value}-{column}")
    for action, row in MATRIX.items()
    for column, expected in zip(COLUMNS, row, strict=True)
]


def test_the_matrix_covers_every_action() -> None:
    assert set(MATRIX) == set(Action)


@pytest.mark.parametrize(("action", "column", "expected"), CELLS)
def test_each_cell_of_the_permission_matrix_is_enforced(
    action: Action, column: str, expected: bool
) -> None:
    assert allowed(action, roles_of_column(column)) is expected


@pytest.mark.parametrize("action", list(Action))
def test_holding_several_roles_allows_what_any_of_them_allows(action: Action) -> None:
    for first in COLUMNS[1:]:
        for second in COLUMNS[1:]:
            roles = roles_of_column(first) | roles_of_column(second)
            expected = allowed(action, roles_of_column(first)) or allowed(
                action, roles_of_column(second)
            )
            assert allowed(action, roles) is expected, (first, second)


# -- the service enforces the same table --------------------------------------------------

ACTOR = "UACTOR001"


async def _approve(services: Services) -> object:
    created = await services.requests.request_benefit(MEMBER, VS_ENT.id, "project")
    return await services.requests.approve(ACTOR, created.request.id)


async def _deny(services: Services) -> object:
    created = await services.requests.request_benefit(MEMBER, VS_ENT.id, "project")
    return await services.requests.deny(ACTOR, created.request.id, "not now")


async def _assign(services: Services) -> object:
    return await services.seats.assign(ACTOR, VS_PRO.id, MEMBER2)


async def _unassign(services: Services) -> object:
    await services.seats.assign(ADMIN, VS_PRO.id, MEMBER2)
    return await services.seats.unassign(ACTOR, VS_PRO.id, MEMBER2)


async def _grant(services: Services) -> object:
    await services.roles.grant(ACTOR, MEMBER2, Role.ADMIN_AGENT)
    return None


async def _revoke(services: Services) -> object:
    await services.roles.grant(ADMIN, MEMBER2, Role.ADMIN_AGENT)
    await services.roles.revoke(ACTOR, MEMBER2, Role.ADMIN_AGENT)
    return None


async def _roles(services: Services) -> object:
    return await services.roles.roles(ACTOR)


async def _add_user(services: Services) -> object:
    return await services.roles.add_user(ACTOR, STRANGER)


SERVICE_USES: dict[str, tuple[Action, Callable[[Services], Awaitable[object]]]] = {
    "approve": (Action.DECIDE, _approve),
    "deny": (Action.DECIDE, _deny),
    "assign": (Action.DECIDE, _assign),
    "unassign": (Action.DECIDE, _unassign),
    "grant": (Action.MANAGE_ROLES, _grant),
    "revoke": (Action.MANAGE_ROLES, _revoke),
    "roles": (Action.MANAGE_ROLES, _roles),
    "add_user": (Action.ADD_USER, _add_user),
}

SERVICE_CELLS = [
    pytest.param(
        use,
        column,
        MATRIX[action][COLUMNS.index(column)],
        id=f"{use}-{column}",
    )
    for use, (action, _) in SERVICE_USES.items()
    for column in COLUMNS
]


@pytest.mark.parametrize(("use", "column", "expected"), SERVICE_CELLS)
async def test_the_service_enforces_the_matrix_for_each_role(
    services: Services, store: SqliteStore, use: str, column: str, expected: bool
) -> None:
    for role in roles_of_column(column):
        await services.roles.grant(ADMIN, ACTOR, role)
    _, act = SERVICE_USES[use]
    before = await snapshot(store)

    if expected:
        await act(services)
        assert await snapshot(store) != before or use == "roles"
    else:
        with pytest.raises(Forbidden) as caught:
            await act(services)
        needed = [c for c, ok in zip(COLUMNS, MATRIX[SERVICE_USES[use][0]], strict=True) if ok]
        assert sorted(caught.value.params["roles"].split(" or ")) == sorted(needed)
        assert ADMIN in caught.value.params["holder_users"]
