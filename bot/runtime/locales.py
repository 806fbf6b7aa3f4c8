"""Whose language: every reader's, known before their request arrives.

The language a person reads is, in this order: the one they chose with
``/benefits language`` (kept in storage), their Slack locale, English.

An acknowledgement must not wait for Slack, and Slack sends no locale with
a slash command. So the languages are kept in memory, filled in the
background, and a request only reads a dictionary:

* **Slack locales** of the whole workspace come from ``users.list`` with
  ``include_locale`` (a few paged calls), at start-up and again whenever the
  last load is older than ``lifetime`` (``BENEFITS_LOCALE_CACHE_SECONDS``).
* **Chosen languages** are read from storage in one query at each tick of
  the refresh loop (every minute at most), so a choice made through another
  replica shows here within a minute; a choice made here shows at once.
* **Someone not in the last load** (joined Slack since) reads English until
  the next load. Before the first load succeeded (Slack down at start-up,
  or the first seconds), a person's locale is asked for with ``users.info``
  in the background (one lookup per person, a few at once), so their next
  request is in their language. A request never waits for either.
* **Deliveries** (a DM, a reminder) wait for that lookup instead: nobody is
  waiting for an acknowledgement there. Messages to a channel are in the
  channel language (``BENEFITS_CHANNEL_LANGUAGE``).
* Slack's errors and storage errors mean English (and a retry later), never
  a failed request.

Ages are measured with the injected clock, so tests can move time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.domain.clock import Clock
from bot.i18n.translate import DEFAULT_LOCALE, supported

log = logging.getLogger(__name__)

SlackUser = Callable[[str], Awaitable[dict[str, Any] | None]]
"""Slack's ``users.info`` ``user`` object (with ``locale``); None: Slack knows no such user."""
SlackUsers = Callable[[], Awaitable[dict[str, str]]]
"""Every workspace member's Slack locale, by user ID (``users.list`` with ``include_locale``)."""
AllChosen = Callable[[], Awaitable[dict[str, str]]]
"""Every language people chose, by user ID (``LanguageService.all_chosen``)."""

DEFAULT_LIFETIME = 600.0  # seconds
CHOICES_EVERY = 60.0  # seconds between reloads of the chosen languages (other replicas')
LOOKUPS_AT_ONCE = 2  # background users.info calls in flight at most
MAX_ENTRIES = 100_000


async def no_slack_user(user_id: str) -> dict[str, Any] | None:
    del user_id
    return None


async def no_slack_users() -> dict[str, str]:
    return {}


async def no_choices() -> dict[str, str]:
    return {}


def is_channel(recipient: str) -> bool:
    """A conversation ID (``C…``, ``G…``, ``D…``) rather than a person's (``U…``, ``W…``)."""
    return recipient[:1] in {"C", "G", "D"}


@dataclass(frozen=True, slots=True)
class SlackLocale:
    locale: str | None  # None: Slack knows no locale for the person (or no such person)
    at: datetime  # when Slack said so


class ReaderLocales:
    """The language of each reader; :meth:`for_request` never waits for I/O."""

    def __init__(
        self,
        *,
        clock: Clock,
        all_chosen: AllChosen = no_choices,
        lifetime: float = DEFAULT_LIFETIME,
        channel_language: str = DEFAULT_LOCALE,
    ) -> None:
        self._clock = clock
        self._all_chosen = all_chosen
        self.slack_user: SlackUser = no_slack_user  # set by ``build_app``
        self.slack_users: SlackUsers = no_slack_users  # set by ``build_app``
        self.lifetime = timedelta(seconds=lifetime)
        self.channel_language = supported(channel_language)
        self._slack: dict[str, SlackLocale] = {}
        self._profiles: dict[str, dict[str, Any]] = {}  # users.info answers, for their email
        self._chosen: dict[str, str] = {}
        self._loaded_at: datetime | None = None  # the last users.list load
        self._looking: dict[str, asyncio.Task[SlackLocale]] = {}
        self._loop: asyncio.Task[None] | None = None
        self._first_tick = asyncio.Event()

    # -- reading -----------------------------------------------------------------------------

    def for_request(self, user_id: str | None) -> str:
        """The language to answer ``user_id`` in, now: what is known, else English."""
        if not user_id:
            return DEFAULT_LOCALE
        known = self._slack.get(user_id)
        if self._loaded_at is None and (known is None or self._stale(known)):
            self._ask_soon(user_id)  # no list of the workspace yet: ask for this one person
        return self._language(user_id, known)

    async def locale_of(self, recipient: str) -> str:
        """The language of a message to ``recipient``: a person's, or the channel language."""
        if not recipient or is_channel(recipient):
            return self.channel_language
        known = self._slack.get(recipient)
        if known is None or self._stale(known):
            known = await asyncio.shield(self._lookup(recipient))
        return self._language(recipient, known)

    async def slack_profile(self, user_id: str) -> dict[str, Any] | None:
        """Slack's user object for ``user_id`` (``users.info``); None when Slack has none."""
        known = self._slack.get(user_id)
        if (
            user_id in self._looking
            or known is None
            or self._stale(known)
            or user_id not in self._profiles
        ):
            await asyncio.shield(self._lookup(user_id))
        return self._profiles.get(user_id)

    def _language(self, user_id: str, known: SlackLocale | None) -> str:
        chosen = self._chosen.get(user_id)
        if chosen:
            return supported(chosen)
        return supported(known.locale if known else None)

    def _stale(self, known: SlackLocale) -> bool:
        return self._clock.now() - known.at >= self.lifetime

    # -- changes -----------------------------------------------------------------------------

    def chose(self, user_id: str, language: str | None) -> None:
        """``user_id`` just chose ``language`` (None: back to Slack's): use it from now on."""
        if language is None:
            self._chosen.pop(user_id, None)
        else:
            self._chosen[user_id] = language

    def forget_all(self) -> None:
        """Forget every Slack locale, as before the first load (the chosen languages stay)."""
        self._slack.clear()
        self._profiles.clear()
        self._loaded_at = None

    # -- loading -----------------------------------------------------------------------------

    async def tick(self) -> None:
        """Reload the chosen languages; reload Slack's locales when the last load is old."""
        try:
            self._chosen = dict(await self._all_chosen())
        except Exception as error:
            log.warning("could not read the chosen languages: %s", type(error).__name__)
        now = self._clock.now()
        if self._loaded_at is None or now - self._loaded_at >= self.lifetime:
            await self.load_slack()

    async def load_slack(self) -> None:
        """Load every member's Slack locale now (``users.list``); keep the old ones on failure."""
        now = self._clock.now()
        try:
            locales = await self.slack_users()
        except Exception as error:
            log.warning("could not list Slack's users: %s", type(error).__name__)
            return
        self._slack = {user: SlackLocale(locale or None, now) for user, locale in locales.items()}
        self._loaded_at = now

    def start(self) -> None:
        """Load now, then keep loading in the background until :meth:`stop`."""
        if self._loop is None:
            self._loop = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        tasks = [t for t in (self._loop, *self._looking.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError, Exception):
                await task
        self._loop = None

    async def _run(self) -> None:
        every = min(CHOICES_EVERY, self.lifetime.total_seconds())
        while True:
            await self.tick()
            self._first_tick.set()
            await asyncio.sleep(every)

    async def started(self) -> None:
        """Until the first load after :meth:`start` is over (whether Slack answered or not)."""
        await self._first_tick.wait()

    def _ask_soon(self, user_id: str) -> None:
        if user_id not in self._looking and len(self._looking) < LOOKUPS_AT_ONCE:
            self._lookup(user_id)

    def _lookup(self, user_id: str) -> asyncio.Task[SlackLocale]:
        task = self._looking.get(user_id)
        if task is None:
            task = asyncio.ensure_future(self._ask(user_id))
            self._looking[user_id] = task
            task.add_done_callback(lambda _: self._looking.pop(user_id, None))
        return task

    async def _ask(self, user_id: str) -> SlackLocale:
        now = self._clock.now()
        try:
            user = await self.slack_user(user_id)
        except Exception as error:
            log.warning("could not read Slack's users.info: %s", type(error).__name__)
            old = self._slack.get(user_id)
            return old if old is not None else SlackLocale(None, now - self.lifetime)
        locale = (user or {}).get("locale")
        known = SlackLocale(locale if isinstance(locale, str) and locale else None, now)
        if len(self._slack) >= MAX_ENTRIES:  # forget the oldest
            self._slack.pop(next(iter(self._slack)))
        if len(self._profiles) >= MAX_ENTRIES:
            self._profiles.pop(next(iter(self._profiles)))
        self._slack[user_id] = known
        if user is None:
            self._profiles.pop(user_id, None)
        else:
            self._profiles[user_id] = user
        return known
