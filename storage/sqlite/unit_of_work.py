"""The SQLite :class:`storage.unit_of_work.UnitOfWork`: every area over one connection.

Which transaction it runs in is the store's business (``BEGIN IMMEDIATE`` for
``write()``, a deferred read transaction for ``read()``); the unit of work only
groups the area repositories that share the connection.
"""

from __future__ import annotations

import sqlite3

from storage.sqlite.activations import (
    SqliteActivations,
    SqliteAdvisory,
    SqliteMarketingContact,
    SqliteServiceRequests,
)
from storage.sqlite.assignments import SqliteAssignments
from storage.sqlite.audit import SqliteAudit
from storage.sqlite.benefits import NameCache, SqliteBenefits, SqliteMembership
from storage.sqlite.installations import SqliteInstallations, SqliteOAuthStates
from storage.sqlite.keys import SqliteKeys
from storage.sqlite.offboarding import SqliteOffboardings, SqliteSeatChecks
from storage.sqlite.outbox import SqliteOutbox
from storage.sqlite.people import SqlitePeople
from storage.sqlite.requests import SqliteRequests
from storage.sqlite.settings import SqliteSettings
from storage.sqlite.tenant_state import SqliteTenantState


class SqliteUnitOfWork:
    """The area repositories of one connection, built once per connection."""

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

    def __init__(self, conn: sqlite3.Connection, names: NameCache | None = None) -> None:
        self.membership = SqliteMembership(conn)
        self.benefits = SqliteBenefits(conn, names)
        self.assignments = SqliteAssignments(conn)
        self.keys = SqliteKeys(conn)
        self.activations = SqliteActivations(conn)
        self.marketing_contact = SqliteMarketingContact(conn)
        self.advisory = SqliteAdvisory(conn)
        self.service_requests = SqliteServiceRequests(conn)
        self.requests = SqliteRequests(conn)
        self.people = SqlitePeople(conn)
        self.audit = SqliteAudit(conn)
        self.outbox = SqliteOutbox(conn)
        self.offboardings = SqliteOffboardings(conn)
        self.seat_checks = SqliteSeatChecks(conn)
        self.installations = SqliteInstallations(conn)
        self.tenant_state = SqliteTenantState(conn)
        self.oauth_states = SqliteOAuthStates(conn)
        self.settings = SqliteSettings(conn)
