"""PostgreSQL repositories of activations, the marketing contact, advisory hours and
service requests: the small tables of the benefits a person must act on.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.model import (
    Activation,
    ActivationStatus,
    AdvisoryRequest,
    MarketingContact,
    ServiceRequest,
)
from storage.postgres.area import Area
from storage.sqlite.rows import ACTIVATION_COLUMNS, activation_of, dt, stamp


class PostgresActivations(Area):
    """One activation row per benefit."""

    __slots__ = ()

    async def get(self, benefit_id: str) -> Activation | None:
        row = await self._one(
            f"SELECT {ACTIVATION_COLUMNS} FROM activations WHERE benefit_id = ?", (benefit_id,)
        )
        return None if row is None else activation_of(row)

    async def put(self, activation: Activation) -> None:
        a = activation
        await self._rows(
            f"INSERT INTO activations ({ACTIVATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (benefit_id) DO UPDATE SET status = excluded.status, "
            "requested_by = excluded.requested_by, requested_at = excluded.requested_at, "
            "completed_by = excluded.completed_by, completed_at = excluded.completed_at, "
            "access_id = excluded.access_id, contract_id = excluded.contract_id, "
            "expires_on = excluded.expires_on",
            (
                a.benefit_id,
                a.status.value,
                a.requested_by,
                stamp(a.requested_at),
                a.completed_by,
                None if a.completed_at is None else stamp(a.completed_at),
                a.access_id,
                a.contract_id,
                None if a.expires_on is None else a.expires_on.isoformat(),
            ),
        )

    async def all(self, *, status: ActivationStatus | None = None) -> list[Activation]:
        where, params = ("", ()) if status is None else ("WHERE status = ?", (status.value,))
        rows = await self._rows(
            f"SELECT {ACTIVATION_COLUMNS} FROM activations {where} "
            "ORDER BY requested_at, benefit_id",
            params,
        )
        return [activation_of(r) for r in rows]


class PostgresMarketingContact(Area):
    """The one marketing-contact row (``id = 1``)."""

    __slots__ = ()

    async def get(self) -> MarketingContact | None:
        row = await self._one(
            "SELECT user_id, email, phone, language, set_by, set_at FROM marketing_contact "
            "WHERE id = 1"
        )
        if row is None:
            return None
        return MarketingContact(row[0], row[1], row[2], row[3], row[4], dt(row[5]))

    async def put(self, contact: MarketingContact) -> None:
        c = contact
        await self._rows(
            "INSERT INTO marketing_contact (id, user_id, email, phone, language, set_by, set_at) "
            "VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "user_id = excluded.user_id, email = excluded.email, phone = excluded.phone, "
            "language = excluded.language, set_by = excluded.set_by, set_at = excluded.set_at",
            (c.user_id, c.email, c.phone, c.language, c.set_by, stamp(c.set_at)),
        )


class PostgresAdvisory(Area):
    """Advisory-hours requests."""

    __slots__ = ()

    async def add_request(
        self, *, benefit_id: str, user_id: str, hours: int, topic: str, created_at: datetime
    ) -> AdvisoryRequest:
        row = await self._one(
            "INSERT INTO advisory_requests (benefit_id, user_id, hours, topic, created_at) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            (benefit_id, user_id, hours, topic, stamp(created_at)),
        )
        assert row is not None
        return AdvisoryRequest(row[0], benefit_id, user_id, hours, topic, created_at)

    async def hours_used(self, benefit_id: str) -> int:
        row = await self._one(
            "SELECT COALESCE(SUM(hours), 0) FROM advisory_requests WHERE benefit_id = ?",
            (benefit_id,),
        )
        assert row is not None
        return int(row[0])


class PostgresServiceRequests(Area):
    """Service requests, in filing order."""

    __slots__ = ()

    async def add(
        self, *, kind: str, created_by: str, created_at: datetime, detail: str = ""
    ) -> ServiceRequest:
        row = await self._one(
            "INSERT INTO service_requests (kind, status, created_by, created_at, detail) "
            "VALUES (?, 'open', ?, ?, ?) RETURNING id",
            (kind, created_by, stamp(created_at), detail),
        )
        assert row is not None
        return ServiceRequest(row[0], kind, "open", created_by, created_at, detail)

    async def all(self) -> list[ServiceRequest]:
        rows = await self._rows(
            "SELECT id, kind, status, created_by, created_at, detail FROM service_requests "
            "ORDER BY id"
        )
        return [ServiceRequest(r[0], r[1], r[2], r[3], dt(r[4]), r[5]) for r in rows]
