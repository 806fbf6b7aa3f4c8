"""Seats moved by an admin: the answer to `/benefits reassign`."""

from __future__ import annotations

from bot.blocks.primitives import Message, mention, message, section
from bot.i18n.translate import t
from bot.services.seats import Reassignment


def reassigned_message(change: Reassignment) -> Message:
    text = t(
        "*{benefit}* moved from {from_user} to {to_user}.",
        benefit=change.benefit.name,
        from_user=mention(change.released.user_id),
        to_user=mention(change.assignment.user_id),
    )
    return message(text, [section(text)])
