"""What one run sends: its sizes, the kinds of request, the inventory and the bodies.

A *kind* is one thing a user does, measured on its own:

===============  ==========================================================
``list``         ``/benefits list``: the first page of the whole inventory,
                 the same listing again and again (served from the page
                 cache after the first)
``list-cat``     ``/benefits list software|cloud|vs`` in turn: first pages
                 by category, repeated
``page``         a click on Next of a list (later pages, all and by
                 category in turn, repeated); the page arrives through the
                 response URL, and that arrival is timed as a follow-up
``*-cold``       the same, each request right after another connection
                 committed a write (so no page cache can answer it)
``mine``         ``/benefits mine`` of users who hold a seat
``request``      ``/benefits request <benefit name> <reason>`` from people
                 who never asked before; the approval request reaching the
                 Global admin is timed as a follow-up
``approve``      Approve clicks, each on another pending request; the
                 update of the request message and the requester's DM
                 are timed as follow-ups
``mix``          a shuffled mix of the above (``--mix``), concurrent only
===============  ==========================================================
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from tests.fakes.signing import block_actions_body, slash_command_body

ADMIN: Final = "UBENCHADMIN"
ADMIN_DM: Final = "DBENCHADMIN"
SERVER_TAG: Final = "SERVERTAG"
"""Stands for the server's name in a response URL, so each server's answers are told apart."""
NEW_PEOPLE: Final = "UN"
"""The prefix of the users who file new requests (``UN00000001`` …); nobody else has it."""

WARM_KINDS: Final = ("list", "list-cat", "page")
COLD: Final = "-cold"
KINDS: Final = (
    "list",
    "list-cold",
    "list-cat",
    "list-cat-cold",
    "page",
    "page-cold",
    "mine",
    "request",
    "approve",
    "mix",
)
MIX: Final = "mix"
MIX_PARTS: Final = ("list", "list-cat", "page", "mine", "request", "approve")
DEFAULT_MIX: Final = (("list", 35), ("list-cat", 35), ("mine", 20), ("request", 10))
"""70 % lists (all and by category), 20 % ``mine``, 10 % new requests from new people."""
DEFAULT_LIMITS: Final = (("request", 100),)
"""``request`` is slow today (a fuzzy scan of every benefit per try): 100 of it
per batch keep a full run within minutes."""
CATEGORY_TEXTS: Final = ("software", "cloud", "vs")
CATEGORIES: Final = ("software", "cloud", "visual_studio")
PAGE_SIZE: Final = 15
LATER_PAGES: Final = 4
MIX_SEED: Final = 20260101


def base_kind(kind: str) -> str:
    """``list-cold`` → ``list``: what is sent, whatever the cache."""
    return kind.removesuffix(COLD)


def is_cold(kind: str) -> bool:
    return kind.endswith(COLD)


def parse_mix(text: str) -> tuple[tuple[str, int], ...]:
    """``list=70,mine=20,request=10`` → the shares; ValueError with the reason."""
    shares: list[tuple[str, int]] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, sep, number = part.partition("=")
        name = name.strip()
        if not sep or name not in MIX_PARTS:
            raise ValueError(f"{part!r}: give kind=share, kind one of {','.join(MIX_PARTS)}")
        if not number.strip().isdigit() or int(number) < 1:
            raise ValueError(f"{part!r}: the share must be a whole number of at least 1")
        if any(name == seen for seen, _ in shares):
            raise ValueError(f"{name} is given twice")
        shares.append((name, int(number)))
    if not shares:
        raise ValueError("the mix is empty")
    return tuple(shares)


def parse_limits(text: str) -> tuple[tuple[str, int], ...]:
    """``request=100,approve=0`` → the limits; ValueError with the reason."""
    limits: list[tuple[str, int]] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, sep, number = part.partition("=")
        name = name.strip()
        if not sep or name not in KINDS:
            raise ValueError(f"{part!r}: give kind=count, kind one of {','.join(KINDS)}")
        if not number.strip().isdigit():
            raise ValueError(f"{part!r}: the count must be a whole number (0: no limit)")
        limits.append((name, int(number)))
    return tuple(limits)


def mix_text(shares: Sequence[tuple[str, int]]) -> str:
    return ",".join(f"{name}={share}" for name, share in shares)


@dataclass(frozen=True)
class Plan:
    """Sizes of one benchmark run."""

    benefits: int
    holders: int
    sequential: int
    concurrent: int
    concurrency: int
    warmup: int
    rounds: int
    kinds: tuple[str, ...]
    mix: tuple[tuple[str, int], ...] = DEFAULT_MIX
    limits: tuple[tuple[str, int], ...] = DEFAULT_LIMITS
    # The bot saves a filed request as a receipt and answers at the response URL
    # (BENEFITS_RECEIPTS, on by default on PostgreSQL): that answer is a follow-up.
    answers_later: bool = False

    def count_of(self, kind: str, count: int) -> int:
        """``count``, or the kind's limit when lower (``--limit``; 0: none)."""
        limit = dict(self.limits).get(kind, 0)
        return min(count, limit) if limit else count

    @property
    def users(self) -> int:
        return self.benefits * self.holders

    def mix_parts(self, count: int, salt: int) -> list[str]:
        """``count`` kinds in the mix's shares (largest remainder), shuffled reproducibly."""
        total = sum(share for _, share in self.mix)
        exact = [(name, count * share / total) for name, share in self.mix]
        counts = {name: math.floor(value) for name, value in exact}
        left = count - sum(counts.values())
        for name, _ in sorted(exact, key=lambda item: -(item[1] - math.floor(item[1])))[:left]:
            counts[name] += 1
        parts = [name for name, _ in self.mix for _ in range(counts[name])]
        random.Random(MIX_SEED + salt).shuffle(parts)
        return parts

    @property
    def approvals(self) -> int:
        """Pending requests needed: every approve click the bot gets is a distinct one."""
        needed = 0
        if "approve" in self.kinds:
            needed += self.warmup + sum(
                self.count_of("approve", n) for n in (self.sequential, self.concurrent)
            )
        if MIX in self.kinds:
            for count, salt in ((self.warmup, 0), (self.count_of(MIX, self.concurrent), 1)):
                needed += self.mix_parts(count, salt).count("approve")
        return needed

    @property
    def seats(self) -> int:
        """Seats per benefit: the holders plus room for every approval, and some."""
        return self.holders + math.ceil(self.approvals / self.benefits) + 5

    @property
    def concurrent_label(self) -> str:
        return f"{self.concurrency} concurrent"

    @property
    def modes(self) -> tuple[str, str]:
        return ("sequential", self.concurrent_label)

    def later_pages(self) -> list[str]:
        """The Next buttons' values the ``page`` kind clicks: pages 1… of all and by category."""
        per_category = self.benefits // len(CATEGORIES)
        values: list[str] = []
        for name, listed in (("all", self.benefits), *((c, per_category) for c in CATEGORIES)):
            last = max(math.ceil(listed / PAGE_SIZE) - 1, 0)
            values += [f"{name}|{page}" for page in range(1, min(LATER_PAGES, last) + 1)]
        return values or ["all|0"]


def user_id(number: int) -> str:
    """``U00000001``, ``U00000002`` … : the imported holders."""
    return f"U{number:08d}"


def benefit_id(index: int) -> str:
    return f"benefit-{index:04d}"


def category_of(index: int) -> str:
    return CATEGORIES[index % len(CATEGORIES)]


def benefit_name(index: int) -> str:
    return f"Benefit {index:04d} {category_of(index).replace('_', ' ')}"


def requester_for(plan: Plan, j: int) -> tuple[str, str]:
    """The requester and benefit of pending request ``j``: someone who doesn't hold it.

    Benefit ``b`` is held by the users of block ``b``; request ``j`` asks for
    benefit ``j % benefits`` on behalf of a user of another block, so that no
    requester asks twice for one benefit.
    """
    rounds, index = divmod(j, plan.benefits)
    block = (index + 1 + rounds) % plan.benefits
    slot = rounds % plan.holders
    return user_id(block * plan.holders + slot + 1), benefit_id(index)


def inventory_data(plan: Plan) -> dict[str, Any]:
    """An inventory as ``docs/inventory.md`` describes it, with ``plan.users`` holders.

    Only seat-based kinds of benefit (software, cloud, Visual Studio), which
    need no keys beyond the common ones.
    """
    return {
        "membership": {
            "level": "gold",
            "purchase_date": "2026-01-01",
            "end_date": "2027-12-31",
            "account_email": "partner-admin@example.com",
        },
        "benefits": [
            {
                "id": benefit_id(i),
                "name": benefit_name(i),
                "category": category_of(i),
                "seats": plan.seats,
                "description": f"Benchmark benefit number {i}.",
                "instructions": "Follow the link, sign in, activate.",
                "holders": [
                    {"user": user_id(i * plan.holders + h + 1)} for h in range(plan.holders)
                ],
            }
            for i in range(plan.benefits)
        ],
    }


@dataclass(frozen=True)
class PendingRequest:
    """A request waiting for the admin, and its approval message as Slack echoes it back."""

    request_id: int
    message: dict[str, Any]


async def prepare_database(database_url: str, plan: Plan) -> list[PendingRequest]:
    """Import the inventory, make the Global admin and file the pending requests
    (``database_url``: SQLite or PostgreSQL, through the store the bot opens)."""
    from bot.blocks import requests as request_blocks
    from bot.domain.clock import SystemClock
    from bot.domain.model import MessageRef, Role
    from bot.runtime.bootstrap import build_services
    from bot.services.inventory.importer import import_inventory
    from bot.services.inventory.schema import Inventory
    from storage import open_store

    inventory = Inventory.model_validate(inventory_data(plan))
    store = await open_store(database_url, pool_size=2)
    try:
        clock = SystemClock()
        await import_inventory(store, inventory, clock=clock)
        services = build_services(store, clock=clock)
        await services.roles.bootstrap_grant(ADMIN, Role.GLOBAL_ADMIN)
        # The admin has opened the App Home (as admins do): every decision republishes
        # it, debounced. The requesters never opened theirs (see HomeService.queue_homes).
        await services.home.opened(ADMIN)
        pool: list[PendingRequest] = []
        for j in range(plan.approvals):
            requester, wanted = requester_for(plan, j)
            created = await services.requests.request_benefit(requester, wanted, "benchmark")
            ts = f"1700000000.{created.request.id:06d}"
            async with store.write() as uow:  # as if the delivery loop had posted it
                for post in await uow.outbox.queued_with_prefix(
                    f"request:{created.request.id}:post"
                ):
                    await uow.outbox.mark_sent(post.id, at=clock.now(), channel=ADMIN_DM, ts=ts)
                await uow.requests.add_messages(created.request.id, [MessageRef(ADMIN_DM, ts)])
            posted = request_blocks.approval_request_message(
                created.request, created.benefit, created.seats_left
            )
            message = {
                "type": "message",
                "user": "UBOT",
                "bot_id": "BBOT",
                "app_id": "A0001",
                "team": "T0001",
                "ts": ts,
                **posted,
            }
            pool.append(PendingRequest(created.request.id, message))
    finally:
        await store.close()
    return pool


@dataclass(frozen=True)
class Item:
    """One request to send: its body and the Slack calls that must follow it.

    ``SERVER_TAG`` in the body and in the follow-up keys stands for the
    server's name (only response URLs carry it; everything else is the same
    for both servers).
    """

    kind: str
    body: str
    follow_ups: tuple[str, ...] = ()
    cold: bool = False
    label: str = ""  # the kind as reported: list-cold, mix:list …

    def body_for(self, server: str) -> str:
        return self.body.replace(SERVER_TAG, server)

    def follow_ups_for(self, server: str) -> tuple[str, ...]:
        return tuple(key.replace(SERVER_TAG, server) for key in self.follow_ups)


class Bodies:
    """Request bodies exactly as Slack sends them; the floor gets the bot's."""

    def __init__(self, plan: Plan, pool: Sequence[PendingRequest], slack_root: str) -> None:
        self._plan = plan
        self._slack_root = slack_root
        self._users = itertools.cycle(range(1, plan.users + 1))
        self._pool = iter(pool)
        self._names = itertools.count(1)
        self._new_people = itertools.count(1)
        self._wanted = itertools.count(0)
        self._categories = itertools.cycle(CATEGORY_TEXTS)
        self._pages: Iterator[str] = itertools.cycle(plan.later_pages())

    def make(self, kind: str, count: int, *, salt: int = 0) -> list[Item]:
        if kind == MIX:
            parts = self._plan.mix_parts(count, salt)
            return [replace(self.one(part), label=f"{MIX}:{part}") for part in parts]
        return [replace(self.one(kind), label=kind) for _ in range(count)]

    def one(self, kind: str) -> Item:
        cold = is_cold(kind)
        base = base_kind(kind)
        name = f"{kind}-{next(self._names)}-{SERVER_TAG}"
        response_url = f"{self._slack_root}/response/{name}"
        if base in ("list", "list-cat", "mine"):
            text = base if base != "list-cat" else f"list {next(self._categories)}"
            body = slash_command_body(
                text=text, user_id=user_id(next(self._users)), response_url=response_url
            )
            return Item(base, body, cold=cold)
        if base == "request":
            requester = f"{NEW_PEOPLE}{next(self._new_people):08d}"
            index = next(self._wanted) % self._plan.benefits
            body = slash_command_body(
                text=f"request {benefit_name(index)} load test",
                user_id=requester,
                response_url=response_url,
            )
            answer = (f"response:{name}",) if self._plan.answers_later else ()
            return Item(base, body, (f"posted:{requester}", *answer))
        from bot.blocks import ids

        if base == "page":
            body = block_actions_body(
                user_id=user_id(next(self._users)),
                action_id=ids.LIST_NEXT,
                value=next(self._pages),
                block_id=ids.LIST_NAV_BLOCK,
                action_text="Next ›",
                response_url=response_url,
            )
            return Item(base, body, (f"response:{name}",), cold=cold)
        if base != "approve":
            raise ValueError(f"no such kind: {kind}")
        pending = next(self._pool, None)
        if pending is None:
            raise RuntimeError("the pool of pending requests is empty")
        body = block_actions_body(
            user_id=ADMIN,
            action_id=ids.APPROVE,
            value=str(pending.request_id),
            block_id=ids.REQUEST_ACTIONS_BLOCK,
            message=pending.message,
            channel_id=ADMIN_DM,
            channel_name="directmessage",
            action_text="Approve",
            response_url=response_url,
        )
        ts = str(pending.message["ts"])
        return Item(base, body, (f"update:{ts}", f"dm:{pending.request_id}"))
