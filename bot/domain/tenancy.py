"""The workspace (or Enterprise Grid org) whose data a database holds, and whether the
bot may send to it.

The bot serves one workspace or org per database (docs/installations.md). Its
**tenant key** is ``(enterprise_id, team_id)`` as an installation's key is: a
workspace by its team (``T…``, and its org when it belongs to one), an org-wide
install by its org alone (``E…``, no team). A key with neither is a workspace
not known yet (the bot never got an answer from ``auth.test``).

Sending is **suspended** from the moment the app is uninstalled or its bot token
revoked until it is installed again (or started with a working token): the
delivery loop claims nothing and the reminder sweep queues nothing. After a
retention period suspended, the workspace's data is deleted.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta


class Reason(enum.StrEnum):
    """Why sending stopped (kept with the suspension and as the parked rows' error)."""

    UNINSTALLED = "uninstalled"
    TOKEN_REVOKED = "token revoked"


def describe_tenant(enterprise_id: str | None, team_id: str | None) -> str:
    """``workspace T1``, ``workspace T1 of org E1``, ``org E1`` or ``an unknown workspace``."""
    if team_id:
        return f"workspace {team_id}" + (f" of org {enterprise_id}" if enterprise_id else "")
    if enterprise_id:
        return f"org {enterprise_id}"
    return "an unknown workspace"


@dataclass(frozen=True, slots=True)
class Tenant:
    """The workspace or org of a database, and its suspension (None: sending goes on)."""

    enterprise_id: str | None
    team_id: str | None
    recorded_at: datetime
    suspended_at: datetime | None = None
    suspended_reason: str | None = None

    @property
    def key(self) -> tuple[str | None, str | None]:
        return self.enterprise_id, self.team_id

    @property
    def known(self) -> bool:
        """Whether the workspace or org is known (a key with an id)."""
        return bool(self.enterprise_id or self.team_id)

    @property
    def suspended(self) -> bool:
        return self.suspended_at is not None

    def describe(self) -> str:
        return describe_tenant(self.enterprise_id, self.team_id)

    def serves(self, enterprise_id: str | None, team_id: str | None) -> bool:
        """Whether Slack's ``enterprise_id``/``team_id`` (of an event, say) are this tenant's.

        A workspace is named by its team; an org-wide install by its org, whichever
        workspace of the org the event names. An unknown tenant is anyone's.
        """
        if not self.known:
            return True
        if self.team_id:
            return team_id == self.team_id
        return enterprise_id == self.enterprise_id

    def names(self, *, team_id: str | None = None, enterprise_id: str | None = None) -> bool:
        """Whether an operator's ``--team T…`` (a workspace) or ``--enterprise E…`` (an
        org-wide install) names this tenant."""
        if team_id is not None:
            return bool(self.team_id) and team_id == self.team_id
        return not self.team_id and bool(enterprise_id) and enterprise_id == self.enterprise_id

    def expires_at(self, retention: timedelta) -> datetime | None:
        """When its data is deleted (suspended ``retention`` long); None while not suspended."""
        return None if self.suspended_at is None else self.suspended_at + retention


__all__ = ["Reason", "Tenant", "describe_tenant"]
