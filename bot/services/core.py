"""What every service shares: events and their sinks, finding a benefit, the
permission check, the Partner Membership Center guard and the audit log.

These are plain functions over the repository of the caller's unit of work,
so each area's service (one class per area, see the package docstring) stays a
list of use cases. Events go through an :class:`EventBus`: the composition
root (:mod:`bot.runtime.bootstrap`) says which sink handles which event type,
and a sink runs inside the unit of work that raised the event, so an outbox it
writes commits or rolls back with the change itself.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from bot.domain.events import (
    EVENT_TYPES,
    ActivationCompleted,
    ActivationRequested,
    AdvisoryRequested,
    CancellationRequested,
    Event,
    RequestCreated,
    RequestDecided,
)
from bot.domain.limits import MATCHES_SHOWN
from bot.domain.model import (
    AuditEntry,
    Benefit,
    Conflict,
    DirectoryUser,
    Forbidden,
    Membership,
    NoMatch,
    NotFound,
    Role,
)
from bot.domain.permissions import Action, allowed, roles_for
from bot.domain.validation import clean_benefit_query
from storage.unit_of_work import UnitOfWork

EventSink = Callable[[UnitOfWork, Event], Awaitable[None]]
"""Handles any event, with the repository of the unit of work that raised it."""

E = TypeVar(
    "E",
    ActivationRequested,
    ActivationCompleted,
    RequestCreated,
    RequestDecided,
    CancellationRequested,
    AdvisoryRequested,
)


class EventBus:
    """Which sinks handle which event type; :meth:`emit` hands an event to them in order."""

    def __init__(self) -> None:
        self._sinks: dict[type[Event], list[Callable[[UnitOfWork, Any], Awaitable[None]]]] = {
            kind: [] for kind in EVENT_TYPES
        }

    @classmethod
    def to_all(cls, sinks: Iterable[EventSink]) -> EventBus:
        """A bus handing every event type to each of ``sinks``."""
        bus = cls()
        for sink in sinks:
            bus.subscribe_all(sink)
        return bus

    def subscribe(
        self, event_type: type[E], sink: Callable[[UnitOfWork, E], Awaitable[None]]
    ) -> None:
        """Hand every later event of ``event_type`` to ``sink`` (in the transaction that raised it)."""
        self._sinks[event_type].append(sink)

    def subscribe_all(self, sink: EventSink) -> None:
        """Hand every later event, of any type, to ``sink``."""
        for kind in EVENT_TYPES:
            self._sinks[kind].append(sink)

    def sinks(self, event_type: type[Event]) -> list[Callable[[UnitOfWork, Any], Awaitable[None]]]:
        """The sinks of ``event_type``, in the order they run."""
        return list(self._sinks[event_type])

    async def emit(self, uow: UnitOfWork, event: Event) -> None:
        for sink in self._sinks[type(event)]:
            await sink(uow, event)


async def find_benefit(uow: UnitOfWork, query: str) -> Benefit:
    """A benefit by id, by exact name or by an unambiguous start of its name.

    Raises:
        NoMatch: The text names several benefits, or none; with the closest.
    """
    text = clean_benefit_query(query)
    exact = await uow.benefits.get(text.casefold())
    if exact is not None:
        return exact
    named = await uow.benefits.named(text)
    if len(named) == 1:
        return named[0]
    starts = await uow.benefits.by_name_prefix(text, limit=MATCHES_SHOWN + 1)
    if len(starts) == 1:
        return starts[0]
    if starts:
        raise NoMatch(
            "`{query}` matches several benefits. Which one did you mean?",
            query=text,
            candidates=starts[:MATCHES_SHOWN],
        )
    everything = await uow.benefits.all()
    by_key: dict[str, Benefit] = {}
    for b in everything:
        by_key[b.id] = b
        by_key[b.name.casefold()] = b
    close = difflib.get_close_matches(text.casefold(), list(by_key), n=MATCHES_SHOWN, cutoff=0.5)
    candidates = list(dict.fromkeys(by_key[k] for k in close))
    raise NoMatch(
        "No benefit matches `{query}`.",
        query=text,
        candidates=candidates,
    )


async def holders_of(uow: UnitOfWork, action: Action) -> list[str]:
    """Everyone holding a role that may perform ``action``, each once."""
    holders: list[str] = []
    for role in roles_for(action):
        holders.extend(u for u in await uow.people.role_holders(role) if u not in holders)
    return holders


async def require(uow: UnitOfWork, actor: str, action: Action) -> frozenset[Role]:
    """``actor``'s roles, when they allow ``action``; else who to ask (docs/rules.md)."""
    roles = await uow.people.roles_of(actor)
    if allowed(action, roles):
        return roles
    needed = roles_for(action)
    holders = await holders_of(uow, action)
    role_names = " or ".join(role.value for role in needed)
    if holders:
        raise Forbidden(
            "This needs the {roles} role. Ask someone who has it: {holder_users}.",
            roles=role_names,
            holder_users=tuple(holders),
        )
    raise Forbidden(
        "This needs the {roles} role, and nobody holds it yet. The operator can grant it "
        "with `benefits-bot grant USER_ID global_admin`.",
        roles=role_names,
    )


async def require_known_user(uow: UnitOfWork, user_id: str) -> None:
    if await uow.people.get_user(user_id) is None:
        raise NotFound(
            "{unknown_user} is not in the bot's directory yet. A User management admin or "
            "Global admin must add them first with `/benefits adduser @user`.",
            unknown_user=user_id,
        )


async def ensure_in_directory(uow: UnitOfWork, user_id: str) -> None:
    """Add ``user_id`` to the directory (with no name or email) unless it is there."""
    if await uow.people.get_user(user_id) is None:
        await uow.people.put_user(DirectoryUser(user_id=user_id))


async def ensure_changeable(uow: UnitOfWork) -> None:
    """Refuse while the membership is managed in the Partner Membership Center.

    Roles and the directory are the bot's own records, not Partner Center's,
    so they stay changeable then; everything that changes a benefit is guarded.
    """
    membership = await uow.membership.get()
    if membership is not None and membership.managed_in_pmc:
        raise Forbidden(
            "The membership is still managed in the Partner Membership Center (PMC): make "
            "this change there (technical benefits through Partner Frontline). The bot "
            "changed nothing."
        )


async def audit(
    uow: UnitOfWork, at: datetime, actor: str, action: str, subject: str, detail: str = ""
) -> None:
    """Add one entry to the audit log, in the caller's unit of work."""
    await uow.audit.add(
        AuditEntry(at=at, actor=actor, action=action, subject=subject, detail=detail)
    )


def seats_left(benefit: Benefit, used: int) -> int | None:
    """Free seats of ``benefit`` with ``used`` taken; None when seats are unlimited."""
    return None if benefit.seats is None else max(benefit.seats - used, 0)


async def membership_required(uow: UnitOfWork) -> Membership:
    """The membership; refused while no inventory has been imported."""
    membership = await uow.membership.get()
    if membership is None:
        raise Conflict(
            "The membership is not loaded yet. The operator loads it with "
            "`benefits-bot import inventory.yaml`."
        )
    return membership
