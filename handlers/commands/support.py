"""`support [problem]` and `advisory <hours> <topic>`: which support to use and what
is left of it; asking for advisory hours, which the admins are told about."""

from __future__ import annotations

from bot.blocks import support as support_blocks
from bot.blocks.primitives import notice
from bot.domain.entitlements import Problem
from bot.i18n.translate import t
from bot.runtime.container import Services
from handlers.replies import Reply, admins_where


async def show_support(problem: Problem | None, actor: str, services: Services) -> Reply:
    if problem is None:
        return Reply(support_blocks.support_question_message())
    answer = await services.support.support(actor, problem)
    return Reply(support_blocks.support_answer_message(answer))


async def file_advisory(hours: str, topic: str, actor: str, services: Services) -> Reply:
    filed = await services.support.file_advisory(actor, hours, topic)
    where = await admins_where(services, otherwise=t("by DM"))
    text = support_blocks.advisory_filed_text(filed, where)
    # The admins' notice (admin channel, or each Global admin by DM) is queued with it.
    return Reply(notice(text))
