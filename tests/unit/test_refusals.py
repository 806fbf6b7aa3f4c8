"""The refusal decorators, as Bolt sees and calls them.

Bolt injects listener arguments by name (``get_arg_names_of_callable``), so a
decorated listener must show the wrapper's arguments, not the listener's. The
Slack-level tests (tests/slack) pin what people read; these pin the machinery.
"""

from __future__ import annotations

from typing import Any

import pytest
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.util.utils import get_arg_names_of_callable

from bot.blocks import ids
from bot.domain.model import Forbidden
from bot.runtime.container import Services
from handlers.refusals import errors_at, refusing_click, refusing_command, refusing_submission


class Recorder:
    """A stand-in for ``respond`` and the services' background: what was sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def respond(self, **payload: Any) -> None:
        self.sent.append(payload)

    def spawn(self, work: Any, *, name: str = "", deferred: bool = False) -> None:
        del name, deferred
        self.pending = work


def services_with(recorder: Recorder) -> Services:
    services = Services.__new__(Services)
    services.background = recorder  # type: ignore[assignment]
    return services


async def refuse_it(ack: AsyncAck) -> None:
    del ack
    raise Forbidden("Only a Global admin can do that.")


def test_bolt_injects_the_arguments_the_wrapper_declares() -> None:
    listener = refusing_click(refuse_it)
    names = get_arg_names_of_callable(listener)
    assert {"ack", "respond", "services"} <= set(names)
    assert listener.__name__ == "refuse_it"


def test_a_listener_asking_for_an_argument_its_surface_lacks_is_refused_at_import() -> None:
    async def wants_view(ack: AsyncAck, view: dict[str, Any]) -> None:
        del ack, view

    with pytest.raises(TypeError, match="view"):
        refusing_click(wants_view)


async def test_a_refused_command_is_acknowledged_with_the_reason() -> None:
    ack = AsyncAck()  # type: ignore[no-untyped-call]
    recorder = Recorder()
    await refusing_command(refuse_it)(
        ack=ack,
        body={},
        command={},
        client=None,
        respond=recorder.respond,
        services=services_with(recorder),
    )
    assert ack.response is not None
    assert "Only a Global admin can do that." in str(ack.response.body)
    assert '"response_type": "ephemeral"' in str(ack.response.body)


async def test_a_refused_click_is_acknowledged_then_answered_to_the_clicker() -> None:
    ack = AsyncAck()  # type: ignore[no-untyped-call]
    recorder = Recorder()
    await refusing_click(refuse_it)(
        ack=ack,
        body={},
        action={},
        client=None,
        respond=recorder.respond,
        services=services_with(recorder),
    )
    assert ack.response is not None
    assert ack.response.body == ""
    await recorder.pending
    (answer,) = recorder.sent
    assert answer["response_type"] == "ephemeral"
    assert answer["replace_original"] is False
    assert "Only a Global admin can do that." in answer["text"]


async def test_a_refused_form_shows_the_reason_at_its_block() -> None:
    ack = AsyncAck()  # type: ignore[no-untyped-call]
    await refusing_submission(errors_at(ids.DENY_REASON_BLOCK))(refuse_it)(
        ack=ack, body={}, view={}, client=None, services=services_with(Recorder())
    )
    assert ack.response is not None
    assert '"response_action": "errors"' in str(ack.response.body)
    assert ids.DENY_REASON_BLOCK in str(ack.response.body)
