"""Ports for the benefits that need a person to act: activations, the marketing
contact, advisory hours and service requests.

Each is small and changes together with the activation flows in
``bot.services.activation``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.domain.model import (
    Activation,
    ActivationStatus,
    AdvisoryRequest,
    MarketingContact,
    ServiceRequest,
)


class ActivationRepository(Protocol):
    """Activations of benefits that must be switched on by hand (one per benefit)."""

    async def get(self, benefit_id: str) -> Activation | None: ...

    async def put(self, activation: Activation) -> None: ...

    async def all(self, *, status: ActivationStatus | None = None) -> list[Activation]:
        """Activations ordered by request time."""
        ...


class MarketingContactRepository(Protocol):
    """The one marketing contact."""

    async def get(self) -> MarketingContact | None: ...

    async def put(self, contact: MarketingContact) -> None: ...


class AdvisoryRepository(Protocol):
    """Advisory-hours requests and the hours they used."""

    async def add_request(
        self, *, benefit_id: str, user_id: str, hours: int, topic: str, created_at: datetime
    ) -> AdvisoryRequest: ...

    async def hours_used(self, benefit_id: str) -> int: ...


class ServiceRequestRepository(Protocol):
    """Service requests filed with the membership administrators."""

    async def add(
        self, *, kind: str, created_by: str, created_at: datetime, detail: str = ""
    ) -> ServiceRequest: ...

    async def all(self) -> list[ServiceRequest]: ...
