"""Receipts for what people send in bursts: saved, acknowledged, then carried out.

Filing a request (``/benefits request <benefit> …``) and clicking **Approve**
may come by the dozen at once. With receipts on (``BENEFITS_RECEIPTS``; by
default on PostgreSQL), their listener saves Slack's payload
(:meth:`bot.services.receipts.ReceiptService.receive`, one insert), acknowledges,
and carries the payload out right after, through the very listener that would
otherwise have run before the acknowledgement: what it would have acknowledged
with (the answer to a command, a refusal) goes to the request's response URL
instead, and the receipt is deleted. A process that dies first leaves the
receipt to another, which takes it over when its lease runs out
(:func:`take_over`); the work decides once, so nothing happens twice.

With receipts off (SQLite's default) the listener runs as before: the answer is
the acknowledgement itself.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_bolt.request.internals import extract_user_id
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.primitives import error_message
from bot.domain.model import InvalidInput
from bot.domain.receipts import Receipt
from bot.i18n.translate import set_reader
from bot.runtime.container import Services
from handlers.refusals import Listener

log = logging.getLogger(__name__)

Wanted = Callable[[Mapping[str, Any]], bool]
"""Whether a payload is saved as a receipt (else carried out before the acknowledgement)."""

_KINDS: dict[str, Listener] = {}
_ANSWER_FIELDS: Final = ("text", "blocks", "attachments", "response_type")


def always(body: Mapping[str, Any]) -> bool:
    del body
    return True


def receipted(
    kind: str, listener: Listener, *, wanted: Wanted = always, unread: tuple[str, ...] = ()
) -> Listener:
    """The Bolt listener for ``listener`` (a command's or a click's, already wrapped by
    :mod:`handlers.refusals`) that saves payloads ``wanted`` as receipts of ``kind``,
    without the fields ``unread`` that the listener never reads (the clicked message:
    a few kilobytes the insert need not carry)."""
    if kind in _KINDS and _KINDS[kind] is not listener:
        raise ValueError(f"receipt kind {kind!r} is taken")
    _KINDS[kind] = listener

    async def on_request(
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        services: Services,
    ) -> None:
        if not services.receipts.enabled or not wanted(body):
            await _call(listener, ack, body, client, respond, services)
            return
        receipt = await services.receipts.receive(kind, body, unread=unread)
        await ack()
        services.background.spawn(
            carry_out(receipt, client, services, respond=respond),
            name=f"receipt {kind}",
            deferred=True,
        )

    on_request.__name__ = listener.__name__
    on_request.__qualname__ = listener.__qualname__
    on_request.__module__ = listener.__module__
    return on_request


async def carry_out(
    receipt: Receipt,
    client: AsyncWebClient,
    services: Services,
    *,
    respond: AsyncRespond | None = None,
) -> None:
    """Run the receipt's listener; send what it answered to the response URL; delete it.

    An unexpected error leaves the receipt for a take-over (a database that was
    briefly away); after :data:`~bot.services.receipts.MAX_ATTEMPTS` takes it is
    given up, and the sender is told nothing was changed.
    """
    listener = _KINDS.get(receipt.kind)
    body = dict(receipt.body)
    url = body.get("response_url")
    if respond is None:
        respond = AsyncRespond(response_url=url if isinstance(url, str) else None)
    since = asyncio.get_running_loop().time()
    async with services.receipts.turn():
        # Each waits for a quiet moment again: a stream of acknowledgements goes first.
        await services.background.quiet_moment(since=since)
        if listener is None:
            log.error("receipt %d of unknown kind %r dropped", receipt.id, receipt.kind)
            await services.receipts.done(receipt.id)
            return
        ack = AsyncAck()  # type: ignore[no-untyped-call]
        try:
            await _call(listener, ack, body, client, respond, services)
            await _send_answer(ack, respond)
        except Exception as error:
            if receipt.attempts < services.receipts.max_attempts:
                log.warning(
                    "receipt %d (%s) failed, left for another try: %s",
                    receipt.id,
                    receipt.kind,
                    type(error).__name__,
                    exc_info=error,
                )
                return
            log.error(
                "receipt %d (%s) given up after %d tries",
                receipt.id,
                receipt.kind,
                receipt.attempts,
                exc_info=error,
            )
            given_up = InvalidInput(
                "Sorry, I could not carry out what you sent just now. Nothing was changed; "
                "please try again."
            )
            await _tell(respond, error_message(given_up))
        await services.receipts.done(receipt.id)


Route = Callable[[dict[str, Any]], Awaitable[tuple[AsyncWebClient, Services] | None]]
"""Whose client and services carry out a receipt, from its payload (its workspace);
None when the bot serves that workspace no more."""


async def take_over(
    client: AsyncWebClient, services: Services, *, route: Route | None = None
) -> int:
    """Carry out the receipts whose lease ran out (their process died); how many.

    With ``route`` (many workspaces) each is carried out by its workspace's client and
    services; one whose workspace the bot serves no more is dropped.
    """
    taken = await services.receipts.take_over()
    for receipt in taken:
        body = dict(receipt.body)
        owner = (client, services) if route is None else await route(body)
        if owner is None:
            log.warning("receipt %d dropped: its workspace is not served here", receipt.id)
            await services.receipts.done(receipt.id)
            continue
        user = extract_user_id(body)  # Bolt's own reading of the payload
        set_reader(owner[1].locales.for_request(user))
        await carry_out(receipt, *owner)
    return len(taken)


async def _call(
    listener: Listener,
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    services: Services,
) -> None:
    offered: dict[str, Any] = {
        "ack": ack,
        "body": body,
        "client": client,
        "respond": respond,
        "services": services,
    }
    names = _parameters(listener)
    if "command" in names:
        offered["command"] = body
    if "action" in names:
        actions = body.get("actions") or [{}]
        offered["action"] = actions[0]
    await listener(**{name: offered[name] for name in names})


@functools.cache
def _parameters(listener: Listener) -> tuple[str, ...]:
    """The argument names ``listener`` declares (read once: ``inspect`` is slow)."""
    return tuple(inspect.signature(listener).parameters)


async def _send_answer(ack: AsyncAck, respond: AsyncRespond) -> None:
    """What the listener acknowledged with, to the response URL (nothing for a bare ack)."""
    if ack.response is None or not ack.response.body:
        return
    try:
        sent = json.loads(ack.response.body)
    except ValueError:
        sent = {"text": ack.response.body}
    if not isinstance(sent, dict):
        return
    await _tell(respond, {k: v for k, v in sent.items() if k in _ANSWER_FIELDS})


async def _tell(respond: AsyncRespond, message: Mapping[str, Any]) -> None:
    if respond.response_url is None:
        return
    fields = dict(message)
    fields.setdefault("response_type", "ephemeral")
    try:
        await respond(replace_original=False, **fields)
    except Exception as error:  # the URL expired or Slack is away: the work is done anyway
        log.warning("answer to a receipt not sent: %s", type(error).__name__)
