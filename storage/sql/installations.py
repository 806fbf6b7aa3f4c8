"""Statements of installations (tokens as ciphertexts) and OAuth states.

An absent ``enterprise_id`` or ``team_id`` is stored as '' so that the pair can
be the primary key on both engines (a NULL would never equal another).
"""

from __future__ import annotations

from typing import Final

from bot.domain.installations import SealedInstallation
from storage.sql.rows import Row, dt, opt_dt, stamp

INSTALLATION_COLUMNS: Final = (
    "enterprise_id, team_id, is_enterprise_install, app_id, enterprise_name, team_name, "
    "bot_id, bot_user_id, bot_scopes, bot_token_expires_at, installer_user_id, installed_at, "
    "bot_token, bot_refresh_token"
)
PUT_INSTALLATION: Final = (
    f"INSERT INTO installations ({INSTALLATION_COLUMNS}) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (enterprise_id, team_id) DO UPDATE SET "
    "is_enterprise_install = excluded.is_enterprise_install, app_id = excluded.app_id, "
    "enterprise_name = excluded.enterprise_name, team_name = excluded.team_name, "
    "bot_id = excluded.bot_id, bot_user_id = excluded.bot_user_id, "
    "bot_scopes = excluded.bot_scopes, bot_token_expires_at = excluded.bot_token_expires_at, "
    "installer_user_id = excluded.installer_user_id, installed_at = excluded.installed_at, "
    "bot_token = excluded.bot_token, bot_refresh_token = excluded.bot_refresh_token"
)
GET_INSTALLATION: Final = (
    f"SELECT {INSTALLATION_COLUMNS} FROM installations WHERE enterprise_id = ? AND team_id = ?"
)
DELETE_INSTALLATION: Final = (
    "DELETE FROM installations WHERE enterprise_id = ? AND team_id = ? RETURNING 1"
)
ALL_INSTALLATIONS: Final = (
    f"SELECT {INSTALLATION_COLUMNS} FROM installations ORDER BY enterprise_id, team_id"
)

ADD_STATE: Final = "INSERT INTO oauth_states (state, expires_at) VALUES (?, ?)"
CONSUME_STATE: Final = "DELETE FROM oauth_states WHERE state = ? AND expires_at > ? RETURNING 1"
PURGE_STATES: Final = "DELETE FROM oauth_states WHERE expires_at <= ? RETURNING 1"


def installation_params(installation: SealedInstallation) -> tuple[object, ...]:
    """The row of an installation, in :data:`INSTALLATION_COLUMNS` order."""
    expires = installation.bot_token_expires_at
    return (
        installation.enterprise_id or "",
        installation.team_id or "",
        int(installation.is_enterprise_install),
        installation.app_id,
        installation.enterprise_name,
        installation.team_name,
        installation.bot_id,
        installation.bot_user_id,
        ",".join(installation.bot_scopes),
        None if expires is None else stamp(expires),
        installation.installer_user_id,
        stamp(installation.installed_at),
        installation.bot_token_ciphertext,
        installation.bot_refresh_token_ciphertext,
    )


def installation(row: Row) -> SealedInstallation:
    """The installation of a row of :data:`INSTALLATION_COLUMNS`."""
    return SealedInstallation(
        enterprise_id=row[0] or None,
        team_id=row[1] or None,
        is_enterprise_install=bool(row[2]),
        app_id=row[3],
        enterprise_name=row[4],
        team_name=row[5],
        bot_id=row[6],
        bot_user_id=row[7],
        bot_scopes=tuple(scope for scope in row[8].split(",") if scope),
        bot_token_expires_at=opt_dt(row[9]),
        installer_user_id=row[10],
        installed_at=dt(row[11]),
        bot_token_ciphertext=row[12],
        bot_refresh_token_ciphertext=row[13],
    )
