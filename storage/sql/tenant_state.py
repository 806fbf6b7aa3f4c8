"""Statements of the store's tenant (see ``bot.domain.tenancy``) and of erasing its data.

As in :mod:`storage.sql.installations`, an absent ``enterprise_id`` or ``team_id`` is
stored as ''. Erasing deletes from every table the store has, children first, in
the order ``benefits-bot copy-db`` copies them (:func:`storage.copying.ordered`),
reversed; the schema's bookkeeping and the counters the migrations seed stay.
"""

from __future__ import annotations

from typing import Final

from bot.domain.tenancy import Tenant
from storage.copying import BOOKKEEPING, SEEDED, ordered
from storage.sql.rows import Row, dt, opt_dt, stamp

TENANT_COLUMNS: Final = "enterprise_id, team_id, recorded_at, suspended_at, suspended_reason"
GET_TENANT: Final = f"SELECT {TENANT_COLUMNS} FROM tenants ORDER BY enterprise_id, team_id LIMIT 1"
FORGET_TENANTS: Final = "DELETE FROM tenants"
PUT_TENANT: Final = f"INSERT INTO tenants ({TENANT_COLUMNS}) VALUES (?, ?, ?, ?, ?)"
SUSPEND: Final = (
    "UPDATE tenants SET suspended_at = ?, suspended_reason = ? "
    "WHERE suspended_at IS NULL RETURNING 1"
)
RESUME: Final = (
    "UPDATE tenants SET suspended_at = NULL, suspended_reason = NULL "
    "WHERE suspended_at IS NOT NULL RETURNING 1"
)


def tenant_params(tenant: Tenant) -> tuple[object, ...]:
    """The row of a tenant, in :data:`TENANT_COLUMNS` order."""
    return (
        tenant.enterprise_id or "",
        tenant.team_id or "",
        stamp(tenant.recorded_at),
        None if tenant.suspended_at is None else stamp(tenant.suspended_at),
        tenant.suspended_reason,
    )


def tenant(row: Row) -> Tenant:
    """The tenant of a row of :data:`TENANT_COLUMNS`."""
    return Tenant(
        enterprise_id=row[0] or None,
        team_id=row[1] or None,
        recorded_at=dt(row[2]),
        suspended_at=opt_dt(row[3]),
        suspended_reason=row[4],
    )


def erasable(tables: list[str]) -> list[str]:
    """The tables of the store's data, in the order to delete from (children first)."""
    return list(reversed(ordered([t for t in tables if t not in BOOKKEEPING | SEEDED])))


def delete_all(table: str) -> str:
    return f'DELETE FROM "{table}"'
