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

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from bot.domain.events import (
    EVENT_TYPES,
    ActivationCompleted,
    ActivationRequested,
    AdvisoryRequested,
    CancellationRequested,
    Event,
    HoldingsChanged,
    RequestCreated,
    RequestDecided,
    RequestWithdrawn,
    SeatSelfAssigned,
)
from bot.domain.limits import MATCHES_SHOWN, MAX_NAME_WORDS, MAX_QUERY
from bot.domain.model import (
    AuditEntry,
    Benefit,
    Conflict,
    Forbidden,
    Membership,
    NoMatch,
    NotFound,
    Role,
)
from bot.domain.names import BenefitNames
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
    RequestWithdrawn,
    HoldingsChanged,
    CancellationRequested,
    AdvisoryRequested,
    SeatSelfAssigned,
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


_CLOSEST_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="closest-benefits")
"""Where suggestions for an unknown name are scored: one thread, so that many at once
queue there instead of taking turns with the event loop for the interpreter."""
INLINE_KEYS = 4096
"""Up to this many ids and names, suggestions are scored on the loop (under a millisecond)."""


def _hand_over() -> None:
    time.sleep(0)  # releases the interpreter, so the event loop's thread may run


async def closest_benefits(
    uow: UnitOfWork, names: BenefitNames, texts: Sequence[str]
) -> list[tuple[Benefit, int]]:
    """The benefits closest to one of ``texts``, best first, each with that text's index.

    Scored once over the whole index; a big inventory is scored on a thread of
    its own, in chunks that hand the interpreter back in between, so the event
    loop keeps answering everyone else meanwhile.
    """
    if len(names) * 2 <= INLINE_KEYS:
        found = names.closest(texts, limit=MATCHES_SHOWN)
    else:
        score = partial(names.closest, texts, limit=MATCHES_SHOWN, between_chunks=_hand_over)
        found = await asyncio.get_running_loop().run_in_executor(_CLOSEST_THREAD, score)
    benefits = {b.id: b for b in await uow.benefits.get_many([i for i, _ in found])}
    return [(benefits[i], text) for i, text in found if i in benefits]


async def _matched(uow: UnitOfWork, names: BenefitNames, text: str) -> Benefit | NoMatch:
    """The one benefit ``text`` names, or the refusal listing those it could mean
    (no candidates when it starts no id or name: the caller computes the closest)."""
    match = names.match(text, limit=MATCHES_SHOWN)
    if match.found is not None:
        benefit = await uow.benefits.get(match.found)
        if benefit is not None:
            return benefit
    return NoMatch(
        "`{query}` matches several benefits. Which one did you mean?",
        query=text,
        candidates=await uow.benefits.get_many(match.several[:MATCHES_SHOWN]),
    )


async def find_benefit(uow: UnitOfWork, query: str) -> Benefit:
    """A benefit by id, by exact name or by an unambiguous start of its name.

    One lookup in the inventory's name index; only when nothing matches are
    the closest benefits computed, once.

    Raises:
        NoMatch: The text names several benefits, or none; with the closest.
    """
    text = clean_benefit_query(query)
    names = await uow.benefits.names()
    found = await _matched(uow, names, text)
    if isinstance(found, Benefit):
        return found
    if found.candidates:
        raise found
    close = await closest_benefits(uow, names, [text])
    raise NoMatch("No benefit matches `{query}`.", query=text, candidates=[b for b, _ in close])


async def find_leading_benefit(uow: UnitOfWork, text: str) -> tuple[Benefit, str]:
    """The benefit named by the longest leading words of ``text``, and the rest.

    Up to :data:`~bot.domain.limits.MAX_NAME_WORDS` words are tried, longest
    first, one index lookup each; leading words longer than a benefit query
    may be (a reason with a long link) are skipped, not refused. When no
    leading words name a benefit, those naming several are offered, else the
    closest benefits to any of them, computed once.

    Raises:
        InvalidInput: ``text`` is empty, or its first word alone is too long.
        NoMatch: No leading words name exactly one benefit.
    """
    words = list(re.finditer(r"\S+", text))
    if not words:
        clean_benefit_query(text)  # raises: name a benefit
    tried: list[str] = []
    ambiguous: NoMatch | None = None
    names = await uow.benefits.names()
    for n in range(min(len(words), MAX_NAME_WORDS), 0, -1):
        query = " ".join(w.group() for w in words[:n])
        if len(query) > MAX_QUERY:
            continue
        tried.append(query)
        found = await _matched(uow, names, query)
        if isinstance(found, Benefit):
            return found, text[words[n - 1].end() :].strip()
        if ambiguous is None and found.candidates:
            ambiguous = found
    if ambiguous is not None:
        raise ambiguous
    if not tried:
        clean_benefit_query(words[0].group())  # raises: too long
    close = await closest_benefits(uow, names, tried)
    query = tried[close[0][1]] if close else tried[0]
    raise NoMatch("No benefit matches `{query}`.", query=query, candidates=[b for b, _ in close])


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
    await uow.people.add_user(user_id)


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
