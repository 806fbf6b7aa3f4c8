"""Drops the run's PostgreSQL schema at the end, and says once when the PostgreSQL
tests were skipped and why."""

from __future__ import annotations

import pytest

from tests.postgres import (
    SKIP_REASON,
    drop_run_schema,
    redacted,
    server_available,
    server_url,
)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped and not server_available():
        terminalreporter.write_line(SKIP_REASON.format(url=redacted(server_url())))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    drop_run_schema()
