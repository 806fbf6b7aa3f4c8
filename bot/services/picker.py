"""The benefit picker of the Request a benefit form: which benefits match typed text.

Slack asks for the options of the form's ``external_select`` as the person types,
with the same 3-second budget as everything else, so the answer must not scan the
database: the requestable benefits with their seats in use are kept here while
the inventory and the seats stay as they were (the store's generations tell, in
one lookup), and typed text is matched through the name index
(:class:`bot.domain.names.BenefitNames`): starts of ids and names first, then
names that contain the text, then the closest by rapidfuzz.

Technical benefits and go-to-market offers belong to the whole company (they are
activated, not requested), so the picker offers the seat-based categories only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.domain.model import BenefitRow, Category
from bot.domain.names import BenefitNames
from storage.unit_of_work import Store

REQUESTABLE: Final = frozenset({Category.SOFTWARE, Category.CLOUD, Category.VISUAL_STUDIO})
MAX_OPTIONS: Final = 100
"""Slack shows at most 100 options (over every group) of an external select."""
MAX_TYPED: Final = 100
ALL_BENEFITS: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class _Inventory:
    generations: tuple[int, int]
    rows: dict[str, BenefitRow]  # requestable benefits, in inventory order
    names: BenefitNames
    folded: dict[str, str]  # id → case-folded "id name", for "contains"


class PickerService:
    """The options of the benefit picker, from a copy kept while nothing changes."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._kept: _Inventory | None = None

    async def options(self, typed: str, *, limit: int = MAX_OPTIONS) -> list[BenefitRow]:
        """At most ``limit`` requestable benefits matching ``typed`` (all, when empty),
        best first, each with its seats in use."""
        inventory = await self._inventory()
        text = " ".join(typed.split())[:MAX_TYPED].casefold()
        if not text:
            return list(inventory.rows.values())[:limit]
        chosen: dict[str, None] = {}
        match = inventory.names.match(text, limit=limit)
        for benefit_id in (match.found,) if match.found else match.several:
            chosen.setdefault(benefit_id)
        if len(chosen) < limit:
            for benefit_id, folded in inventory.folded.items():
                if text in folded:
                    chosen.setdefault(benefit_id)
                    if len(chosen) >= limit:
                        break
        if len(chosen) < limit:
            for benefit_id, _ in inventory.names.closest([text], limit=limit):
                chosen.setdefault(benefit_id)
        return [inventory.rows[b] for b in chosen if b in inventory.rows][:limit]

    async def _inventory(self) -> _Inventory:
        async with self._store.read() as uow:
            generations = await uow.benefits.generations()
            kept = self._kept
            if kept is not None and kept.generations == generations:
                return kept
            rows = await uow.benefits.rows(category=None, offset=0, limit=ALL_BENEFITS)
        requestable = {r.benefit.id: r for r in rows if r.benefit.category in REQUESTABLE}
        kept = _Inventory(
            generations=generations,
            rows=requestable,
            names=BenefitNames(
                ((b, r.benefit.name) for b, r in requestable.items()),
                generation=generations[0],
            ),
            folded={b: f"{b} {r.benefit.name}".casefold() for b, r in requestable.items()},
        )
        self._kept = kept
        return kept
