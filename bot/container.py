"""What the Slack listeners are given: the service and a few settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.background import Background
from bot.service import BenefitsService


@dataclass
class Services:
    """The dependencies every ``register(app, services)`` receives."""

    benefits: BenefitsService
    admin_channel: str | None = None
    background: Background = field(default_factory=Background)
