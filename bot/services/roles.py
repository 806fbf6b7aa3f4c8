"""Roles and the directory: who holds which Partner Center role, and who the bot knows.

Roles (grant/revoke) and the directory (adduser) are the bot's own records,
not Partner Center's, so they stay changeable while the membership is managed
in the Partner Membership Center: nothing here calls ``ensure_changeable``.
The operator bootstraps the first Global admin from the shell.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.domain.clock import Clock
from bot.domain.limits import OPERATOR
from bot.domain.model import Conflict, DirectoryUser, Role
from bot.domain.permissions import Action
from bot.services.core import audit, ensure_in_directory, require
from storage.unit_of_work import Store, UnitOfWork


class RoleService:
    """Granting and revoking roles, listing them, and adding people to the directory."""

    def __init__(self, store: Store, *, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def roles_of(self, user_id: str) -> frozenset[Role]:
        async with self._store.read() as uow:
            return await uow.people.roles_of(user_id)

    async def grant(self, actor: str, user_id: str, role: Role) -> None:
        async with self._store.write() as uow:
            await require(uow, actor, Action.MANAGE_ROLES)
            await self._grant(uow, actor, user_id, role)

    async def revoke(self, actor: str, user_id: str, role: Role) -> None:
        async with self._store.write() as uow:
            await require(uow, actor, Action.MANAGE_ROLES)
            await self._revoke(uow, actor, user_id, role)

    async def bootstrap_grant(self, user_id: str, role: Role, *, operator: str = OPERATOR) -> bool:
        """Grant a role from the shell (no Slack actor); False when already held."""
        async with self._store.write() as uow:
            return await self._grant(uow, operator, user_id, role, quiet=True)

    async def grant_first_admin(
        self,
        user_id: str,
        *,
        operator: str,
        then: Callable[[UnitOfWork], Awaitable[None]] | None = None,
    ) -> bool:
        """Make ``user_id`` the first Global admin, audited as ``operator``; False (nothing
        changed) when the bot has a Global admin already. ``then`` runs in the same
        transaction once the role is granted (the installer's welcome is queued there)."""
        async with self._store.write() as uow:
            if await uow.people.role_holders(Role.GLOBAL_ADMIN):
                return False
            granted = await self._grant(uow, operator, user_id, Role.GLOBAL_ADMIN, quiet=True)
            if granted and then is not None:
                await then(uow)
            return granted

    async def bootstrap_revoke(self, user_id: str, role: Role, *, operator: str = OPERATOR) -> bool:
        async with self._store.write() as uow:
            return await self._revoke(uow, operator, user_id, role, quiet=True)

    async def _grant(
        self, uow: UnitOfWork, actor: str, user_id: str, role: Role, *, quiet: bool = False
    ) -> bool:
        now = self._clock.now()
        if not await uow.people.grant_role(user_id, role, at=now):
            if quiet:
                return False
            raise Conflict(
                "{holder_user} already holds the {role} role.", holder_user=user_id, role=role.value
            )
        await ensure_in_directory(uow, user_id)
        await audit(uow, now, actor, "role.grant", f"user:{user_id}", role.value)
        return True

    async def _revoke(
        self, uow: UnitOfWork, actor: str, user_id: str, role: Role, *, quiet: bool = False
    ) -> bool:
        if role is Role.GLOBAL_ADMIN and await uow.people.role_holders(Role.GLOBAL_ADMIN) == [
            user_id
        ]:
            raise Conflict(
                "{holder_user} is the last Global admin; grant the role to someone else first.",
                holder_user=user_id,
            )
        if not await uow.people.revoke_role(user_id, role):
            if quiet:
                return False
            raise Conflict(
                "{holder_user} does not hold the {role} role.", holder_user=user_id, role=role.value
            )
        await audit(uow, self._clock.now(), actor, "role.revoke", f"user:{user_id}", role.value)
        return True

    async def roles(self, actor: str) -> list[tuple[str, Role]]:
        async with self._store.read() as uow:
            await require(uow, actor, Action.MANAGE_ROLES)
            return await uow.people.all_roles()

    async def global_admins(self) -> list[str]:
        async with self._store.read() as uow:
            return await uow.people.role_holders(Role.GLOBAL_ADMIN)

    async def add_user(self, actor: str, user_id: str, *, name: str = "", email: str = "") -> bool:
        """Add a person to the bot's directory; False when already there."""
        async with self._store.write() as uow:
            await require(uow, actor, Action.ADD_USER)
            if await uow.people.get_user(user_id) is not None:
                return False
            await uow.people.put_user(DirectoryUser(user_id=user_id, name=name, email=email))
            await audit(uow, self._clock.now(), actor, "user.add", f"user:{user_id}")
        return True

    async def directory_email(self, user_id: str) -> str:
        """The email the directory knows for ``user_id`` (empty when none)."""
        async with self._store.read() as uow:
            user = await uow.people.get_user(user_id)
        return user.email if user else ""
