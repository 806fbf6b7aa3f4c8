"""What a queued ping becomes on Slack, decided when it is sent.

The delivery loop (:mod:`bot.runtime.delivery`) asks :class:`Renderer` for each
ping it is about to send. Reminders are direct messages built from the values
they were queued with (:func:`bot.blocks.reminders.ping_message`). Notices
(:mod:`bot.services.notices`) are rendered from the state of this moment,
through the same Block Kit builders the listeners use:

* an approval request is posted with Approve and Deny while it is pending, and
  already showing its outcome when it was decided before its turn came
  (``final``: the updates queued for it are then cancelled, not sent);
* an update of a copy uses the channel and ``ts`` its post recorded, or those
  it was queued with for a copy posted before it;
* a ``home`` notice publishes the person's Home as it is now (``views.publish``).

Each is written in its reader's language (:mod:`bot.runtime.locales`): a DM
or reminder in its recipient's, a message to a channel in the channel
language, an update of a copy in the language its post was written in, a Home
in its owner's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from bot.blocks import activation as activation_blocks
from bot.blocks import offboarding as offboarding_blocks
from bot.blocks import requests as request_blocks
from bot.blocks import seats as seat_blocks
from bot.blocks.cancellation import cancellation_notice
from bot.blocks.digest import chart_alt_text, digest_message, digest_title
from bot.blocks.home import home_view
from bot.blocks.idle import seat_check_message
from bot.blocks.primitives import Message
from bot.blocks.reminders import ping_message
from bot.blocks.setup import upload_reply, welcome_message
from bot.blocks.support import advisory_notice
from bot.domain.model import ActivationStatus, DomainError, RequestStatus
from bot.domain.outbox import ParamValue, Ping, PingState
from bot.i18n.translate import reading_as
from bot.runtime.chart import render_async as render_chart
from bot.runtime.container import Services
from bot.services.activation import ActivationDone, ActivationRequested
from bot.services.digest import DigestNotice
from bot.services.idle import SEAT_CHECK_KIND
from bot.services.notices import Notice
from bot.services.offboarding import OffboardingNotice
from bot.services.setup import SetupNotice


@dataclass(frozen=True, slots=True)
class Upload:
    """A file to share in a conversation (the digest's chart)."""

    content: bytes
    filename: str
    title: str
    alt_text: str


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Web API call: post ``payload`` to ``channel``, or update ``ts`` in it, or
    (``files.upload``) share ``upload`` in ``channel`` with the two-step file upload, or
    publish the Home view ``payload["view"]`` of the user ``channel``."""

    method: Literal["chat.postMessage", "chat.update", "files.upload", "views.publish"]
    channel: str
    payload: Message
    ts: str = ""
    final: bool = False  # the post already shows what its queued updates would
    upload: Upload | None = None


@dataclass(frozen=True, slots=True)
class Skip:
    """Nothing to send any more, and why (the ping is cancelled)."""

    reason: str


def reminder(ping: Ping) -> Outgoing | Skip:
    """A reminder: a DM built from the values it was queued with."""
    return Outgoing("chat.postMessage", ping.recipient, ping_message(ping))


class Renderer:
    """Renders pings of every kind; needs the services to read the current state."""

    def __init__(self, services: Services) -> None:
        self._services = services

    async def __call__(self, ping: Ping) -> Outgoing | Skip:
        language = await self._services.locales.locale_of(await self._reader(ping))
        with reading_as(language):
            try:
                return await self._render(ping)
            except DomainError:
                return Skip("what it is about no longer exists")

    async def _reader(self, ping: Ping) -> str:
        """Who reads the message: the person it goes to, or whoever its post went to.

        A channel (the admin channel) reads the channel language; an update of a
        copy reads in the language of the person its post was sent to.
        """
        reader = ping.params.get("reader")
        if isinstance(reader, str) and reader:
            return reader
        if ping.after_id is not None:
            post = await self._services.outbox.get(ping.after_id)
            if post is not None:
                return post.recipient
        return ping.recipient

    async def _render(self, ping: Ping) -> Outgoing | Skip:
        kind = ping.kind
        params = ping.params
        if kind == Notice.APPROVAL_REQUEST:
            decision = await self._services.requests.decision(_int(params, "request_id"))
            if decision.request.status is RequestStatus.PENDING:
                payload = request_blocks.approval_request_message(
                    decision.request, decision.benefit, decision.seats_left
                )
                return Outgoing("chat.postMessage", ping.recipient, payload)
            payload = request_blocks.decided_request_message(decision)
            return Outgoing("chat.postMessage", ping.recipient, payload, final=True)
        if kind == Notice.REQUEST_DECIDED_COPY:
            where = await self._target(ping)
            if isinstance(where, Skip):
                return where
            decision = await self._services.requests.decision(_int(params, "request_id"))
            payload = request_blocks.decided_request_message(decision)
            return Outgoing("chat.update", where[0], payload, ts=where[1])
        if kind == Notice.ACTIVATION_REQUESTED:
            benefit, activation = await self._services.activation.current(
                _str(params, "benefit_id")
            )
            if activation is None or activation.status is not ActivationStatus.PENDING:
                return Skip("the activation is no longer pending")
            payload = activation_blocks.pending_activation_message(
                ActivationRequested(benefit, activation)
            )
            return Outgoing("chat.postMessage", ping.recipient, payload)
        if kind == Notice.ACTIVATION_COMPLETED_COPY:
            where = await self._target(ping)
            if isinstance(where, Skip):
                return where
            benefit, activation = await self._services.activation.current(
                _str(params, "benefit_id")
            )
            if activation is None or activation.status is not ActivationStatus.ACTIVE:
                return Skip("the activation is no longer active")
            payload = activation_blocks.completed_message(ActivationDone(benefit, activation))
            return Outgoing("chat.update", where[0], payload, ts=where[1])
        if kind == Notice.CANCELLATION_FILED:
            payload = cancellation_notice(
                creator=_str(params, "created_by"),
                request_id=_int(params, "request_id"),
                purchased=_str(params, "purchased"),
                deadline=_str(params, "deadline"),
            )
            return Outgoing("chat.postMessage", ping.recipient, payload)
        if kind == Notice.ADVISORY_FILED:
            payload = advisory_notice(
                requester=_str(params, "requester"),
                request_id=_int(params, "request_id"),
                hours=_int(params, "hours"),
                topic=_str(params, "topic"),
                hours_left=_int(params, "hours_left"),
                hours_total=_int(params, "hours_total"),
            )
            return Outgoing("chat.postMessage", ping.recipient, payload)
        if kind == Notice.HOME:
            home = await self._services.home.home_of(ping.recipient)
            return Outgoing("views.publish", ping.recipient, {"view": home_view(home)})
        if kind == Notice.SEAT_SELF_ASSIGNED:
            payload = seat_blocks.self_assigned_notice(
                holder=_str(params, "holder"),
                benefit=_str(params, "benefit"),
                from_user=_str(params, "from_user") or None,
            )
            return Outgoing("chat.postMessage", ping.recipient, payload)
        if kind == SetupNotice.WELCOME:
            return Outgoing("chat.postMessage", ping.recipient, welcome_message())
        if kind == SetupNotice.UPLOAD:
            return Outgoing("chat.postMessage", ping.recipient, upload_reply(params))
        upkeep = await self._render_upkeep(ping)
        if upkeep is not None:
            return upkeep
        return reminder(ping)

    async def _target(self, ping: Ping) -> tuple[str, str] | Skip:
        """The channel and ``ts`` an update changes: its post's, or its own params'."""
        if ping.after_id is None:
            channel, ts = _str(ping.params, "channel"), _str(ping.params, "ts")
        else:
            post = await self._services.outbox.get(ping.after_id)
            if post is None or post.state is not PingState.SENT:
                return Skip("the message it updates was never posted")
            channel, ts = post.channel or "", post.ts or ""
        if not channel or not ts:
            return Skip("it names no message to update")
        return channel, ts

    async def _render_upkeep(self, ping: Ping) -> Outgoing | Skip | None:
        """Offboarding, idle-seat checks and the digest (None: another kind)."""
        kind, params = ping.kind, ping.params
        if kind == OffboardingNotice.POST:
            view = await self._services.offboarding.view(_int(params, "offboarding_id"))
            if view.empty:
                return Skip("the person who left holds nothing any more")
            payload = offboarding_blocks.offboarding_message(view)
            return Outgoing("chat.postMessage", ping.recipient, payload)
        if kind == OffboardingNotice.COPY:
            where = await self._target(ping)
            if isinstance(where, Skip):
                return where
            view = await self._services.offboarding.view(_int(params, "offboarding_id"))
            payload = offboarding_blocks.offboarding_message(view)
            return Outgoing("chat.update", where[0], payload, ts=where[1])
        if kind == SEAT_CHECK_KIND:
            return Outgoing("chat.postMessage", ping.recipient, seat_check_message(params))
        if kind == DigestNotice.POST:
            digest = await self._services.digest.compute()
            return Outgoing("chat.postMessage", ping.recipient, digest_message(digest))
        if kind == DigestNotice.CHART:
            where = await self._target(ping)
            if isinstance(where, Skip):
                return where
            digest = await self._services.digest.compute()
            upload = Upload(
                content=await render_chart(digest),
                filename=f"benefits-{digest.today.isoformat()}.png",
                title=digest_title(digest),
                alt_text=chart_alt_text(digest),
            )
            return Outgoing("files.upload", where[0], {}, ts=where[1], upload=upload)
        return None


def _str(params: Mapping[str, ParamValue], name: str) -> str:
    value = params.get(name)
    return "" if value is None else str(value)


def _int(params: Mapping[str, ParamValue], name: str) -> int:
    value = params.get(name)
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    text = str(value or "")
    return int(text) if text.isdigit() else 0
