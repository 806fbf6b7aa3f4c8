"""The one way a refused request is answered: a listener raises ``DomainError``, and the
decorator of its Slack surface tells the person why, in the shape that surface needs.

* slash command: the acknowledgement itself is the ephemeral refusal;
* button: acknowledge (if the listener has not yet), then answer the clicker through the
  response URL, in the background; or, for a click made in a modal, show the refusal in
  that modal instead; a click on the App Home (no response URL) opens a modal saying why;
* modal submission: ``response_action`` with the refusal at the form's fields, or any
  other answer the form chooses.

Bolt injects listener arguments by their names, so each decorator returns a function
that declares the arguments it needs itself (``ack``, ``respond``, ``services`` ...)
and hands the listener only the ones the listener declares. ``services`` is the
:class:`~bot.runtime.container.Services` that ``build_app``'s middleware put into the
request's context; Bolt passes context values to arguments of the same name.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.activation import form_errors
from bot.blocks.home import refusal_view as home_refusal_view
from bot.blocks.primitives import Block, error_message, render_error
from bot.domain.model import DomainError
from bot.runtime.container import Services
from handlers.replies import refuse

Listener = Callable[..., Awaitable[None]]
FormRefusal = Callable[[DomainError, dict[str, Any]], dict[str, Any]]
"""The arguments of ``ack`` that refuse a submitted form, from the error and the view."""


def _forward(listener: Listener, offered: frozenset[str]) -> Callable[..., Awaitable[None]]:
    """Call ``listener`` with the arguments it declares, out of ``offered``."""
    names = tuple(inspect.signature(listener).parameters)
    unknown = set(names) - offered
    if unknown:
        raise TypeError(
            f"{listener.__qualname__} asks for {sorted(unknown)}; it gets {sorted(offered)}"
        )

    async def call(**available: Any) -> None:
        await listener(**{name: available[name] for name in names})

    return call


def _named_after(wrapper: Listener, listener: Listener) -> Listener:
    # Not functools.wraps: its __wrapped__ would make Bolt inject the listener's
    # arguments instead of the wrapper's.
    wrapper.__name__ = listener.__name__
    wrapper.__qualname__ = listener.__qualname__
    wrapper.__module__ = listener.__module__
    wrapper.__doc__ = listener.__doc__
    return wrapper


_COMMAND_ARGS = frozenset({"ack", "body", "command", "client", "respond", "services"})
_CLICK_ARGS = frozenset({"ack", "body", "action", "client", "respond", "services"})
_FORM_ARGS = frozenset({"ack", "body", "view", "client", "services"})


def refusing_command(listener: Listener) -> Listener:
    """A slash command listener whose ``DomainError`` becomes its ephemeral answer."""
    call = _forward(listener, _COMMAND_ARGS)

    async def on_command(
        ack: AsyncAck,
        body: dict[str, Any],
        command: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        services: Services,
    ) -> None:
        try:
            await call(
                ack=ack,
                body=body,
                command=command,
                client=client,
                respond=respond,
                services=services,
            )
        except DomainError as error:
            if ack.response is None:
                await ack(response_type="ephemeral", **error_message(error))
            else:
                refuse(services, respond, error)

    return _named_after(on_command, listener)


def refusing_click(listener: Listener) -> Listener:
    """A button listener whose ``DomainError`` is answered to the clicker only."""
    return _click(listener, None)


def refusing_click_in_modal(view: Callable[[DomainError], Block]) -> Callable[[Listener], Listener]:
    """Like :func:`refusing_click`, for buttons that also sit in a modal: a refusal of a
    click made there replaces the modal's content with ``view(error)``."""
    return lambda listener: _click(listener, view)


def _click(listener: Listener, in_modal: Callable[[DomainError], Block] | None) -> Listener:
    call = _forward(listener, _CLICK_ARGS)

    async def on_click(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        services: Services,
    ) -> None:
        try:
            await call(
                ack=ack, body=body, action=action, client=client, respond=respond, services=services
            )
        except DomainError as error:
            if ack.response is None:
                await ack()
            opened = body.get("view")
            if isinstance(opened, dict) and opened.get("type") == "home":
                # The Home has no response URL: say why in a small modal.
                services.background.spawn(
                    client.views_open(
                        trigger_id=str(body.get("trigger_id", "")),
                        view=home_refusal_view(render_error(error)),
                    ),
                    name="refusal",
                )
            elif in_modal is not None and isinstance(opened, dict) and opened.get("id"):
                services.background.spawn(
                    client.views_update(
                        view_id=opened["id"], hash=opened.get("hash"), view=in_modal(error)
                    ),
                    name="refusal",
                )
            else:
                refuse(services, respond, error)

    return _named_after(on_click, listener)


def errors_at(block_id: str) -> FormRefusal:
    """Refuse a form with the refusal at ``block_id`` (or each wrong field at its own)."""

    def refusal(error: DomainError, view: dict[str, Any]) -> dict[str, Any]:
        del view
        return {"response_action": "errors", "errors": form_errors(error, first_block=block_id)}

    return refusal


def refusing_submission(refusal: FormRefusal) -> Callable[[Listener], Listener]:
    """A ``view_submission`` listener whose ``DomainError`` is acknowledged with ``refusal``."""

    def decorate(listener: Listener) -> Listener:
        call = _forward(listener, _FORM_ARGS)

        async def on_submission(
            ack: AsyncAck,
            body: dict[str, Any],
            view: dict[str, Any],
            client: AsyncWebClient,
            services: Services,
        ) -> None:
            try:
                await call(ack=ack, body=body, view=view, client=client, services=services)
            except DomainError as error:
                if ack.response is not None:
                    raise  # answered already: nothing can refuse it any more
                await ack(**refusal(error, view))

        return _named_after(on_submission, listener)

    return decorate
