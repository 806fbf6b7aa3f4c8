"""The SQLite schema, as an append-only list of migration scripts.

``PRAGMA user_version`` records how many scripts have run, so a database file
made by any earlier version opens and is brought up to date in one
``BEGIN IMMEDIATE`` transaction. Never edit a script that has shipped: append a
new one. Names are compared and ordered through stored case-folded keys (see
migration 4); ``py_casefold`` is Python's ``str.casefold``, registered on every
connection, so the order and the prefix search agree beyond ASCII.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Final

import aiosqlite

from storage.schema import check_version
from storage.sqlite.connections import begin_immediate, rollback_quietly

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "create_schema", "migrate", "split_statements"]

# -- schema ------------------------------------------------------------------

MIGRATIONS: Final[tuple[str, ...]] = (
    # 1: the first schema.
    """
    CREATE TABLE membership (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        level TEXT NOT NULL,
        purchase_date TEXT NOT NULL,
        end_date TEXT NOT NULL,
        account_email TEXT NOT NULL,
        managed_in_pmc INTEGER NOT NULL DEFAULT 0
    );

    CREATE TABLE benefits (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        seats INTEGER,
        description TEXT NOT NULL DEFAULT '',
        instructions TEXT NOT NULL DEFAULT '',
        extra TEXT NOT NULL DEFAULT '{}'
    );

    CREATE TABLE assignments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        benefit_id TEXT NOT NULL REFERENCES benefits (id),
        user_id TEXT,
        holder_email TEXT,
        assigned_at TEXT NOT NULL,
        assigned_by TEXT NOT NULL,
        released_at TEXT
    );
    CREATE UNIQUE INDEX assignments_one_active_seat_per_user
        ON assignments (benefit_id, user_id)
        WHERE released_at IS NULL AND user_id IS NOT NULL;
    CREATE INDEX assignments_active_by_benefit
        ON assignments (benefit_id, assigned_at)
        WHERE released_at IS NULL;
    CREATE INDEX assignments_active_by_user
        ON assignments (user_id, assigned_at)
        WHERE released_at IS NULL;

    CREATE TABLE requests (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        benefit_id TEXT NOT NULL REFERENCES benefits (id),
        requester_id TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        decided_by TEXT,
        decided_at TEXT,
        decision_note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX requests_by_requester ON requests (requester_id, status);
    CREATE UNIQUE INDEX requests_one_pending
        ON requests (requester_id, benefit_id)
        WHERE status = 'pending';

    CREATE TABLE request_messages (
        request_id INTEGER NOT NULL,
        channel TEXT NOT NULL,
        ts TEXT NOT NULL,
        PRIMARY KEY (request_id, channel, ts)
    );

    CREATE TABLE roles (
        user_id TEXT NOT NULL,
        role TEXT NOT NULL,
        granted_at TEXT NOT NULL,
        PRIMARY KEY (user_id, role)
    ) WITHOUT ROWID;
    CREATE INDEX roles_by_role ON roles (role, user_id);

    CREATE TABLE users (
        user_id TEXT PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        email TEXT NOT NULL DEFAULT ''
    );

    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    """,
    # 2: every kind of benefit: details, keys, activations, contact, advisory hours.
    """
    ALTER TABLE membership ADD COLUMN cloud_competency INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE benefits ADD COLUMN expires_on TEXT;
    CREATE INDEX benefits_by_expiry ON benefits (expires_on) WHERE expires_on IS NOT NULL;
    CREATE INDEX assignments_released_by_benefit
        ON assignments (benefit_id) WHERE released_at IS NOT NULL;
    CREATE INDEX assignments_by_time ON assignments (assigned_at);

    CREATE TABLE product_keys (
        benefit_id TEXT NOT NULL REFERENCES benefits (id),
        position INTEGER NOT NULL,
        ciphertext TEXT NOT NULL,
        PRIMARY KEY (benefit_id, position)
    ) WITHOUT ROWID;

    CREATE TABLE key_reveals (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        benefit_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX key_reveals_by_time ON key_reveals (at);

    CREATE TABLE activations (
        benefit_id TEXT PRIMARY KEY REFERENCES benefits (id),
        status TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        completed_by TEXT,
        completed_at TEXT,
        access_id TEXT NOT NULL DEFAULT '',
        contract_id TEXT NOT NULL DEFAULT '',
        expires_on TEXT
    );
    CREATE INDEX activations_by_status ON activations (status, requested_at);
    CREATE INDEX activations_by_expiry ON activations (expires_on) WHERE expires_on IS NOT NULL;

    CREATE TABLE marketing_contact (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        user_id TEXT NOT NULL,
        email TEXT NOT NULL,
        phone TEXT NOT NULL,
        language TEXT NOT NULL,
        set_by TEXT NOT NULL,
        set_at TEXT NOT NULL
    );

    CREATE TABLE advisory_requests (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        benefit_id TEXT NOT NULL REFERENCES benefits (id),
        user_id TEXT NOT NULL,
        hours INTEGER NOT NULL CHECK (hours > 0),
        topic TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX advisory_by_benefit ON advisory_requests (benefit_id);

    CREATE TABLE service_requests (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    """,
    # 3: reminders: the outbox of pings, sweep watermarks, and the indexes the sweeps use.
    """
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,
        recipient TEXT NOT NULL,
        kind TEXT NOT NULL,
        params TEXT NOT NULL DEFAULT '{}',
        state TEXT NOT NULL DEFAULT 'queued'
            CHECK (state IN ('queued', 'sent', 'parked', 'cancelled')),
        created_at TEXT NOT NULL,
        due_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        claimed_by TEXT,
        claimed_until TEXT,
        sent_at TEXT,
        channel TEXT,
        ts TEXT,
        UNIQUE (key, recipient)
    );
    CREATE INDEX outbox_queued_by_due ON outbox (due_at, id) WHERE state = 'queued';
    CREATE INDEX outbox_by_state ON outbox (state, id);

    CREATE TABLE sweep_watermarks (
        name TEXT PRIMARY KEY,
        watermark TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE INDEX requests_pending_by_age ON requests (created_at) WHERE status = 'pending';
    CREATE INDEX activations_active_by_expiry
        ON activations (expires_on) WHERE status = 'active' AND expires_on IS NOT NULL;
    """,
    # 4: a stored sort key, so the inventory is listed in order through an index
    # (no Python function called per row, no sort).
    """
    ALTER TABLE benefits ADD COLUMN category_rank INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE benefits ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
    UPDATE benefits SET name_key = py_casefold(name),
        category_rank = CASE category WHEN 'software' THEN 0 WHEN 'cloud' THEN 1 WHEN 'visual_studio' THEN 2 WHEN 'technical' THEN 3 WHEN 'gtm' THEN 4 ELSE 999 END;
    CREATE INDEX benefits_in_order ON benefits (category_rank, name_key, id);
    CREATE INDEX benefits_by_name_key ON benefits (name_key);
    """,
    # 5: generations that triggers bump whenever the inventory ('benefits') or
    # anyone's seats ('seats') change, whichever connection or process commits,
    # so what was built from them (the name index, pages of the list) is kept
    # while nothing it shows changed.
    """
    CREATE TABLE generations (
        area TEXT PRIMARY KEY,
        n INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO generations (area, n) VALUES ('benefits', 1), ('seats', 1);
    CREATE TRIGGER benefits_inserted AFTER INSERT ON benefits BEGIN
        UPDATE generations SET n = n + 1 WHERE area = 'benefits';
    END;
    CREATE TRIGGER benefits_updated AFTER UPDATE ON benefits BEGIN
        UPDATE generations SET n = n + 1 WHERE area = 'benefits';
    END;
    CREATE TRIGGER benefits_deleted AFTER DELETE ON benefits BEGIN
        UPDATE generations SET n = n + 1 WHERE area = 'benefits';
    END;
    CREATE TRIGGER assignments_inserted AFTER INSERT ON assignments BEGIN
        UPDATE generations SET n = n + 1 WHERE area = 'seats';
    END;
    CREATE TRIGGER assignments_updated AFTER UPDATE ON assignments BEGIN
        UPDATE generations SET n = n + 1 WHERE area = 'seats';
    END;
    CREATE TRIGGER assignments_deleted AFTER DELETE ON assignments BEGIN
        UPDATE generations SET n = n + 1 WHERE area = 'seats';
    END;
    """,
    # 6: every Slack side effect goes through the outbox: an update of a message refers
    # to the queued post it updates, and is claimable only once that post is sent.
    """
    ALTER TABLE outbox ADD COLUMN after_id INTEGER REFERENCES outbox (id);
    CREATE INDEX outbox_by_after ON outbox (after_id) WHERE after_id IS NOT NULL;
    """,
    # 7: a send is recorded as started before the Slack call, so whoever takes the row
    # over after a crash reads the conversation back before sending it again.
    """
    ALTER TABLE outbox ADD COLUMN send_started_at TEXT;
    """,
    # 8: offboarding (a person Slack deactivated: what they held goes back) and the
    # "still using it?" checks of idle seats.
    """
    CREATE TABLE offboardings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL,
        left_at TEXT NOT NULL,
        source TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'open',
        decided_by TEXT,
        decided_at TEXT,
        returned_at TEXT
    );
    CREATE UNIQUE INDEX offboardings_one_departure ON offboardings (user_id)
        WHERE returned_at IS NULL;

    CREATE TABLE seat_checks (
        assignment_id INTEGER PRIMARY KEY,
        asked_at TEXT NOT NULL,
        answer TEXT,
        answered_at TEXT
    );
    """,
    # 9: the language a person chose with `/benefits language` (nl, en), kept apart from
    # the directory rows: choosing one does not put a person in the directory.
    """
    CREATE TABLE user_languages (
        user_id TEXT PRIMARY KEY,
        language TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # 10: the queued rows of the outbox by key, for "is one already waiting?" (a person's
    # Home): without it the look-up read every row ever sent under that prefix.
    """
    CREATE INDEX outbox_by_state_key ON outbox (state, key);
    """,
    # 11: receipts: Slack requests saved before they are acknowledged and deleted once
    # carried out, each leased to the process carrying it out (see bot.domain.receipts).
    """
    CREATE TABLE receipts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,
        received_at TEXT NOT NULL,
        claimed_by TEXT NOT NULL,
        claimed_until TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX receipts_by_lease ON receipts (claimed_until, id);
    """,
    # 12: installations of the bot per workspace or Enterprise Grid org (an absent
    # enterprise or team is ''), their tokens as Fernet ciphertexts only, and the
    # OAuth states of installs under way (docs/installations.md).
    """
    CREATE TABLE installations (
        enterprise_id TEXT NOT NULL,
        team_id TEXT NOT NULL,
        is_enterprise_install INTEGER NOT NULL DEFAULT 0,
        app_id TEXT,
        enterprise_name TEXT,
        team_name TEXT,
        bot_id TEXT,
        bot_user_id TEXT,
        bot_scopes TEXT NOT NULL DEFAULT '',
        bot_token_expires_at TEXT,
        installer_user_id TEXT,
        installed_at TEXT NOT NULL,
        bot_token TEXT NOT NULL,
        bot_refresh_token TEXT,
        PRIMARY KEY (enterprise_id, team_id)
    ) WITHOUT ROWID;

    CREATE TABLE oauth_states (
        state TEXT PRIMARY KEY,
        expires_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX oauth_states_by_expiry ON oauth_states (expires_at);
    """,
    # 13: who has opened their App Home: only their Homes are republished after a
    # change (anyone else's is built when they first open it).
    """
    CREATE TABLE home_viewers (
        user_id TEXT PRIMARY KEY,
        opened_at TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # 14: the workspace (or Enterprise Grid org) whose data the database holds, and
    # whether sending is suspended (the app uninstalled or its token revoked: since when,
    # why); the outbox rows a suspension parked, requeued when it ends
    # (docs/installations.md, "Uninstalls and revoked tokens").
    """
    CREATE TABLE tenants (
        enterprise_id TEXT NOT NULL,
        team_id TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        suspended_at TEXT,
        suspended_reason TEXT,
        PRIMARY KEY (enterprise_id, team_id)
    ) WITHOUT ROWID;
    INSERT INTO tenants (enterprise_id, team_id, recorded_at)
        SELECT enterprise_id, team_id, installed_at FROM installations;
    ALTER TABLE outbox ADD COLUMN suspended INTEGER NOT NULL DEFAULT 0;
    """,
    # 15: what a Global admin sets up from Slack: the admin channel (BENEFITS_ADMIN_CHANNEL,
    # when set, wins over it).
    """
    CREATE TABLE settings (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        admin_channel TEXT,
        set_by TEXT NOT NULL,
        set_at TEXT NOT NULL
    );
    """,
)

SCHEMA_VERSION: Final = len(MIGRATIONS)


def split_statements(script: str) -> list[str]:
    """Split a migration script into statements (``executescript`` would COMMIT)."""
    statements: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            code = re.sub(r"--[^\n]*", "", pending).strip(" \t\r\n;")
            if code:
                statements.append(pending.strip())
            pending = ""
    if re.sub(r"--[^\n]*", "", pending).strip(" \t\r\n;"):
        raise ValueError(f"incomplete SQL statement in a migration: {pending.strip()[:80]!r}")
    return statements


async def migrate(conn: aiosqlite.Connection, *, allowed: bool = True) -> tuple[int, int]:
    """Run the scripts the file has not seen yet, in one transaction; (version before, after).

    With ``allowed`` False it only checks: a schema behind the code is refused,
    as is one ahead of it (always), with a :class:`~storage.schema.SchemaError`.
    """
    await begin_immediate(conn)
    try:
        row = next(iter(await conn.execute_fetchall("PRAGMA user_version")))
        version = int(row[0])
        check_version(version, SCHEMA_VERSION, migrate=allowed)
        for script in MIGRATIONS[version:]:
            for statement in split_statements(script):
                await conn.execute_fetchall(statement)
        if version < SCHEMA_VERSION:
            await conn.execute_fetchall(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        await rollback_quietly(conn)
        raise
    await conn.execute_fetchall("COMMIT")
    return version, SCHEMA_VERSION


def create_schema(conn: sqlite3.Connection) -> None:
    """Run every script on a new, empty database, blocking (for throw-away databases)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] != 0:
            raise RuntimeError("create_schema needs an empty database")
        for script in MIGRATIONS:
            for statement in split_statements(script):
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
