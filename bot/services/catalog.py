"""Reading the inventory: the list, one benefit's details and the caller's own.

Every member may read; only Global admins and MPN partner admins see who holds
a seat (docs/rules.md). Pages of the list are kept while the benefits and seats
they show stand (see :meth:`CatalogService.list_benefits`), so a busy team
listing the same inventory doesn't read it again each time, and a request or an
approval elsewhere doesn't make everyone's next list pay for all pages.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from bot.domain.activations import benefit_status
from bot.domain.clock import Clock
from bot.domain.limits import HOLDERS_PAGE_SIZE, PAGE_SIZE
from bot.domain.model import (
    Activation,
    ActivationStatus,
    Assignment,
    Benefit,
    BenefitRow,
    Category,
    NotFound,
    Page,
    Request,
    Role,
)
from bot.services.core import find_benefit
from storage.unit_of_work import Store, UnitOfWork

PAGES_KEPT = 256  # inventory pages kept between changes


@dataclass(frozen=True, slots=True)
class Holding:
    assignment: Assignment
    benefit: Benefit


@dataclass(frozen=True, slots=True)
class Pending:
    request: Request
    benefit: Benefit


@dataclass(frozen=True, slots=True)
class Mine:
    holdings: list[Holding]
    pending: list[Pending]


@dataclass(frozen=True, slots=True)
class Details:
    """What Partner Center's expandable row shows of one benefit.

    ``holders`` is one page of the seat holders, or None when the caller may
    not see names (only Global admins and MPN partner admins may). ``status``
    comes from the activation for technical benefits and go-to-market offers
    (None: not activated yet) and from the expiry date otherwise.
    """

    row: BenefitRow
    holders: list[Assignment] | None
    holders_page: int = 0
    holders_page_size: int = HOLDERS_PAGE_SIZE
    status: ActivationStatus | None = None
    activation: Activation | None = None
    expires_on: date | None = None
    key_count: int = 0  # product keys stored for the benefit

    @property
    def holders_pages(self) -> int:
        return max((self.row.seats_used + self.holders_page_size - 1) // self.holders_page_size, 1)


class CatalogService:
    """The inventory list, a benefit's details, the caller's holdings and finding a benefit."""

    def __init__(self, store: Store, *, clock: Clock, page_size: int = PAGE_SIZE) -> None:
        self._store = store
        self._clock = clock
        self.page_size = page_size
        self._pages: dict[tuple[Category | None, int], Page[BenefitRow]] = {}
        # the seats generation at which each kept page's counts were last checked
        self._checked: dict[tuple[Category | None, int], int | None] = {}
        self._pages_version: int | None = None
        self._inventory_generation: int | None = None
        self._seats_generation: int | None = None

    async def list_benefits(
        self, actor: str, *, category: Category | None = None, page: int = 0
    ) -> Page[BenefitRow]:
        """One page of the inventory with seats used and total.

        Pages are kept while what they show stands: a commit that changes no
        benefit and no seat (a request, a role, a reminder) costs the next read
        one lookup of the generations; a seat that changed costs each kept page
        one indexed count of its own rows when next read, and only a page whose
        counts differ is built (and rendered) again. A changed benefit drops
        them all.
        """
        del actor  # every member may list
        page = max(page, 0)
        key = (category, page)
        version = await self._store.version()
        if version == self._pages_version and (kept := self._pages.get(key)) is not None:
            return kept
        async with self._store.read() as uow:
            if version != self._pages_version:
                inventory, seats = await uow.benefits.generations()
                if inventory != self._inventory_generation:
                    self._pages.clear()
                    self._checked.clear()
                self._inventory_generation, self._seats_generation = inventory, seats
                self._pages_version = version
            kept = self._pages.get(key)
            if kept is not None:
                if self._checked.get(key) != self._seats_generation:
                    kept = await self._recount(uow, key, kept)
                return kept
            total = await uow.benefits.count(category=category)
            last = max((total - 1) // self.page_size, 0)
            rows = await uow.benefits.rows(
                category=category, offset=min(page, last) * self.page_size, limit=self.page_size
            )
        result = Page(
            items=rows,
            page=min(page, last),
            page_size=self.page_size,
            total=total,
            version=version,
        )
        if len(self._pages) < PAGES_KEPT:
            self._pages[key] = result
            self._checked[key] = self._seats_generation
        return result

    async def _recount(
        self, uow: UnitOfWork, key: tuple[Category | None, int], kept: Page[BenefitRow]
    ) -> Page[BenefitRow]:
        """``kept`` with its seat counts as ``uow`` sees them; the same object when unchanged."""
        counts = await uow.assignments.count_active_many([r.benefit.id for r in kept.items])
        self._checked[key] = self._seats_generation
        if all(counts[r.benefit.id] == r.seats_used for r in kept.items):
            return kept
        fresh = replace(
            kept,
            items=[BenefitRow(r.benefit, counts[r.benefit.id]) for r in kept.items],
            version=self._pages_version,
        )
        self._pages[key] = fresh
        return fresh

    async def details(self, actor: str, benefit_id: str, *, holders_page: int = 0) -> Details:
        """One benefit as Partner Center's expandable row shows it.

        Args:
            actor: Who looks; only Global admins and MPN partner admins see holders' names.
            benefit_id: The benefit's id.
            holders_page: Which page of holders (counting from 0; clamped to the last).
        """
        async with self._store.read() as uow:
            benefit = await uow.benefits.get(benefit_id)
            if benefit is None:
                raise NotFound(
                    "There is no benefit with the id `{benefit_id}`.", benefit_id=benefit_id
                )
            holders = await uow.assignments.active(benefit.id)
            key_count = await uow.keys.count(benefit.id)
            roles = await uow.people.roles_of(actor)
            activation = (
                await uow.activations.get(benefit.id)
                if benefit.category in (Category.TECHNICAL, Category.GTM)
                else None
            )
        is_admin = bool(roles & {Role.GLOBAL_ADMIN, Role.MPN_PARTNER_ADMIN})
        last = max((len(holders) - 1) // HOLDERS_PAGE_SIZE, 0)
        page = min(max(holders_page, 0), last)
        shown = holders[page * HOLDERS_PAGE_SIZE : (page + 1) * HOLDERS_PAGE_SIZE]
        expires_on = (activation.expires_on if activation else None) or benefit.expires_on
        return Details(
            row=BenefitRow(benefit, len(holders)),
            holders=shown if is_admin else None,
            holders_page=page,
            status=benefit_status(benefit, activation, expires_on, self._clock.now().date()),
            activation=activation,
            expires_on=expires_on,
            key_count=key_count,
        )

    async def mine(self, actor: str) -> Mine:
        """The caller's assignments and pending requests."""
        async with self._store.read() as uow:
            standing = await uow.assignments.standing_of(actor)
        return Mine(
            holdings=[Holding(a, b) for a, b in standing.held],
            pending=[Pending(r, b) for r, b in standing.pending],
        )

    async def find_benefit(self, query: str) -> Benefit:
        """A benefit by id or by an unambiguous start of its name."""
        async with self._store.read() as uow:
            return await find_benefit(uow, query)
