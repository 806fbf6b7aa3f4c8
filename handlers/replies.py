"""What listeners of every surface share: the shape of a reply and answering only the
clicker.

Messages a change owes anyone else — posting an approval request where Global
admins see it, updating every copy of it once it is decided, the notices to
admins — are not sent from here: the services queue them in the outbox with the
change (:mod:`bot.services.notices`), and the delivery loop sends them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from slack_bolt.async_app import AsyncRespond

from bot.blocks.primitives import Block, Message, error_message
from bot.domain.model import DomainError
from bot.i18n.translate import t
from bot.runtime.container import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Reply:
    """What to answer, or a modal to open instead of answering."""

    message: Message
    view: Block | None = None


async def admins_where(services: Services, *, otherwise: str) -> str:
    """Where the admins were told: the admin channel, or ``otherwise`` (already translated)."""
    channel = await services.notices.current_channel()
    if channel:
        return t("in <#{channel}>", channel=channel)
    return otherwise


def answer(
    services: Services,
    respond: AsyncRespond,
    payload: Message,
    *,
    replace: bool = False,
    name: str = "answer",
) -> None:
    """Send ``payload`` as an ephemeral reply through the response URL, in the background."""
    services.background.spawn(
        respond(response_type="ephemeral", replace_original=replace, **payload), name=name
    )


def refuse(services: Services, respond: AsyncRespond, error: DomainError) -> None:
    """Say why a click was refused, to the clicker only."""
    answer(services, respond, error_message(error), name="refusal")


def answer_after_ack(
    services: Services,
    respond: AsyncRespond,
    build: Callable[[], Awaitable[Message]],
    *,
    replace: bool = False,
    name: str = "answer",
) -> None:
    """Build the answer after the acknowledgement went out, then send it to the clicker.

    For answers that take a database read and rendering (a page of the list): the
    click is acknowledged at once, and a refusal raised while building is answered
    like any other (:func:`refuse`).
    """

    async def build_and_send() -> None:
        try:
            payload = await build()
        except DomainError as error:
            await respond(response_type="ephemeral", replace_original=False, **error_message(error))
            return
        await respond(response_type="ephemeral", replace_original=replace, **payload)

    services.background.spawn(build_and_send(), name=name)
