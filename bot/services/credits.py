"""The usage-based cloud credit rules that need storage (docs/rules.md).

One active usage-based credit per person, at most 5 reassignments of a monthly
credit, and never to an address on a free mail domain. Every path that gives
someone a credit checks them: self-activation, approval, assignment and
reassignment. The storage-free parts are :mod:`bot.domain.cloud`.
"""

from __future__ import annotations

from bot.domain.cloud import MAX_MONTHLY_REASSIGNMENTS, email_domain, is_free_mail
from bot.domain.model import Benefit, Category, Conflict
from storage.unit_of_work import UnitOfWork


async def check_cloud_credit(
    uow: UnitOfWork, benefit: Benefit, user_id: str, email: str | None = None
) -> None:
    """Refuse a usage-based credit for ``user_id`` when a cloud rule forbids it.

    Called inside the unit of work that assigns it, after any release that
    is part of the same change. ``email`` defaults to the directory's; an
    address the bot does not know is not refused here (a Global admin's
    assignment or approval), only when the member activates it themselves.
    """
    if benefit.category is not Category.CLOUD or not benefit.usage_based:
        return
    for other in await uow.assignments.of_user(user_id):
        if other.benefit_id == benefit.id:
            continue
        held = await uow.benefits.get(other.benefit_id)
        if held is not None and held.category is Category.CLOUD and held.usage_based:
            raise Conflict(
                "{holder_user} already has an active usage-based credit: *{other}* (since "
                "{since}). One credit per person; it must be released first.",
                holder_user=user_id,
                other=held.name,
                since=other.assigned_at.date().isoformat(),
            )
    if benefit.monthly:
        moves = await uow.assignments.count_released(benefit.id)
        if moves > MAX_MONTHLY_REASSIGNMENTS:
            raise Conflict(
                "*{benefit}* is a monthly credit and has been reassigned {count} times "
                "already; Partner Center allows at most {limit}.",
                benefit=benefit.name,
                count=MAX_MONTHLY_REASSIGNMENTS,
                limit=MAX_MONTHLY_REASSIGNMENTS,
            )
    if email is None:
        user = await uow.people.get_user(user_id)
        email = user.email if user else ""
    if email and is_free_mail(email):
        raise Conflict(
            "An Azure credit can't go to {email}: {domain} is a free mail domain. It needs "
            "a company address; a User management admin can record one for {holder_user}.",
            email=email,
            domain=email_domain(email),
            holder_user=user_id,
        )
