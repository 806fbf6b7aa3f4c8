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
from storage.sql import activations as sql
from storage.sql.rows import activation_of, dt, stamp


class PostgresActivations(Area):
    """One activation row per benefit."""

    __slots__ = ()

    async def get(self, benefit_id: str) -> Activation | None:
        row = await self._one(sql.GET, (benefit_id,))
        return None if row is None else activation_of(row)

    async def put(self, activation: Activation) -> None:
        a = activation
        await self._rows(
            sql.PUT,
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
        if status is None:
            rows = await self._rows(sql.ALL)
        else:
            rows = await self._rows(sql.WITH_STATUS, (status.value,))
        return [activation_of(r) for r in rows]


class PostgresMarketingContact(Area):
    """The one marketing-contact row (``id = 1``)."""

    __slots__ = ()

    async def get(self) -> MarketingContact | None:
        row = await self._one(sql.CONTACT)
        if row is None:
            return None
        return MarketingContact(row[0], row[1], row[2], row[3], row[4], dt(row[5]))

    async def put(self, contact: MarketingContact) -> None:
        c = contact
        await self._rows(
            sql.PUT_CONTACT,
            (c.user_id, c.email, c.phone, c.language, c.set_by, stamp(c.set_at)),
        )


class PostgresAdvisory(Area):
    """Advisory-hours requests."""

    __slots__ = ()

    async def add_request(
        self, *, benefit_id: str, user_id: str, hours: int, topic: str, created_at: datetime
    ) -> AdvisoryRequest:
        row = await self._one(
            sql.ADD_ADVISORY,
            (benefit_id, user_id, hours, topic, stamp(created_at)),
        )
        assert row is not None
        return AdvisoryRequest(row[0], benefit_id, user_id, hours, topic, created_at)

    async def hours_used(self, benefit_id: str) -> int:
        row = await self._one(
            sql.HOURS_USED,
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
            sql.ADD_SERVICE_REQUEST,
            (kind, created_by, stamp(created_at), detail),
        )
        assert row is not None
        return ServiceRequest(row[0], kind, "open", created_by, created_at, detail)

    async def all(self) -> list[ServiceRequest]:
        rows = await self._rows(sql.SERVICE_REQUESTS)
        return [ServiceRequest(r[0], r[1], r[2], r[3], dt(r[4]), r[5]) for r in rows]
