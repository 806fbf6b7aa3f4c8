"""The weekly digest as a message, and as plain text (the message's text
alternative, the chart's alt text and what ``benefits-bot digest`` prints)
(docs/rules.md#weekly-digest)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.blocks import ids
from bot.blocks.primitives import (
    Block,
    Message,
    button,
    category_label,
    clip,
    context,
    day,
    escape,
    header,
    packed_sections,
    posted,
    section,
)
from bot.i18n.translate import t
from bot.services.digest import Digest, Ending
from bot.services.idle import IdleSeat, Why

MAX_IDLE_BUTTONS = 20  # a message holds 50 blocks
ALT_TEXT_LIMIT = 1000  # Slack's limit on a file's alt text


def _why(seat: IdleSeat) -> str:
    if seat.why is Why.SAID_NO:
        why = t("said they no longer use it")
    elif seat.why is Why.NO_ANSWER:
        why = t("did not answer whether they still use it")
    else:
        why = t("not asked yet")
    if seat.keys_unopened:
        return t("never opened its keys, {why}", why=why)
    return why


def idle_line(seat: IdleSeat) -> str:
    return t(
        "*{benefit}*: <@{user}> since {day}, {why}",
        benefit=escape(seat.benefit.name),
        user=seat.holder,
        day=day(seat.since),
        why=_why(seat),
    )


def idle_value(seat: IdleSeat) -> str:
    return f"{seat.assignment.id}|{seat.holder}|{seat.benefit.id}"


def parse_idle_value(value: str) -> tuple[int, str, str]:
    number, user, benefit = ([*value.split("|"), "", "", ""])[:3]
    return (int(number) if number.isdigit() else 0), user, benefit


def _dated(name: str, day: date, days: int) -> dict[str, Any]:
    """The placeholders of a digest line about a benefit, a day and a number of days."""
    return {"name": escape(name), "day": day.isoformat(), "days": days}


def _endings(endings: tuple[Ending, ...]) -> list[str]:
    if not endings:
        return ["• " + t("nothing")]
    return [
        "• " + t("*{name}* on {day} ({days} days)", **_dated(e.name, e.on, e.days)) for e in endings
    ]


def digest_lines(digest: Digest, *, list_idle: bool = True) -> list[str]:
    """Every line of the digest, in mrkdwn (the idle seats only counted unless ``list_idle``)."""
    lines = [t("*Seats in use*")]
    for use in digest.categories:
        label = category_label(use.category)
        if use.total is None:
            line = t("{category}: {used} (no limit)", category=label, used=use.used)
        else:
            line = t(
                "{category}: {used} of {total}", category=label, used=use.used, total=use.total
            )
        lines.append("• " + line)
    if not digest.categories:
        lines.append("• " + t("no seat-based benefits"))
    lines.append(t("*Idle seats offered for reclaim*: {count}", count=len(digest.idle)))
    if list_idle:
        lines += ["• " + idle_line(seat) for seat in digest.idle]
    lines.append(t("*Ending in the next 30 days*"))
    lines += _endings(digest.ending_soon)
    lines.append(t("*Ending in 31 to 90 days*"))
    lines += _endings(digest.ending_later)
    if digest.advisory_hours_total is not None:
        lines.append(
            t(
                "*Advisory hours left*: {left} of {total}",
                left=digest.advisory_hours_left if digest.advisory_hours_left is not None else "—",
                total=digest.advisory_hours_total,
            )
        )
    if digest.level is not None:
        incidents = t("unlimited") if digest.incidents is None else str(digest.incidents)
        lines.append(t("*Product support incidents included*: {count}", count=incidents))
    lines.append(t("*Activations pending*: {count}", count=len(digest.pending)))
    lines += [
        "• " + t("*{name}* since {day} ({days} days)", **_dated(p.name, p.since, p.days))
        for p in digest.pending
    ]
    lines.append(t("*Parked messages*: {count}", count=digest.parked))
    if digest.membership_days_left is not None:
        lines.append(t("*Membership ends in*: {days} days", days=digest.membership_days_left))
    if digest.refund_open_until is not None:
        lines.append(
            t("*Refund window open until*: {day}", day=digest.refund_open_until.isoformat())
        )
    return lines


def digest_title(digest: Digest) -> str:
    return t("Weekly benefits digest, {day}", day=digest.today.isoformat())


def digest_text(digest: Digest) -> str:
    """The digest as plain text."""
    lines = [digest_title(digest), *digest_lines(digest)]
    return "\n".join(line.replace("*", "") for line in lines)


def chart_alt_text(digest: Digest) -> str:
    """What the chart shows, in words (its alt text)."""
    parts = [
        t(
            "{name}: {used} of {total} seats used, {idle} idle",
            name=use.name,
            used=use.used,
            total=use.total if use.total is not None else "∞",
            idle=use.idle,
        )
        for use in digest.benefits
    ]
    return clip(t("Seats used per benefit. ") + "; ".join(parts), ALT_TEXT_LIMIT)


def digest_message(digest: Digest, *, with_chart: bool = True) -> Message:
    """The digest DM: the numbers, a Free button per idle seat (Global admins use it)."""
    blocks: list[Block] = [header(digest_title(digest))]
    blocks += packed_sections(digest_lines(digest, list_idle=False))[:20]
    for seat in digest.idle[:MAX_IDLE_BUTTONS]:
        blocks.append(
            section(
                idle_line(seat),
                accessory=button(t("Free seat"), action_id=ids.IDLE_FREE, value=idle_value(seat)),
            )
        )
    if with_chart:
        blocks.append(context(t("The chart of seats used per benefit follows.")))
    return posted(digest_text(digest), blocks)
