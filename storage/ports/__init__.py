"""One small protocol per storage area; :class:`storage.unit_of_work.UnitOfWork` has one of each.

Services depend on the area they use (``uow.requests``, ``uow.outbox``, ...)
rather than on one wide repository, and a store implements each area once.
"""

from __future__ import annotations

from storage.ports.activations import (
    ActivationRepository,
    AdvisoryRepository,
    MarketingContactRepository,
    ServiceRequestRepository,
)
from storage.ports.assignments import AssignmentRepository
from storage.ports.audit import AuditRepository
from storage.ports.benefits import BenefitRepository
from storage.ports.exclusive import AlwaysHeld, Exclusive
from storage.ports.installations import InstallationRepository, OAuthStateRepository
from storage.ports.keys import KeyRepository
from storage.ports.membership import MembershipRepository
from storage.ports.outbox import OutboxRepository
from storage.ports.people import PeopleRepository
from storage.ports.requests import RequestRepository
from storage.ports.settings import SettingsRepository
from storage.ports.tenant_state import TenantStateRepository

__all__ = [
    "ActivationRepository",
    "AdvisoryRepository",
    "AlwaysHeld",
    "AssignmentRepository",
    "AuditRepository",
    "BenefitRepository",
    "Exclusive",
    "InstallationRepository",
    "KeyRepository",
    "MarketingContactRepository",
    "MembershipRepository",
    "OAuthStateRepository",
    "OutboxRepository",
    "PeopleRepository",
    "RequestRepository",
    "ServiceRequestRepository",
    "SettingsRepository",
    "TenantStateRepository",
]
