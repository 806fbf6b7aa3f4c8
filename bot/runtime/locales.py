"""Whose language: the reader's locale, looked up cheaply enough for Slack's 3 seconds.

The language a person reads is, in this order: the one they chose with
``/benefits language`` (kept in storage), their Slack locale (``users.info``
with ``include_locale``), English. Both are looked up together and kept in a
small in-memory cache for ``lifetime`` (``BENEFITS_LOCALE_CACHE_SECONDS``), so
a warm request costs no I/O at all.

* **Requests** (:meth:`ReaderLocales.for_request`, from the Bolt middleware):
  a cold lookup is waited for at most ``cold_wait`` seconds, so that an
  acknowledgement is never held up by a slow Slack; past that the answer is
  English and the lookup goes on, filling the cache for the next request.
* **Deliveries** (:meth:`ReaderLocales.locale_of`): a DM or reminder is
  rendered in its recipient's language, waiting for the lookup (nobody is
  waiting for an acknowledgement). Messages to a channel use the channel
  language (``BENEFITS_CHANNEL_LANGUAGE``).
* A person Slack does not know, or whose locale the bot has no catalogue
  for, reads English. A lookup that fails (Slack errs or times out, storage
  errs) is English too, kept for a minute only before asking again.
* One lookup per person at a time: concurrent requests of one person share it.

A choice made with ``/benefits language`` updates this replica's cache at
once; other replicas see it when their entry expires (within the lifetime).
Time comes from the injected clock, so tests can move it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.domain.clock import Clock
from bot.i18n.translate import DEFAULT_LOCALE, supported

log = logging.getLogger(__name__)

SlackUser = Callable[[str], Awaitable[dict[str, Any] | None]]
"""Slack's ``users.info`` answer's ``user`` object, with its ``locale``; None when unknown."""
Chosen = Callable[[str], Awaitable[str | None]]
"""The language a person chose (``LanguageService.chosen``)."""

DEFAULT_LIFETIME = 600.0  # seconds
COLD_WAIT = 0.5  # seconds an acknowledgement may wait for a cold lookup
MAX_ENTRIES = 20_000  # people whose languages are kept at once
RETRY_AFTER = timedelta(minutes=1)  # a failed lookup is tried again after this


async def no_slack_user(user_id: str) -> dict[str, Any] | None:
    del user_id
    return None


async def no_choice(user_id: str) -> str | None:
    del user_id
    return None


def is_channel(recipient: str) -> bool:
    """A conversation ID (``C…``, ``G…``, ``D…``) rather than a person's (``U…``, ``W…``)."""
    return recipient[:1] in {"C", "G", "D"}


@dataclass(frozen=True, slots=True)
class Known:
    """What was found for one person, until ``expires``."""

    chosen: str | None
    user: dict[str, Any] | None  # Slack's user object (with locale), None: unknown or failed
    expires: datetime

    @property
    def language(self) -> str:
        if self.chosen:
            return supported(self.chosen)
        locale = (self.user or {}).get("locale")
        return supported(locale if isinstance(locale, str) else None)


class ReaderLocales:
    """The language of each reader, cached with a lifetime."""

    def __init__(
        self,
        *,
        clock: Clock,
        chosen: Chosen = no_choice,
        lifetime: float = DEFAULT_LIFETIME,
        cold_wait: float = COLD_WAIT,
        channel_language: str = DEFAULT_LOCALE,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self._clock = clock
        self._chosen = chosen
        self.slack_user: SlackUser = no_slack_user  # set by ``build_app``
        self.lifetime: timedelta = timedelta(seconds=lifetime)
        self.cold_wait = cold_wait
        self.channel_language = supported(channel_language)
        self._max = max_entries
        self._known: dict[str, Known] = {}
        self._looking: dict[str, asyncio.Task[Known]] = {}

    # -- reading -----------------------------------------------------------------------------

    async def for_request(self, user_id: str | None) -> str:
        """The language to answer ``user_id``'s request in, without holding it up long."""
        if not user_id:
            return DEFAULT_LOCALE
        known = self._fresh(user_id)
        if known is not None:
            return known.language
        task = self._lookup(user_id)
        try:
            return (await asyncio.wait_for(asyncio.shield(task), self.cold_wait)).language
        except TimeoutError:
            log.info("a language lookup took over %.2f s: answering in English", self.cold_wait)
            return DEFAULT_LOCALE

    async def locale_of(self, recipient: str) -> str:
        """The language of a message to ``recipient``: a person's, or the channel language."""
        if not recipient or is_channel(recipient):
            return self.channel_language
        known = self._fresh(recipient)
        if known is None:
            known = await asyncio.shield(self._lookup(recipient))
        return known.language

    async def slack_profile(self, user_id: str) -> dict[str, Any] | None:
        """Slack's user object for ``user_id`` (cached with the language); None when unknown."""
        known = self._fresh(user_id)
        if known is None:
            known = await asyncio.shield(self._lookup(user_id))
        return known.user

    # -- changes -----------------------------------------------------------------------------

    def chose(self, user_id: str, language: str | None) -> None:
        """``user_id`` just chose ``language`` (None: back to Slack's): use it from now on."""
        known = self._known.get(user_id)
        if known is None:
            return  # the next lookup reads the choice from storage
        self._known[user_id] = Known(language, known.user, known.expires)

    def forget(self, user_id: str | None = None) -> None:
        """Drop what is known of ``user_id`` (of everyone with None)."""
        if user_id is None:
            self._known.clear()
        else:
            self._known.pop(user_id, None)

    # -- the lookup --------------------------------------------------------------------------

    def _fresh(self, user_id: str) -> Known | None:
        known = self._known.get(user_id)
        if known is None or known.expires <= self._clock.now():
            return None
        return known

    def _lookup(self, user_id: str) -> asyncio.Task[Known]:
        task = self._looking.get(user_id)
        if task is None:
            task = asyncio.ensure_future(self._load(user_id))
            self._looking[user_id] = task
            task.add_done_callback(lambda _: self._looking.pop(user_id, None))
        return task

    async def _load(self, user_id: str) -> Known:
        (chosen, chosen_ok), (user, user_ok) = await asyncio.gather(
            self._safely(self._chosen(user_id), "the chosen language"),
            self._safely(self.slack_user(user_id), "Slack's users.info"),
        )
        # A failed lookup is English for a short while only, then asked again.
        lifetime = self.lifetime if chosen_ok and user_ok else min(self.lifetime, RETRY_AFTER)
        known = Known(
            chosen if isinstance(chosen, str) else None,
            user if isinstance(user, dict) else None,
            self._clock.now() + lifetime,
        )
        self._known.pop(user_id, None)
        if len(self._known) >= self._max:
            self._known.pop(next(iter(self._known)))  # the oldest entry
        self._known[user_id] = known
        return known

    @staticmethod
    async def _safely(lookup: Awaitable[Any], what: str) -> tuple[Any, bool]:
        try:
            return await lookup, True
        except Exception as error:  # noqa: BLE001 - any failure means "English for now"
            log.warning("could not read %s: %s", what, type(error).__name__)
            return None, False
