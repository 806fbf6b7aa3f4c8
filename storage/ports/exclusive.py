"""A role that one process at a time takes: the reminder sweep, say.

Several replicas of the bot may share one database. Work that is correct from
any of them but wasteful from all at once (the reminder sweep: each run scans
the tables that can fall due) asks :meth:`Exclusive.hold` first and does its
work only when it answers True.

* PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) on a
  connection kept for it alone, so the lock lives exactly as long as the
  holder's session; a killed holder's session ends with its socket and the
  next replica that asks takes the role over.
* SQLite: always held. One file is shared by the processes of one machine
  at most, and the work stays correct when several do it (the sweep runs in a
  write transaction and moves a stored watermark), so nothing changes from
  before there was a port.
"""

from __future__ import annotations

from typing import Protocol


class Exclusive(Protocol):
    """One named role; at most one process holds it at a time (see the module)."""

    @property
    def name(self) -> str: ...

    @property
    def holding(self) -> bool:
        """Whether the last :meth:`hold` answered True and nothing has been lost since."""
        ...

    async def hold(self) -> bool:
        """Take the role if it is free, keep it if held: True while this process holds it.

        Never raises: a database that can't be reached answers False.
        """
        ...

    async def release(self) -> None:
        """Give the role up (at shutdown); another process may take it at once."""
        ...


class AlwaysHeld:
    """The :class:`Exclusive` of a store whose processes may all do the work (SQLite)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._holding = False

    @property
    def name(self) -> str:
        return self._name

    @property
    def holding(self) -> bool:
        return self._holding

    async def hold(self) -> bool:
        self._holding = True
        return True

    async def release(self) -> None:
        self._holding = False
