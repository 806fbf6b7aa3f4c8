"""Seats moved by an admin: the answer to `/benefits reassign`, and the notice to the
admins when the only Global admin gives a seat to themselves."""

from __future__ import annotations

from bot.blocks.primitives import Message, context, mention, message, posted, section
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


def self_assigned_notice(*, holder: str, benefit: str, from_user: str | None) -> Message:
    """What the admins read when the only Global admin gave a seat of ``benefit`` (its
    name) to themselves; ``from_user`` whose seat it was, for a reassignment."""
    if from_user:
        text = t(
            ":warning: {holder} moved a seat of *{benefit}* from {from_user} to themselves, "
            "as the only Global admin.",
            holder=mention(holder),
            benefit=benefit,
            from_user=mention(from_user),
        )
    else:
        text = t(
            ":warning: {holder} gave themselves a seat of *{benefit}*, as the only Global admin.",
            holder=mention(holder),
            benefit=benefit,
        )
    note = t(
        "Nobody else could decide it. It is flagged in the audit log (`assignment.self`); "
        "a second Global admin makes this a decision for someone else."
    )
    return posted(text, [section(text), context(note)])
