"""The delivery loop: sends queued pings to Slack, once, in order, within Slack's limits.

An adapter between the outbox (through :class:`bot.services.outbox.OutboxService`)
and Slack's ``chat.postMessage`` and ``chat.update`` (and ``views.publish`` for a Home). What a ping becomes is
decided when it is sent (:mod:`bot.runtime.notices`): a reminder DM, a notice
posted to the admins, or an update of every copy of a decided request.

* **Leases.** Due pings are claimed with a lease (``claimed_until``) in one
  write, so two processes never hold the same ping; the lease is renewed
  while pings wait here, and a crashed sender's lease simply runs out, after
  which another sender (or the restarted one) takes the ping.
* **Sent means Slack said ok.** A ping is marked sent — with the channel and
  ``ts`` Slack answered — only after the answer arrived.
* **Never twice: read back before sending again.** Before each Slack call the
  ping is marked as being sent (``send_started_at``, one small write, and only
  by the sender still holding its lease). A kill or a lost answer (a timeout)
  can leave a message in Slack that was never recorded; whoever sends that
  ping next finds the mark and first looks for the message in the
  conversation (``conversations.history`` from shortly before the mark, with
  the message metadata naming the ping; a DM's channel from
  ``conversations.open``). Found: it is recorded with Slack's ``ts``, and
  nothing is posted. An update is looked for the same way, as the metadata
  its message carries after it. A conversation that can't be read (the app
  installed without the history scopes) falls back to sending.
* **In order per message.** An update waits in the outbox until the post it
  updates is sent (storage does not hand it out before), then uses the
  ``ts`` that post recorded. Pings to one channel go in the order claimed.
* **Pacing.** A token bucket per channel (about one message a second after a
  short burst, Slack's limit for posting) decides which ping may go next; a
  429 answer blocks its channel for ``Retry-After`` seconds and the ping is
  retried then, without counting as a failed attempt.
* **Failures.** Any other error is a failed attempt: the service queues the
  ping again with backoff, or parks it after the last attempt (at once for an
  error that can't heal, such as an unknown user) and tells the admins.
* **A refused token.** Slack refusing the bot's token (``token_revoked``,
  ``invalid_auth``, ``account_inactive``) fails every message alike: the
  loop calls ``token_refused``, which suspends sending (every queued ping
  parked in one write, nothing claimed until it resumes), and drops what it holds.

Real time (``time.monotonic``) paces the sending; the service's injected
clock decides what is due and when leases end. Tests may pass their own
``monotonic`` and ``wait`` to pace in virtual time, and :meth:`Delivery.idle`
tells them when the loop has found nothing more to send.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import os
import secrets
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.blocks.reminders import EVENT_TYPE, metadata
from bot.domain.outbox import Ping, PingState
from bot.runtime.notices import Outgoing, Skip, Upload, reminder
from bot.services.notices import Notice
from bot.services.outbox import OutboxService
from bot.services.reminders import Kind

Render = Callable[[Ping], Awaitable[Outgoing | Skip]]
"""What a ping becomes on Slack when it is sent (see :mod:`bot.runtime.notices`)."""


async def render_reminder(ping: Ping) -> Outgoing | Skip:
    """Reminders only: the renderer when no services are at hand (tests, benchmarks)."""
    return reminder(ping)


log = logging.getLogger(__name__)

# Errors that another attempt can't fix: park the ping at once.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "user_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "is_archived",
        "invalid_blocks",
        "invalid_arguments",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "messages_tab_disabled",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
    }
)
# Slack refuses the bot's token itself (revoked, the app uninstalled, the workspace gone):
# no message can go, so every queued one is parked at once (see ``token_refused``).
TOKEN_REFUSED = frozenset({"invalid_auth", "not_authed", "token_revoked", "account_inactive"})
# Posts that a queued update may be waiting for: once sent, look for it at once.
UPDATED_LATER = frozenset({Notice.APPROVAL_REQUEST.value, Kind.APPROVAL_WAITING.value})
PACING_MARGIN = 0.005  # seconds: never ask Slack a hair before a token is back
DEFAULT_RETRY_AFTER = 1.0
# Looking for a message whose send began at ``send_started_at`` (by this host's clock;
# Slack's ``ts`` is Slack's): from a minute before (clocks apart) to ten minutes after
# (one call times out after 30 s), newest first, a bounded number of pages.
LOOK_BACK_BEFORE = timedelta(minutes=1)
LOOK_BACK_AFTER = timedelta(minutes=10)
LOOK_BACK_PAGE = 200
LOOK_BACK_PAGES = 10


@dataclass(frozen=True, slots=True)
class Found:
    """The message a ping became, found in the conversation."""

    channel: str
    ts: str


class LookBack(enum.Enum):
    SEND = "send"  # not in Slack (or no way to tell): send it
    DEFERRED = "deferred"  # couldn't look now; the ping was handed to a later attempt


Gate = Callable[[float], Awaitable[None]]
"""Awaited before each send with the loop time of the ping's claim: the bot's
acknowledgements go first (:meth:`bot.runtime.background.Background.quiet_moment`)."""


async def wait_or_wake(wake: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds`` of real time, or less if ``wake`` is set."""
    with suppress(TimeoutError):
        await asyncio.wait_for(wake.wait(), timeout=seconds)


def default_owner() -> str:
    """A lease owner name unique to this process."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class ChannelPacer:
    """A token bucket per channel: ``rate`` messages a second after a ``burst``.

    A token is taken when Slack's answer arrives, never earlier than Slack
    took it, so the bucket here is never ahead of Slack's.
    """

    def __init__(
        self, *, rate: float, burst: int, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._now = monotonic
        self._buckets: dict[str, tuple[float, float]] = {}  # channel → (tokens, at)

    def _tokens(self, channel: str, now: float) -> tuple[float, float]:
        tokens, at = self._buckets.get(channel, (self._burst, now))
        if now <= at:
            return tokens, at
        return min(self._burst, tokens + (now - at) * self._rate), now

    def ready_at(self, channel: str) -> float:
        """When the next message to ``channel`` may go (monotonic seconds; 0: now)."""
        now = self._now()
        tokens, at = self._tokens(channel, now)
        if tokens >= 1.0:
            return 0.0 if at <= now else at
        return at + (1.0 - tokens) / self._rate + PACING_MARGIN

    def took(self, channel: str) -> None:
        """A message to ``channel`` was just answered."""
        now = self._now()
        tokens, at = self._tokens(channel, now)
        self._buckets[channel] = (max(tokens - 1.0, 0.0), max(at, now))

    def blocked(self, channel: str, seconds: float) -> None:
        """Slack said ``Retry-After: seconds``: one token comes back then."""
        self._buckets[channel] = (1.0, self._now() + seconds)

    def forget(self, channel: str) -> None:
        self._buckets.pop(channel, None)


@dataclass
class DeliveryStats:
    sent: int = 0
    retried: int = 0
    parked: int = 0
    cancelled: int = 0
    ratelimited: int = 0
    duplicates_avoided: int = 0
    found_in_slack: int = 0  # sent before a crash or a lost answer; recorded, not sent again
    unverified: int = 0  # sent again without knowing (the conversation couldn't be read)


class Delivery:
    """The loop that sends due pings; ``run()`` until ``stop()``."""

    def __init__(
        self,
        outbox: OutboxService,
        client: AsyncWebClient,
        *,
        render: Render = render_reminder,
        owner: str | None = None,
        lease: float = 120.0,
        batch: int = 1000,
        poll: float = 1.0,
        rate: float = 1.0,
        burst: int = 3,
        monotonic: Callable[[], float] = time.monotonic,
        wait: Callable[[asyncio.Event, float], Awaitable[None]] = wait_or_wake,
        gate: Gate | None = None,
        token_refused: Callable[[str], Awaitable[int]] | None = None,
    ) -> None:
        """``token_refused``: Slack refused the bot's token with this error; suspend
        sending and say how many pings were parked (without it, only the ping is parked)."""
        self._outbox = outbox
        self._gate = gate
        self._claimed_at: dict[int, float] = {}  # ping id → the loop time of its claim
        self._token_refused = token_refused
        self._client = client
        self._render = render
        self.owner = owner or default_owner()
        self._lease = timedelta(seconds=lease)
        self._renew_every = lease / 3
        self._batch = batch
        self._poll = poll
        self._now = monotonic
        self._wait = wait
        self._pacer = ChannelPacer(rate=rate, burst=burst, monotonic=monotonic)
        self._held: dict[str, deque[Ping]] = {}
        self._count = 0
        self._next_claim = 0.0
        self._more_maybe = True
        self._next_renew = monotonic() + self._renew_every
        self._wake = asyncio.Event()
        self._stopping = False
        self._dm_channels: dict[str, str] = {}  # user ID → DM channel ID (for looking back)
        self._claims = 0  # claims started
        self._found_nothing = 0  # the last claim that found nothing while nothing was held
        self._looked = asyncio.Event()
        self.stats = DeliveryStats()

    # -- control -----------------------------------------------------------------

    def wake(self) -> None:
        """New pings may be due: look at once instead of at the next poll."""
        self._next_claim = 0.0
        self._more_maybe = True
        self._wake.set()

    async def run(self) -> None:
        """Send until :meth:`stop`; pings still held then are handed back."""
        try:
            while not self._stopping:
                try:
                    await self._step()
                except Exception as error:  # e.g. the database busy for too long: try again
                    log.error("delivery step failed: %s", type(error).__name__, exc_info=error)
                    await self._sleep(self._poll)
        finally:
            with suppress(Exception):
                await self._release_all()

    def stop(self) -> None:
        """Finish the ping in flight, then let :meth:`run` return."""
        self._stopping = True
        self._wake.set()

    async def drain(self, *, timeout: float = 60.0) -> DeliveryStats:
        """Send everything due now and return (for tests and benchmarks).

        Returns once nothing is held and a claim finds nothing more due.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self.wake()
        try:
            while loop.time() < deadline:
                if self._count == 0:
                    if not await self._claim():
                        break
                    continue
                await self._step()
            else:
                raise TimeoutError(f"pings still held after {timeout}s")
        finally:
            await self._release_all()
        return self.stats

    async def idle(self) -> None:
        """Return once the loop, woken now, has looked for due pings and found
        none while holding none (for tests: nothing due now is left to send).

        It waits for a claim that started after this call, so a claim already
        under way, which may have missed pings queued just before, doesn't count.
        """
        since = self._claims
        self.wake()
        while self._found_nothing <= since:
            self._looked.clear()
            await self._looked.wait()

    @property
    def held(self) -> int:
        return self._count

    # -- the loop ------------------------------------------------------------------

    async def _step(self) -> None:
        now = self._now()
        channel, ready = self._next_ready()
        nothing_ready = channel is None or ready > now
        wants_more = now >= self._next_claim or (nothing_ready and self._more_maybe)
        if self._count < self._batch and wants_more and await self._claim():
            return  # look again: what was claimed may be ready
        if now >= self._next_renew:
            await self._renew()
            return
        if channel is None:
            await self._sleep(max(self._next_claim - now, 0.0))
            return
        if ready > now:
            await self._sleep(min(ready, self._next_claim, self._next_renew) - now)
            return
        queue = self._held[channel]
        ping = queue.popleft()
        if not queue:
            del self._held[channel]
        self._count -= 1
        if self._gate is not None:
            since = self._claimed_at.pop(ping.id, None)
            await self._gate(asyncio.get_running_loop().time() if since is None else since)
        await self._deliver(ping)

    def _next_ready(self) -> tuple[str | None, float]:
        best: str | None = None
        best_at = float("inf")
        for channel in self._held:
            at = self._pacer.ready_at(channel)
            if at < best_at:
                best, best_at = channel, at
        return best, best_at

    async def _sleep(self, seconds: float) -> None:
        if seconds <= 0 or self._stopping:
            return
        self._wake.clear()
        await self._wait(self._wake, seconds)

    async def _claim(self) -> int:
        limit = self._batch - self._count
        self._claims += 1
        number = self._claims
        claimed = await self._outbox.claim(owner=self.owner, limit=limit, lease=self._lease)
        if not claimed and self._count == 0:
            self._found_nothing = number
            self._looked.set()
        at = asyncio.get_running_loop().time()
        for ping in claimed:
            self._held.setdefault(ping.recipient, deque()).append(ping)
            if self._gate is not None:
                self._claimed_at[ping.id] = at
        self._count += len(claimed)
        self._more_maybe = len(claimed) == limit
        self._next_claim = self._now() + self._poll
        return len(claimed)

    async def _renew(self) -> None:
        self._next_renew = self._now() + self._renew_every
        ids = [p.id for queue in self._held.values() for p in queue]
        kept = set(await self._outbox.extend(ids, owner=self.owner, lease=self._lease))
        if len(kept) == len(ids):
            return
        log.warning("lost the lease on %d reminders; another sender has them", len(ids) - len(kept))
        for channel in list(self._held):
            queue = deque(p for p in self._held[channel] if p.id in kept)
            if queue:
                self._held[channel] = queue
            else:
                del self._held[channel]
        self._count = len(kept)
        self._claimed_at = {i: at for i, at in self._claimed_at.items() if i in kept}

    async def _release_all(self) -> None:
        ids = [p.id for queue in self._held.values() for p in queue]
        self._held.clear()
        self._claimed_at.clear()
        self._count = 0
        if ids:
            await self._outbox.release(ids, owner=self.owner)

    # -- one ping ------------------------------------------------------------------

    async def _deliver(self, ping: Ping) -> None:
        if not await self._outbox.still_wanted(ping):
            self.stats.cancelled += 1
            return
        outgoing = await self._render(ping)
        if isinstance(outgoing, Skip):
            await self._outbox.skip(ping, reason=outgoing.reason)
            self.stats.cancelled += 1
            return
        if ping.send_started_at is not None and outgoing.upload is not None:
            # A file carries no message metadata to find it by: shared again (logged).
            self.stats.unverified += 1
            log.warning("file of reminder %d may have been shared already; sharing it", ping.id)
            ping = replace(ping, send_started_at=None)
        if ping.send_started_at is not None and outgoing.method != "views.publish":
            # A send began before and was never recorded: Slack may have it already.
            # (Publishing a Home again only shows it again: nothing to look for.)
            found = await self._look_back(ping, outgoing)
            if found is LookBack.DEFERRED:
                return
            if isinstance(found, Found):
                self.stats.found_in_slack += 1
                log.info("reminder %d was already in Slack; recorded, not sent again", ping.id)
                await self._record(ping, outgoing, found.channel, found.ts)
                return
            # Not in Slack: if Slack turns this send away (429), don't look again.
            ping = replace(ping, send_started_at=None)
        if not await self._outbox.send_started(ping, owner=self.owner):
            self.stats.duplicates_avoided += 1
            log.warning("reminder %d is no longer this sender's to send", ping.id)
            return
        response: Mapping[str, Any] | AsyncSlackResponse
        try:
            if outgoing.upload is not None:
                response = await self._share(outgoing, outgoing.upload)
            elif outgoing.method == "views.publish":
                response = await self._client.views_publish(
                    user_id=outgoing.channel, **outgoing.payload
                )
            elif outgoing.method == "chat.update":
                response = await self._client.chat_update(
                    channel=outgoing.channel,
                    ts=outgoing.ts,
                    metadata=metadata(ping),
                    **outgoing.payload,
                )
            else:
                response = await self._client.chat_postMessage(
                    channel=outgoing.channel, metadata=metadata(ping), **outgoing.payload
                )
        except SlackApiError as error:
            await self._refused(ping, error)
            return
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            self._pacer.took(ping.recipient)
            await self._failed(ping, type(error).__name__, permanent=False)
            return
        except SlackRequestError:  # the file's upload URL refused it: another attempt
            self._pacer.took(ping.recipient)
            await self._failed(ping, "upload_failed", permanent=False)
            return
        self._pacer.took(ping.recipient)
        if outgoing.method == "views.publish":
            view = response.get("view") or {}
            channel, ts = outgoing.channel, str(view.get("id") or "home")
            await self._record(ping, outgoing, channel, ts)
            return
        channel = str(response.get("channel") or outgoing.channel)
        ts = str(response.get("ts") or outgoing.ts)
        await self._record(ping, outgoing, channel, ts)

    async def _share(self, outgoing: Outgoing, upload: Upload) -> Mapping[str, Any]:
        """Share a file with Slack's two-step upload (``files.getUploadURLExternal``,
        the upload to the URL it returns, ``files.completeUploadExternal``), as
        ``files_upload_v2`` does; ``ts`` names the file (a file has no ``ts``)."""
        response = await self._client.files_upload_v2(
            channel=outgoing.channel,
            file=upload.content,
            filename=upload.filename,
            title=upload.title,
            alt_txt=upload.alt_text,
        )
        files = response.get("files") or []
        file_id = str(files[0].get("id")) if files and isinstance(files[0], dict) else ""
        return {"channel": outgoing.channel, "ts": file_id or outgoing.ts}

    async def _record(self, ping: Ping, outgoing: Outgoing, channel: str, ts: str) -> None:
        if await self._outbox.delivered(ping, channel=channel, ts=ts, final=outgoing.final):
            self.stats.sent += 1
            if ping.kind in UPDATED_LATER and not outgoing.final:
                # Updates of this post may wait for it: look for them at once.
                self._next_claim = 0.0
                self._more_maybe = True
        else:  # someone else finished it while our lease had run out
            self.stats.duplicates_avoided += 1
            log.warning("reminder %d was already recorded by another sender", ping.id)

    async def _look_back(self, ping: Ping, outgoing: Outgoing) -> Found | LookBack:
        """Look for the message ``ping`` became in its conversation (see the module doc)."""
        try:
            if outgoing.method == "chat.update":
                # The message is known; after the update it carries this ping's metadata.
                response = await self._client.conversations_history(
                    channel=outgoing.channel,
                    oldest=outgoing.ts,
                    latest=outgoing.ts,
                    inclusive=True,
                    include_all_metadata=True,
                    limit=1,
                )
                if any(_names(m, ping) for m in response.get("messages") or []):
                    return Found(outgoing.channel, outgoing.ts)
                return LookBack.SEND
            return await self._find_post(ping, await self._conversation(outgoing.channel))
        except SlackApiError as error:
            code = str(error.response.get("error") or "unknown_error")
            if error.response.status_code == 429 or code == "ratelimited":
                await self._refused(ping, error)
                return LookBack.DEFERRED
            # E.g. missing_scope: the app was installed before it asked to read history.
            self.stats.unverified += 1
            log.warning("can't look for reminder %d in Slack (%s); sending it", ping.id, code)
            return LookBack.SEND
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            self._pacer.took(ping.recipient)
            await self._failed(ping, type(error).__name__, permanent=False)
            return LookBack.DEFERRED

    async def _conversation(self, channel: str) -> str:
        """The conversation ID of ``channel``; a user ID's is their DM with the bot."""
        if channel[:1] not in ("U", "W"):
            return channel
        if channel not in self._dm_channels:
            response = await self._client.conversations_open(users=channel)
            self._dm_channels[channel] = str(response["channel"]["id"])
        return self._dm_channels[channel]

    async def _find_post(self, ping: Ping, channel: str) -> Found | LookBack:
        assert ping.send_started_at is not None
        oldest = (ping.send_started_at - LOOK_BACK_BEFORE).timestamp()
        latest = (ping.send_started_at + LOOK_BACK_AFTER).timestamp()
        cursor: str | None = None
        for _ in range(LOOK_BACK_PAGES):
            response = await self._client.conversations_history(
                channel=channel,
                oldest=f"{oldest:.6f}",
                latest=f"{latest:.6f}",
                inclusive=True,
                include_all_metadata=True,
                limit=LOOK_BACK_PAGE,
                cursor=cursor,
            )
            for message in response.get("messages") or []:
                if _names(message, ping):
                    return Found(channel, str(message["ts"]))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not response.get("has_more") or cursor is None:
                return LookBack.SEND
        self.stats.unverified += 1
        log.warning(
            "looked through %d messages for reminder %d without reaching its time; sending it",
            LOOK_BACK_PAGES * LOOK_BACK_PAGE,
            ping.id,
        )
        return LookBack.SEND

    async def _refused(self, ping: Ping, error: SlackApiError) -> None:
        response = error.response
        code = str(response.get("error") or "unknown_error")
        if response.status_code == 429 or code == "ratelimited":
            seconds = _retry_after(response.headers)
            self.stats.ratelimited += 1
            self._pacer.blocked(ping.recipient, seconds)
            self._held.setdefault(ping.recipient, deque()).appendleft(ping)
            self._count += 1
            return
        self._pacer.took(ping.recipient)
        if code in TOKEN_REFUSED and self._token_refused is not None:
            # Every queued ping (this one and those held here) is parked now.
            self.stats.parked += await self._token_refused(code)
            self._held.clear()
            self._count = 0
            return
        await self._failed(ping, code, permanent=code in PERMANENT_ERRORS | TOKEN_REFUSED)

    async def _failed(self, ping: Ping, error: str, *, permanent: bool) -> None:
        state = await self._outbox.failed(ping, owner=self.owner, error=error, permanent=permanent)
        if state is PingState.PARKED:
            self.stats.parked += 1
            log.warning("parked reminder %d (%s) after %s", ping.id, ping.kind, error)
        else:
            self.stats.retried += 1
            log.info("reminder %d failed (%s); retrying later", ping.id, error)


def _names(message: Any, ping: Ping) -> bool:
    """Whether a message from ``conversations.history`` carries ``ping``'s metadata."""
    found = message.get("metadata") if isinstance(message, dict) else None
    if not isinstance(found, dict) or found.get("event_type") != EVENT_TYPE:
        return False
    payload = found.get("event_payload")
    return (
        isinstance(payload, dict)
        and str(payload.get("ping")) == str(ping.id)
        and payload.get("key") == ping.key
    )


def _retry_after(headers: Any) -> float:
    """Seconds from a ``Retry-After`` header (any case), else one second."""
    value: Any = None
    if headers is not None:
        getter = getattr(headers, "get", None)
        if getter is not None:
            value = getter("Retry-After") or getter("retry-after")
    try:
        return max(float(value), 0.0) if value is not None else DEFAULT_RETRY_AFTER
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
