"""Usage-based cloud credits (Azure credits) that a member activates for themselves.

The member becomes the credit's user, or, when the inventory says the credit
needs approval, a request is filed for a Global admin. The credit is tied to
the member's email, which must not be on a free mail domain (docs/rules.md;
the checks are :mod:`bot.services.credits`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.domain import events
from bot.domain.clock import Clock
from bot.domain.cloud import normalized_email
from bot.domain.limits import MAX_EMAIL
from bot.domain.model import (
    Assignment,
    Benefit,
    Category,
    Conflict,
    DirectoryUser,
    InvalidInput,
)
from bot.services.core import EventBus, audit, ensure_changeable, find_benefit, seats_left
from bot.services.credits import check_cloud_credit
from bot.services.requests import RequestCreated, RequestService
from storage.unit_of_work import Store, UnitOfWork


@dataclass(frozen=True, slots=True)
class CloudActivation:
    """A usage-based cloud credit activated by its user, or a request for it filed.

    ``assignment`` is set when the credit is now the caller's; ``request`` when
    the inventory says a Global admin approves it first.
    """

    benefit: Benefit
    email: str
    assignment: Assignment | None = None
    request: RequestCreated | None = None
    seats_left: int | None = None


class CloudService:
    """A member activates a usage-based cloud credit for themselves."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock,
        requests: RequestService,
        events: EventBus | None = None,
    ) -> None:
        self._events = events or EventBus()
        self._store = store
        self._clock = clock
        self._requests = requests

    async def activate_cloud(
        self, actor: str, query: str, *, email: str | None = None
    ) -> CloudActivation:
        """The caller assigns a usage-based cloud credit (an Azure credit) to themselves.

        When the inventory says the credit needs approval, a request for a
        Global admin is filed instead. One active usage-based credit per person;
        a monthly credit is reassigned at most 5 times; the credit never goes to
        an address on a free mail domain.

        Args:
            actor: The member, who becomes the credit's user.
            query: The benefit's id or the start of its name.
            email: The caller's email from their Slack profile, used (and kept
                in the directory) when the directory knows none.
        """
        now = self._clock.now()
        async with self._store.write() as uow:
            await ensure_changeable(uow)
            benefit = await find_benefit(uow, query)
            if benefit.category is not Category.CLOUD or not benefit.usage_based:
                raise InvalidInput(
                    "*{benefit}* is not a usage-based cloud credit, so it can't be activated "
                    "by assigning yourself. Ask for it with `/benefits request {id}`.",
                    benefit=benefit.name,
                    id=benefit.id,
                )
            address = await self._caller_email(uow, actor, email)
            held = await uow.assignments.find_active(benefit.id, actor)
            if held is not None:
                raise Conflict(
                    "You already hold *{benefit}* (since {since}). Manage it in the Azure portal.",
                    benefit=benefit.name,
                    since=held.assigned_at.date().isoformat(),
                )
            await check_cloud_credit(uow, benefit, actor, address)
            if benefit.needs_approval:
                created = await self._requests.file(
                    uow, actor, benefit, "Activation of the credit for " + address
                )
                await audit(uow, now, actor, "cloud.activate_request", f"user:{actor}", benefit.id)
                return CloudActivation(
                    benefit, address, request=created, seats_left=created.seats_left
                )
            used = await uow.assignments.count_active(benefit.id)
            if benefit.seats is not None and used >= benefit.seats:
                raise Conflict(
                    "No credit of *{benefit}* is left ({used} of {seats} in use).",
                    benefit=benefit.name,
                    used=used,
                    seats=benefit.seats,
                )
            assignment = await uow.assignments.add(
                benefit_id=benefit.id,
                user_id=actor,
                assigned_at=now,
                assigned_by=actor,
                holder_email=address,
            )
            await audit(uow, now, actor, "cloud.activate", f"user:{actor}", benefit.id)
            await self._events.emit(uow, events.HoldingsChanged(benefit.id, (actor,), now))
        return CloudActivation(
            benefit, address, assignment=assignment, seats_left=seats_left(benefit, used + 1)
        )

    async def _caller_email(self, uow: UnitOfWork, actor: str, email: str | None) -> str:
        """The caller's email: the directory's, else ``email`` (then stored there)."""
        user = await uow.people.get_user(actor)
        if user is not None and user.email:
            return user.email
        if not email or not email.strip():
            raise InvalidInput(
                "I don't know your email address: it is neither in the bot's directory nor in "
                "your Slack profile, and an Azure credit is tied to one. Add it to your Slack "
                "profile, or ask a User management admin, then try again."
            )
        address = normalized_email(email)
        if address is None:
            raise InvalidInput(
                "`{email}` is not a valid email address, so no Azure credit can be tied to it.",
                email=email.strip()[:MAX_EMAIL],
            )
        await uow.people.put_user(
            replace(user, email=address)
            if user is not None
            else DirectoryUser(user_id=actor, email=address)
        )
        await audit(
            uow, self._clock.now(), actor, "user.email", f"user:{actor}", "from the Slack profile"
        )
        return address
