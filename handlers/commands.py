"""The `/benefits` slash command.

The reply is the acknowledgement itself (an ephemeral message only the
caller sees); Slack calls it does not need, such as posting an approval
request to the admins, run after it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import commands as cmd
from bot.blocks import admin as admin_blocks
from bot.blocks import benefits as blocks
from bot.blocks import ids
from bot.domain.model import DomainError
from bot.i18n.translate import t
from bot.runtime.container import Services
from bot.services.activation import ACTIVATED_CATEGORIES
from bot.services.benefits import AUDIT_DEFAULT
from handlers import activation
from handlers.keys import choice_view
from handlers.publish import post_approval_request

FollowUp = Callable[[AsyncWebClient, AsyncRespond], Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class Reply:
    message: blocks.Message
    follow_up: FollowUp | None = None
    view: blocks.Block | None = None  # a modal to open instead of answering with ``message``


async def run_command(command: cmd.Command, actor: str, services: Services) -> Reply:
    """Carry out one parsed command for ``actor`` and say what to answer."""
    service = services.benefits
    match command:
        case cmd.Help():
            return Reply(blocks.help_message(await service.roles_of(actor)))
        case cmd.ListBenefits(category) if category in ACTIVATED_CATEGORIES:
            assert category is not None
            return Reply(await activation.list_message(services, actor, category, 0))
        case cmd.ListBenefits(category):
            page = await service.list_benefits(actor, category=category)
            return Reply(services.rendered.list_message(page, category))
        case cmd.ShowMine():
            return Reply(blocks.mine_message(await service.mine(actor)))
        case cmd.RequestBenefit(benefit, reason):
            created = await service.request_benefit(actor, benefit, reason)
            where = (
                t("in <#{channel}>", channel=services.admin_channel)
                if services.admin_channel
                else t("to the Global admins")
            )
            text = t(
                "Your request #{request_id} for *{benefit}* was sent {where}. I'll tell you "
                "when it is decided.",
                request_id=created.request.id,
                benefit=created.benefit.name,
                where=where,
            )

            async def post(client: AsyncWebClient, respond: AsyncRespond) -> None:
                if not await post_approval_request(client, services, created):
                    await respond(
                        response_type="ephemeral",
                        replace_original=False,
                        text=t(
                            "Your request #{request_id} is saved, but I couldn't post it to the "
                            "Global admins. Please tell one of them.",
                            request_id=created.request.id,
                        ),
                    )

            return Reply(blocks.notice(text), post)
        case cmd.Assign(benefit, user_id):
            change = await service.assign(actor, benefit, user_id)
            text = t(
                "{holder} now holds a seat of *{benefit}*.",
                holder=blocks.mention(user_id),
                benefit=change.benefit.name,
            )
            return Reply(blocks.notice(text))
        case cmd.Unassign(benefit, user_id):
            change = await service.unassign(actor, benefit, user_id)
            text = t(
                "{holder}'s seat of *{benefit}* is free again.",
                holder=blocks.mention(user_id),
                benefit=change.benefit.name,
            )
            return Reply(blocks.notice(text))
        case cmd.Grant(user_id, role):
            await service.grant(actor, user_id, role)
            text = t(
                "{holder} now holds the {role} role.",
                holder=blocks.mention(user_id),
                role=role.value,
            )
            return Reply(blocks.notice(text))
        case cmd.Revoke(user_id, role):
            await service.revoke(actor, user_id, role)
            text = t(
                "{holder} no longer holds the {role} role.",
                holder=blocks.mention(user_id),
                role=role.value,
            )
            return Reply(blocks.notice(text))
        case cmd.ShowRoles():
            return Reply(blocks.roles_message(await service.roles(actor)))
        case cmd.AddUser(user_id):
            added = await service.add_user(actor, user_id)
            text = (
                t("{user} is now in the bot's directory.", user=blocks.mention(user_id))
                if added
                else t("{user} was already in the directory.", user=blocks.mention(user_id))
            )
            return Reply(blocks.notice(text))
        case cmd.ShowKeys(benefit):
            return Reply({}, view=await choice_view(services, actor, benefit))
        case cmd.Reassign(benefit, from_user, to_user):
            moved = await service.reassign(actor, benefit, from_user, to_user)
            return Reply(admin_blocks.reassigned_message(moved))
        case cmd.Cancel():
            check = await service.cancellation_check(actor)
            return Reply(admin_blocks.cancellation_check_message(check))
        case cmd.ShowAudit(limit):
            count = AUDIT_DEFAULT if limit is None else limit
            entries = await service.audit_log(actor, count)
            return Reply(admin_blocks.audit_message(entries, count, 0))
        case cmd.Activate() | cmd.ShowSupport() | cmd.FileAdvisory() | cmd.SetContact():
            done = await activation.run_activation_command(command, actor, services)
            return Reply(done.message, done.follow_up, view=done.view)
    raise AssertionError(f"unhandled command {command!r}")  # pragma: no cover


def register(app: AsyncApp, services: Services) -> None:
    async def on_benefits(
        ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        actor = command["user_id"]
        try:
            reply = await run_command(cmd.parse(command.get("text", "")), actor, services)
        except DomainError as error:
            await ack(response_type="ephemeral", **blocks.error_message(error))
            return
        if reply.view is not None:
            await ack()
            services.background.spawn(
                client.views_open(trigger_id=command.get("trigger_id", ""), view=reply.view),
                name="command modal",
            )
            return
        await ack(response_type="ephemeral", **reply.message)
        if reply.follow_up is not None:
            services.background.spawn(
                reply.follow_up(client, respond), name="command follow-up", deferred=True
            )

    app.command(ids.COMMAND)(on_benefits)
