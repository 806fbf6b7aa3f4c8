"""What both engines say about schema versions: the refusal when code and database disagree;
and the one-line error when the database cannot be reached at all."""

from __future__ import annotations


class SchemaError(RuntimeError):
    """The database's schema is not the one this code needs; the message is one line."""


class DatabaseUnreachable(RuntimeError):
    """The database server did not let us in; the message is one line, without secrets."""


def check_version(found: int, known: int, *, migrate: bool) -> None:
    """Refuse a schema newer than the code, or an older one when migrating is not allowed."""
    if found > known:
        raise SchemaError(
            f"the database has schema version {found}, newer than this code knows ({known}): "
            "upgrade the bot"
        )
    if found < known and not migrate:
        raise SchemaError(
            f"the database has schema version {found} and this code needs {known}: "
            "run `benefits-bot migrate` (or set BENEFITS_MIGRATE_ON_START=true)"
        )
