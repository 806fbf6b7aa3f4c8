"""`support [problem]` and `advisory <hours> <topic>`: which support to use and what
is left of it; asking for advisory hours, which the admins are told about."""

from __future__ import annotations

import asyncio

from slack_bolt.async_app import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import support as support_blocks
from bot.blocks.primitives import notice
from bot.domain.entitlements import Problem
from bot.i18n.translate import t
from bot.runtime.container import Services
from bot.services.support import AdvisoryFiled
from handlers.replies import FollowUp, Reply, admins_where, post_quietly


async def show_support(problem: Problem | None, actor: str, services: Services) -> Reply:
    if problem is None:
        return Reply(support_blocks.support_question_message())
    answer = await services.support.support(actor, problem)
    return Reply(support_blocks.support_answer_message(answer))


async def file_advisory(hours: str, topic: str, actor: str, services: Services) -> Reply:
    filed = await services.support.file_advisory(actor, hours, topic)
    where = admins_where(services, otherwise=t("by DM"))
    text = support_blocks.advisory_filed_text(filed, where)
    return Reply(notice(text), _tell_admins(services, filed))


def _tell_admins(services: Services, filed: AdvisoryFiled) -> FollowUp:
    """Tell the admins: the admin channel, or each Global admin by DM."""

    async def post(client: AsyncWebClient, respond: AsyncRespond) -> None:
        del respond
        targets = [services.admin_channel] if services.admin_channel else filed.admins
        payload = support_blocks.advisory_admin_message(filed)
        await asyncio.gather(*(post_quietly(client, target, payload) for target in targets))

    return post
