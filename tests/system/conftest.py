"""What the command-line tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.postgres import empty_schema


@pytest.fixture(params=["sqlite", "postgres"])
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "postgres":
        return await empty_schema()
    return f"sqlite:///{tmp_path / 'benefits.db'}"
