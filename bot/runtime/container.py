"""What the Slack listeners are given: the service and a few settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.blocks.rendered import RenderedPages
from bot.runtime.background import Background
from bot.services.activation import ActivationService
from bot.services.benefits import BenefitsService
from bot.services.keys import KeyService

UserEmail = Callable[[str], Awaitable[str]]
"""The email of a user's Slack profile ("" when it has none or Slack can't tell)."""


async def no_user_email(user_id: str) -> str:
    del user_id
    return ""


@dataclass
class Services:
    """What every listener gets as its ``services`` argument (see ``build_app``)."""

    benefits: BenefitsService
    admin_channel: str | None = None
    keys: KeyService = field(kw_only=True)
    activation: ActivationService = field(kw_only=True)  # technical benefits, offers, support
    background: Background = field(default_factory=Background)
    rendered: RenderedPages = field(default_factory=RenderedPages)
    user_email: UserEmail = no_user_email  # set by ``build_app`` to ask Slack's users.info
