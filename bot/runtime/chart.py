"""The digest's chart: seats used against seats in all per benefit, idle seats marked
(docs/rules.md#weekly-digest).

matplotlib draws with its Agg backend (no display, no GUI toolkit) into a PNG in
memory. Drawing takes tens of milliseconds, so the bot calls :func:`render`
through :func:`asyncio.to_thread`, off the event loop (:func:`render_async`).
Each call builds its own ``Figure`` (never pyplot's global state), so two
threads may draw at once.
"""

from __future__ import annotations

import asyncio
import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.i18n.translate import t
from bot.services.digest import Digest

WIDTH, DPI = 8.0, 100  # inches, dots per inch: 800 pixels wide
ROW_HEIGHT, MIN_HEIGHT, MAX_ROWS = 0.45, 3.0, 40


def render(digest: Digest) -> bytes:
    """The chart as PNG bytes."""
    uses = list(digest.benefits)[:MAX_ROWS]
    height = max(MIN_HEIGHT, 1.2 + ROW_HEIGHT * len(uses))
    figure = Figure(figsize=(WIDTH, height), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    names = [u.name if len(u.name) <= 32 else u.name[:31] + "…" for u in uses]
    rows = list(range(len(uses)))
    totals = [u.total if u.total is not None else u.used for u in uses]
    active = [u.used - u.idle for u in uses]
    idle = [u.idle for u in uses]
    axes.barh(rows, totals, color="#e6e9ef", label=t("seats in all"))
    axes.barh(rows, active, color="#1d3557", label=t("in use"))
    axes.barh(rows, idle, left=active, color="#e63946", label=t("idle"))
    axes.set_yticks(rows, labels=names)
    axes.invert_yaxis()
    axes.set_xlabel(t("seats"))
    axes.set_title(t("Seats used per benefit, {day}", day=digest.today.isoformat()))
    if uses:
        axes.legend(loc="lower right")
    else:
        axes.text(0.5, 0.5, t("no seat-based benefits"), ha="center", transform=axes.transAxes)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


async def render_async(digest: Digest) -> bytes:
    """:func:`render` on a worker thread, so the event loop keeps serving."""
    return await asyncio.to_thread(render, digest)
