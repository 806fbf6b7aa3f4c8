"""Slack listeners by the surface Slack calls them on, as Bolt's starter template lays
them out: ``commands/``, ``actions/``, ``options/``, ``views/``, ``events/`` and ``shortcuts/``, each a package of
modules named after the service areas, with a ``register(app)`` that only wires.

Listeners are module-level functions and thin: acknowledge, parse the payload, call
one service function, render the result with a builder, send. Slack calls that the
acknowledgement does not need run afterwards, in the background. They take the
``services`` argument, which Bolt fills from the request's context, where
``build_app``'s middleware puts the :class:`~bot.runtime.container.Services`; a
refusal (``DomainError``) is answered by :mod:`handlers.refusals`.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import actions, commands, events, options, shortcuts, views


def register_all(app: AsyncApp) -> None:
    for surface in (commands, actions, options, views, events, shortcuts):
        surface.register(app)
