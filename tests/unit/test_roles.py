"""Granting and revoking roles, and the directory.

Each test builds its state through the services (and, for the inventory and
the membership, the repository API) and checks what a person, the directory or
the audit log would see (docs/rules.md).
"""

from __future__ import annotations

import pytest

from bot.domain.model import (
    Conflict,
    Forbidden,
    Role,
)
from bot.runtime.container import Services
from storage.sqlite import SqliteStore
from tests.unit.conftest import (
    ADMIN,
    ADMIN2,
    MEMBER,
    MEMBER2,
    audit_log,
    snapshot,
)
from tests.unit.helpers import ROLE_ACTOR

# -- roles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [None, Role.USER_ADMIN, Role.ADMIN_AGENT, Role.MPN_PARTNER_ADMIN], ids=str
)
async def test_granting_or_revoking_a_role_needs_global_admin(
    services: Services, store: SqliteStore, role: Role | None
) -> None:
    if role is not None:
        await services.roles.grant(ADMIN, ROLE_ACTOR, role)
    await services.roles.grant(ADMIN, MEMBER2, Role.ADMIN_AGENT)
    before = await snapshot(store)

    with pytest.raises(Forbidden):
        await services.roles.grant(ROLE_ACTOR, MEMBER, Role.MPN_PARTNER_ADMIN)
    with pytest.raises(Forbidden):
        await services.roles.grant(ROLE_ACTOR, ROLE_ACTOR, Role.GLOBAL_ADMIN)
    with pytest.raises(Forbidden):
        await services.roles.revoke(ROLE_ACTOR, MEMBER2, Role.ADMIN_AGENT)

    assert await snapshot(store) == before


async def test_granting_a_role_twice_is_a_conflict(services: Services, store: SqliteStore) -> None:
    await services.roles.grant(ADMIN, MEMBER, Role.MPN_PARTNER_ADMIN)
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await services.roles.grant(ADMIN, MEMBER, Role.MPN_PARTNER_ADMIN)

    assert caught.value.params == {"holder_user": MEMBER, "role": Role.MPN_PARTNER_ADMIN.value}
    assert await snapshot(store) == before


async def test_revoking_a_role_someone_does_not_hold_is_a_conflict(
    services: Services, store: SqliteStore
) -> None:
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await services.roles.revoke(ADMIN, MEMBER, Role.USER_ADMIN)

    assert caught.value.params["holder_user"] == MEMBER
    assert await snapshot(store) == before


async def test_the_last_global_admin_cannot_be_revoked(
    services: Services, store: SqliteStore
) -> None:
    before = await snapshot(store)

    with pytest.raises(Conflict) as by_themselves:
        await services.roles.revoke(ADMIN, ADMIN, Role.GLOBAL_ADMIN)
    with pytest.raises(Conflict) as by_the_operator:
        await services.roles.bootstrap_revoke(ADMIN, Role.GLOBAL_ADMIN)

    for caught in (by_themselves, by_the_operator):
        assert caught.value.params["holder_user"] == ADMIN
    assert await snapshot(store) == before
    assert await services.roles.global_admins() == [ADMIN]


async def test_a_global_admin_can_be_revoked_once_another_exists(
    services: Services,
) -> None:
    await services.roles.grant(ADMIN, ADMIN2, Role.GLOBAL_ADMIN)

    await services.roles.revoke(ADMIN2, ADMIN, Role.GLOBAL_ADMIN)

    assert await services.roles.global_admins() == [ADMIN2]
    assert await services.roles.roles_of(ADMIN) == frozenset()
    with pytest.raises(Conflict):
        await services.roles.revoke(ADMIN2, ADMIN2, Role.GLOBAL_ADMIN)


async def test_bootstrap_grant_needs_no_actor_and_is_idempotent(
    bare_services: Services, store: SqliteStore
) -> None:
    assert await bare_services.roles.bootstrap_grant(ADMIN, Role.GLOBAL_ADMIN) is True
    after_first = await snapshot(store)

    assert await bare_services.roles.bootstrap_grant(ADMIN, Role.GLOBAL_ADMIN) is False

    assert await snapshot(store) == after_first
    assert await bare_services.roles.roles_of(ADMIN) == frozenset({Role.GLOBAL_ADMIN})
    entries = await audit_log(store)
    assert [(e.action, e.actor, e.subject, e.detail) for e in entries] == [
        ("role.grant", "operator", f"user:{ADMIN}", Role.GLOBAL_ADMIN.value)
    ]
    async with store.read() as uow:
        assert await uow.people.get_user(ADMIN) is not None


async def test_every_role_change_is_audited_with_who_and_what(
    services: Services, store: SqliteStore
) -> None:
    before = len(await audit_log(store))

    await services.roles.grant(ADMIN, MEMBER, Role.USER_ADMIN)
    await services.roles.grant(ADMIN, MEMBER, Role.MPN_PARTNER_ADMIN)
    await services.roles.revoke(ADMIN, MEMBER, Role.USER_ADMIN)
    await services.roles.bootstrap_grant(ADMIN2, Role.GLOBAL_ADMIN, operator="ops-team")
    await services.roles.bootstrap_revoke(MEMBER, Role.MPN_PARTNER_ADMIN)

    entries = (await audit_log(store))[before:]
    assert [(e.action, e.actor, e.subject, e.detail) for e in entries] == [
        ("role.grant", ADMIN, f"user:{MEMBER}", "user_admin"),
        ("role.grant", ADMIN, f"user:{MEMBER}", "mpn_partner_admin"),
        ("role.revoke", ADMIN, f"user:{MEMBER}", "user_admin"),
        ("role.grant", "ops-team", f"user:{ADMIN2}", "global_admin"),
        ("role.revoke", "operator", f"user:{MEMBER}", "mpn_partner_admin"),
    ]
    assert await services.roles.roles_of(MEMBER) == frozenset()


async def test_the_roles_list_shows_every_grant_to_a_global_admin_only(
    services: Services,
) -> None:
    await services.roles.grant(ADMIN, MEMBER, Role.USER_ADMIN)
    await services.roles.grant(ADMIN, MEMBER2, Role.ADMIN_AGENT)

    pairs = await services.roles.roles(ADMIN)

    assert sorted(pairs) == sorted(
        [(ADMIN, Role.GLOBAL_ADMIN), (MEMBER, Role.USER_ADMIN), (MEMBER2, Role.ADMIN_AGENT)]
    )
    with pytest.raises(Forbidden):
        await services.roles.roles(MEMBER)
