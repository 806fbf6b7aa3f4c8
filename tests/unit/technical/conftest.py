"""Technical benefits, activation and the marketing contact share one cast: ADMIN is Global
admin, PARTNER_ADMIN an MPN partner admin, AGENT an admin agent and USER_ADMIN a user admin,
with the signature cloud support, incidents, advisory hours and a Gold core benefit stocked."""

from __future__ import annotations

import pytest

from bot.domain.clock import FakeClock
from bot.runtime.container import Services
from storage.sqlite import SqliteStore
from tests.unit.conftest import AddBenefits
from tests.unit.helpers import Recorder, technical_services


@pytest.fixture
def sink() -> Recorder:
    """Records every event the services publish."""
    return Recorder()


@pytest.fixture
async def services(
    services: Services,
    store: SqliteStore,
    clock: FakeClock,
    add_benefits: AddBenefits,
    sink: Recorder,
) -> Services:
    """The services, with ``sink`` recording every event."""
    return await technical_services(services, store, clock, add_benefits, sink)
