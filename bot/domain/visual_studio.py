"""The Visual Studio subscription rule of docs/rules.md: a subscription moves to
someone else only 90 days after it was assigned.

The seat service refuses an earlier reassignment; the reminder sweep can tell
the admins the day a subscription becomes reassignable.
"""

from __future__ import annotations

from datetime import datetime, timedelta

VS_REASSIGN_AFTER = timedelta(days=90)
"""How long a Visual Studio subscription stays with the person it was assigned to."""


def reassignable_from(assigned_at: datetime) -> datetime:
    """The earliest moment a subscription assigned at ``assigned_at`` may move."""
    return assigned_at + VS_REASSIGN_AFTER
