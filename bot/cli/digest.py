"""``benefits-bot digest --out report.png``: the weekly digest from the shell.

The text goes to standard output, the chart to ``--out`` (the same PNG the
digest DM carries, docs/rules.md#weekly-digest); a path that can't be written
is named in one line on standard error, and nothing is printed.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from bot.blocks.digest import digest_text
from bot.cli.workspace import Named, open_workspace
from bot.domain.clock import SystemClock
from bot.runtime.chart import render_async
from bot.services.digest import DigestService
from bot.settings import StorageSettings


async def print_digest(storage: StorageSettings, named: Named, out: Path, console: Console) -> int:
    """The digest of the workspace ``named`` (``--team``/``--enterprise``; none: the base's)."""
    async with open_workspace(storage, **named) as workspace:
        service = DigestService(
            workspace.store,
            clock=SystemClock(),
            idle_after=timedelta(days=storage.benefits_idle_days),
        )
        digest = await service.compute()
    png = await render_async(digest)
    try:
        await asyncio.to_thread(out.write_bytes, png)
    except OSError as error:
        console.print(
            f"error: can't write the chart to {out}: {error.strerror or error}",
            markup=False,
            soft_wrap=True,
        )
        return 1
    Console(highlight=False).print(digest_text(digest), markup=False, soft_wrap=True)
    console.print(f"chart written to {out} ({len(png)} bytes)", markup=False, soft_wrap=True)
    return 0
