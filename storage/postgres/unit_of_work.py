"""The PostgreSQL :class:`storage.unit_of_work.UnitOfWork`: every area over one connection.

Which transaction it runs in is the store's business (READ COMMITTED holding the
writers' lock, exclusively or shared, for ``write()``; REPEATABLE READ READ ONLY
for ``read()``); the unit of work only groups the area repositories that share the
connection, and tells the assignments whether the writers' lock is held
exclusively (then ``hold`` has nothing to add).
"""

from __future__ import annotations

from storage.postgres.activations import (
    PostgresActivations,
    PostgresAdvisory,
    PostgresMarketingContact,
    PostgresServiceRequests,
)
from storage.postgres.area import Connection
from storage.postgres.assignments import PostgresAssignments
from storage.postgres.audit import PostgresAudit
from storage.postgres.benefits import NameCache, PostgresBenefits, PostgresMembership
from storage.postgres.installations import PostgresInstallations, PostgresOAuthStates
from storage.postgres.keys import PostgresKeys
from storage.postgres.offboarding import PostgresOffboardings, PostgresSeatChecks
from storage.postgres.outbox import PostgresOutbox
from storage.postgres.people import PostgresPeople
from storage.postgres.requests import PostgresRequests
from storage.postgres.settings import PostgresSettings
from storage.postgres.tenant_state import PostgresTenantState


class PostgresUnitOfWork:
    """The area repositories of one pooled connection, for one block."""

    __slots__ = (
        "activations",
        "advisory",
        "assignments",
        "audit",
        "benefits",
        "installations",
        "keys",
        "marketing_contact",
        "membership",
        "oauth_states",
        "offboardings",
        "outbox",
        "people",
        "requests",
        "seat_checks",
        "service_requests",
        "settings",
        "tenant_state",
    )

    def __init__(
        self,
        conn: Connection,
        names: NameCache | None = None,
        *,
        exclusive: bool = False,
    ) -> None:
        self.membership = PostgresMembership(conn)
        self.benefits = PostgresBenefits(conn, names)
        self.assignments = PostgresAssignments(conn, exclusive=exclusive)
        self.keys = PostgresKeys(conn)
        self.activations = PostgresActivations(conn)
        self.marketing_contact = PostgresMarketingContact(conn)
        self.advisory = PostgresAdvisory(conn)
        self.service_requests = PostgresServiceRequests(conn)
        self.requests = PostgresRequests(conn)
        self.people = PostgresPeople(conn)
        self.audit = PostgresAudit(conn)
        self.outbox = PostgresOutbox(conn)
        self.offboardings = PostgresOffboardings(conn)
        self.seat_checks = PostgresSeatChecks(conn)
        self.installations = PostgresInstallations(conn)
        self.tenant_state = PostgresTenantState(conn)
        self.oauth_states = PostgresOAuthStates(conn)
        self.settings = PostgresSettings(conn)
