"""A running playground (``benefits-bot playground``) and a real browser to use it with.

The browser is Debian's ``chromium``, driven by Playwright for Python (no
browser download). Without it these tests are skipped with one line, except
under CI (``CI=true``), where they fail. Screenshots of the moments the tests
reach are saved under ``test-artefacts/playground/`` (printed at the end of the run).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "playground"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START = "2026-12-01T10:00"  # the playground's clock starts here: the dates below follow
STARTED = re.compile(r"(?:playground running|starting the playground) at (http://\S+/)")


def _browser_missing() -> str | None:
    if shutil.which("chromium") is None and not Path(CHROMIUM).exists():
        return (
            "chromium is not installed (apt-get install -y chromium): the browser tests are skipped"
        )
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return (
            "playwright is not installed (pip install -e '.[test]'): the browser tests are skipped"
        )
    return None


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Chromium, driven with Playwright's asyncio API (its sync API would leave an event
    loop running in this thread, which the other tests' loops cannot share)."""
    missing = _browser_missing()
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs the browser tests: {missing}", pytrace=False)
        pytest.skip(f"{missing}: the browser tests are skipped")
    from playwright.async_api import async_playwright

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    executable = shutil.which("chromium") or CHROMIUM
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def playground_url() -> Iterator[str]:
    """A fresh playground (its own throw-away database), stopped after the test."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.cli.main",
            "playground",
            "--port",
            "0",
            "--start",
            START,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    seen: list[str] = []
    url = None
    for line in process.stdout:
        seen.append(line)
        found = STARTED.search(line)
        if found:
            url = found.group(1)
            break
    if url is None:
        process.kill()
        pytest.fail("the playground did not start:\n" + "".join(seen), pytrace=False)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line: why the browser tests were skipped, or where their screenshots are."""
    skipped = terminalreporter.stats.get("skipped", [])
    missing = _browser_missing()
    if missing is not None and any("playground" in str(r.nodeid) for r in skipped):
        terminalreporter.write_line(f"{missing}: the browser tests were skipped")
    elif ARTEFACTS.exists() and any(ARTEFACTS.glob("*.png")):
        terminalreporter.write_line(f"playground screenshots: {ARTEFACTS}")
