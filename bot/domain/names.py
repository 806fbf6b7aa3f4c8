"""The inventory's names as an index: finding a benefit costs a lookup, not a scan.

:class:`BenefitNames` is built once per state of the inventory (the store
keeps it while no benefit changes, see ``BenefitRepository.names``) from every
benefit's id and name, and answers the three questions that finding a benefit
asks (docs/rules.md, "Finding a benefit"):

* :meth:`~BenefitNames.match` -- the benefit whose id or name is the text, else
  those whose id or name starts with it: dictionary lookups and a binary search
  over the sorted keys, so its cost does not grow with the inventory;
* :meth:`~BenefitNames.closest` -- when nothing matches, the benefits whose id or
  name is closest to the text (rapidfuzz's normalised Indel similarity, the
  measure ``difflib.SequenceMatcher.ratio`` approximates), in one pass over the
  keys scored in chunks, so that the caller may let other work run in between.

It is pure: no I/O, no clock; ids are returned and the caller reads the
benefits themselves in its own unit of work.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from rapidfuzz import fuzz, process

CLOSEST_CUTOFF: Final = 50.0
"""The least similarity (0-100) of a suggested benefit's id or name to the text."""
CHUNK: Final = 4096
"""Keys scored between two calls of ``between_chunks`` (well under a millisecond each)."""
MAX_CHAR: Final = chr(0x10FFFF)
MAX_CHAR_COUNT: Final = 1 << 30


@dataclass(frozen=True, slots=True)
class Match:
    """What the text names: ``found`` (one benefit's id), else ``several`` (ids, in
    inventory order, at most ``limit + 1`` so that "more than shown" is known)."""

    found: str | None
    several: tuple[str, ...] = ()


class BenefitNames:
    """Every benefit's id and case-folded name, indexed for lookups and suggestions.

    Args:
        entries: ``(id, name)`` of every benefit, in inventory order (category,
            then name, then id): ambiguous matches are reported in that order.
        generation: The inventory's generation this was built from (the store's
            business; equal generations mean equal inventories).
    """

    __slots__ = (
        "_by_id",
        "_by_length",
        "_by_name",
        "_keys",
        "_length_owners",
        "_lengths",
        "_owners",
        "_rank",
        "generation",
    )

    def __init__(self, entries: Iterable[tuple[str, str]], *, generation: int = 0) -> None:
        self.generation = generation
        self._by_id: dict[str, str] = {}
        self._by_name: dict[str, list[str]] = {}
        self._rank: dict[str, int] = {}
        pairs: list[tuple[str, str]] = []  # (key, id), ids and names alike
        for position, (benefit_id, name) in enumerate(entries):
            self._rank[benefit_id] = position
            id_key = benefit_id.casefold()
            name_key = name.casefold()
            self._by_id[id_key] = benefit_id
            self._by_name.setdefault(name_key, []).append(benefit_id)
            pairs.append((id_key, benefit_id))
            if name_key != id_key:
                pairs.append((name_key, benefit_id))
        pairs.sort()
        self._keys: list[str] = [key for key, _ in pairs]
        self._owners: list[str] = [owner for _, owner in pairs]
        by_length = sorted(pairs, key=lambda pair: (len(pair[0]), pair[0]))
        self._by_length: list[str] = [key for key, _ in by_length]
        self._length_owners: list[str] = [owner for _, owner in by_length]
        self._lengths: list[int] = [len(key) for key in self._by_length]

    def __len__(self) -> int:
        return len(self._rank)

    def match(self, text: str, *, limit: int) -> Match:
        """The benefit ``text`` names: by exact id, exact name, or unambiguous start.

        ``text`` is compared case-insensitively; it should already be cleaned
        (see :func:`bot.domain.validation.clean_benefit_query`).
        """
        key = text.casefold()
        exact = self._by_id.get(key)
        if exact is not None:
            return Match(exact)
        named = self._by_name.get(key, [])
        if len(named) == 1:
            return Match(named[0])
        starts = self._starting_with(key)
        if len(starts) == 1:
            return Match(starts[0])
        return Match(None, tuple(sorted(starts, key=self._rank.__getitem__)[: limit + 1]))

    def _starting_with(self, key: str) -> list[str]:
        """Ids of the benefits whose id or name starts with ``key``, each once."""
        low = bisect.bisect_left(self._keys, key)
        high = bisect.bisect_left(self._keys, key + MAX_CHAR, lo=low)
        return list(dict.fromkeys(self._owners[low:high]))

    def closest(
        self,
        texts: Sequence[str],
        *,
        limit: int,
        between_chunks: Callable[[], object] | None = None,
    ) -> list[tuple[str, int]]:
        """The ``limit`` benefits whose id or name is closest to one of ``texts``, best first.

        Each benefit comes with the index of the text it is closest to. A key is
        scored against the text whose length is nearest its own (so, for the
        leading words of ``request <text>``, a name against as many words as it
        is long): one pass over the keys whatever the number of texts. Only
        keys at least :data:`CLOSEST_CUTOFF` similar count; ties keep the keys'
        order. ``between_chunks`` is called after every :data:`CHUNK` keys (a
        caller on a thread passes ``time.sleep(0)`` to hand the interpreter to
        other threads), so one call never holds it for long.
        """
        queries = sorted(
            ((t.casefold(), i) for i, t in enumerate(texts) if t), key=lambda q: len(q[0])
        )
        best: list[tuple[float, int, int]] = []  # (score, index into the keys, text)
        for number, (query, text_index) in enumerate(queries):
            # the keys nearer in length to this text than to the shorter and longer ones
            low = 0 if number == 0 else (len(queries[number - 1][0]) + len(query)) // 2 + 1
            high = (
                MAX_CHAR_COUNT
                if number == len(queries) - 1
                else (len(query) + len(queries[number + 1][0])) // 2
            )
            first = bisect.bisect_left(self._lengths, low)
            last = bisect.bisect_right(self._lengths, high)
            for start in range(first, last, CHUNK):
                found = process.extract(
                    query,
                    self._by_length[start : min(start + CHUNK, last)],
                    scorer=fuzz.ratio,
                    processor=None,
                    limit=limit * 2,  # a benefit may score twice, by id and by name
                    score_cutoff=CLOSEST_CUTOFF,
                )
                best.extend((score, start + index, text_index) for _, score, index in found)
                if between_chunks is not None:
                    between_chunks()
        best.sort(key=lambda item: (-item[0], item[1]))
        chosen: dict[str, int] = {}
        for _, index, text_index in best:
            chosen.setdefault(self._length_owners[index], text_index)
        return list(chosen.items())[:limit]
