"""Receipts: a Slack request saved before it is acknowledged, carried out after.

The requests people send in bursts (filing a request, clicking Approve) can be
acknowledged as soon as the payload is safely in the database, instead of after
the work: the acknowledgement then costs one insert, whatever the work costs.
The process that saved the receipt carries it out right after and deletes it;
each receipt is *leased* to that process, so when it dies first another process
takes the receipt over once the lease has run out, and nothing acknowledged is
lost. The work itself decides once (a request is decided once, a person files
one request per benefit), so a receipt carried out twice (a lease that ran out
while the first process was still at it) changes nothing the second time and
at most answers "already approved".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Receipt:
    """A saved Slack request: what kind of work and the payload Slack sent."""

    id: int
    kind: str
    body: Mapping[str, Any]
    received_at: datetime
    attempts: int  # times it was taken: 1 when saved, one more at each take-over
