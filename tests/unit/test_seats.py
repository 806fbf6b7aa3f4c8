"""Assigning and unassigning seats directly.

Each test builds its state through the services (and, for the inventory and
the membership, the repository API) and checks what a person, the directory or
the audit log would see (docs/rules.md).
"""

from __future__ import annotations

import pytest

from bot.domain.model import (
    Conflict,
    Forbidden,
    NotFound,
    Role,
)
from bot.runtime.container import Services
from storage.sqlite import SqliteStore
from tests.unit.conftest import (
    ADMIN,
    ADMIN2,
    M365,
    MEMBER,
    MEMBER2,
    MEMBER3,
    STRANGER,
    SUPPORT,
    VS_ENT,
    VS_PRO,
    audit_log,
    rendered,
    snapshot,
)
from tests.unit.helpers import (
    ROLE_ACTOR,
    holders,
    seats_used,
)

# -- assign and unassign ----------------------------------------------------------------


async def test_unassigning_frees_the_seat_for_someone_else(
    services: Services, store: SqliteStore
) -> None:
    assert VS_ENT.seats == 2
    await services.seats.assign(ADMIN, VS_ENT.id, MEMBER)
    full = await services.seats.assign(ADMIN, VS_ENT.id, MEMBER2)
    assert full.seats_left == 0
    with pytest.raises(Conflict):
        await services.seats.assign(ADMIN, VS_ENT.id, MEMBER3)

    freed = await services.seats.unassign(ADMIN, VS_ENT.id, MEMBER)

    assert freed.seats_left == 1
    assert freed.assignment.user_id == MEMBER
    assert await holders(store, VS_ENT.id) == [MEMBER2]
    last = (await audit_log(store))[-1]
    assert (last.action, last.actor, last.subject) == (
        "assignment.release",
        ADMIN,
        f"user:{MEMBER}",
    )
    await services.seats.assign(ADMIN, VS_ENT.id, MEMBER3)
    assert sorted(u or "" for u in await holders(store, VS_ENT.id)) == sorted([MEMBER2, MEMBER3])


async def test_unassigning_someone_who_holds_no_seat_is_not_found(
    services: Services, store: SqliteStore
) -> None:
    await services.seats.assign(ADMIN, VS_ENT.id, MEMBER)
    before = await snapshot(store)

    with pytest.raises(NotFound) as caught:
        await services.seats.unassign(ADMIN, VS_ENT.id, MEMBER2)

    assert caught.value.params["holder_user"] == MEMBER2
    assert await snapshot(store) == before


async def test_assigning_to_someone_not_in_the_directory_says_to_add_them_first(
    services: Services, store: SqliteStore
) -> None:
    before = await snapshot(store)

    with pytest.raises(NotFound) as caught:
        await services.seats.assign(ADMIN, VS_ENT.id, STRANGER)

    assert caught.value.params["unknown_user"] == STRANGER
    text = rendered(caught.value)
    assert "adduser" in text
    assert f"<@{STRANGER}>" in text
    assert await snapshot(store) == before


async def test_assigning_a_seat_someone_already_holds_is_a_conflict(
    services: Services, store: SqliteStore
) -> None:
    await services.seats.assign(ADMIN, VS_PRO.id, MEMBER)
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await services.seats.assign(ADMIN, VS_PRO.id, MEMBER)

    assert caught.value.params["holder_user"] == MEMBER
    assert await snapshot(store) == before


async def test_a_benefit_without_a_seat_limit_can_be_assigned_to_everyone(
    services: Services, store: SqliteStore
) -> None:
    for user in (MEMBER, MEMBER2, MEMBER3):
        change = await services.seats.assign(ADMIN, SUPPORT.id, user)
        assert change.seats_left is None

    assert await seats_used(store, SUPPORT.id) == 3


@pytest.mark.parametrize("role", [None, Role.ADMIN_AGENT, Role.MPN_PARTNER_ADMIN], ids=str)
async def test_adding_a_user_is_refused_without_user_admin_or_global_admin(
    services: Services, store: SqliteStore, role: Role | None
) -> None:
    if role is not None:
        await services.roles.grant(ADMIN, ROLE_ACTOR, role)
    before = await snapshot(store)

    with pytest.raises(Forbidden) as caught:
        await services.roles.add_user(ROLE_ACTOR, STRANGER)

    assert Role.USER_ADMIN.value in caught.value.params["roles"]
    assert Role.GLOBAL_ADMIN.value in caught.value.params["roles"]
    assert await snapshot(store) == before


@pytest.mark.parametrize("role", [Role.USER_ADMIN, Role.GLOBAL_ADMIN])
async def test_a_user_admin_or_global_admin_adds_a_user_who_can_then_be_assigned(
    services: Services, store: SqliteStore, role: Role
) -> None:
    await services.roles.grant(ADMIN, ROLE_ACTOR, role)

    assert await services.roles.add_user(ROLE_ACTOR, STRANGER, name="Sam", email="sam@example.com")
    audit_length = len(await audit_log(store))
    assert not await services.roles.add_user(ROLE_ACTOR, STRANGER)
    assert len(await audit_log(store)) == audit_length

    last = (await audit_log(store))[-1]
    assert (last.action, last.actor, last.subject) == ("user.add", ROLE_ACTOR, f"user:{STRANGER}")
    change = await services.seats.assign(ADMIN, VS_ENT.id, STRANGER)
    assert change.assignment.user_id == STRANGER


# -- nobody assigns themselves a seat (docs/rules.md#nobody-assigns-themselves-a-seat) ----


async def test_a_global_admin_cannot_assign_themselves_a_seat_while_another_can_and_is_named(
    services: Services, store: SqliteStore
) -> None:
    await services.roles.grant(ADMIN, ADMIN2, Role.GLOBAL_ADMIN)
    await services.requests.request_benefit(ADMIN, M365.id, "for my laptop")
    before = await snapshot(store)

    with pytest.raises(Forbidden) as caught:
        await services.seats.assign(ADMIN, M365.id, ADMIN)

    assert caught.value.params["admin_users"] == (ADMIN2,)
    text = rendered(caught.value)
    assert "yourself" in text
    assert f"<@{ADMIN2}>" in text
    assert await snapshot(store) == before


async def test_a_global_admin_cannot_reassign_a_seat_to_themselves_while_another_can(
    services: Services, store: SqliteStore
) -> None:
    await services.roles.grant(ADMIN, ADMIN2, Role.GLOBAL_ADMIN)
    await services.seats.assign(ADMIN, M365.id, MEMBER)
    before = await snapshot(store)

    with pytest.raises(Forbidden) as caught:
        await services.seats.reassign(ADMIN, M365.id, MEMBER, ADMIN)

    assert caught.value.params["admin_users"] == (ADMIN2,)
    assert await snapshot(store) == before
    assert await holders(store, M365.id) == [MEMBER]


async def test_the_only_global_admin_may_assign_themselves_and_it_is_flagged_in_the_audit_log(
    services: Services, store: SqliteStore
) -> None:
    await services.roles.grant(ADMIN, MEMBER2, Role.MPN_PARTNER_ADMIN)

    change = await services.seats.assign(ADMIN, M365.id, ADMIN)

    assert await holders(store, M365.id) == [ADMIN]
    assert change.self_assigned
    assert change.admins == (MEMBER2,)  # who is told, besides the admin channel
    entries = [(e.action, e.actor, e.subject) for e in (await audit_log(store))[-2:]]
    assert entries == [
        ("assignment.create", ADMIN, f"user:{ADMIN}"),
        ("assignment.self", ADMIN, f"user:{ADMIN}"),
    ]
    assert "only Global admin" in (await audit_log(store))[-1].detail


async def test_the_only_global_admin_may_reassign_to_themselves_and_it_is_flagged(
    services: Services, store: SqliteStore
) -> None:
    await services.seats.assign(ADMIN, M365.id, MEMBER)

    moved = await services.seats.reassign(ADMIN, M365.id, MEMBER, ADMIN)

    assert moved.self_assigned
    assert await holders(store, M365.id) == [ADMIN]
    last = (await audit_log(store))[-1]
    assert (last.action, last.subject) == ("assignment.self", f"user:{ADMIN}")
    assert M365.id in last.detail


async def test_assigning_someone_else_is_not_flagged(
    services: Services, store: SqliteStore
) -> None:
    change = await services.seats.assign(ADMIN, M365.id, MEMBER)

    assert not change.self_assigned
    assert "assignment.self" not in [e.action for e in await audit_log(store)]
