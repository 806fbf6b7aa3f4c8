"""The `/benefits` listener: parse the text, run the feature's function, answer.

The answer is the acknowledgement itself (an ephemeral message only the caller
sees); messages a change owes others, such as the approval request to the
admins, are queued in the outbox with the change and sent by the delivery loop. A refusal is the acknowledgement too (see
:mod:`handlers.refusals`).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime.container import Services
from handlers.commands import (
    activation,
    audit,
    cancellation,
    catalog,
    contact,
    digest,
    keys,
    language,
    parser,
    requests,
    roles,
    seats,
    support,
)
from handlers.refusals import refusing_command
from handlers.replies import Reply


@refusing_command
async def benefits_command(
    ack: AsyncAck,
    command: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    services: Services,
) -> None:
    reply = await run(parser.parse(command.get("text", "")), command["user_id"], services)
    if reply.view is not None:
        await ack()
        services.background.spawn(
            client.views_open(trigger_id=command.get("trigger_id", ""), view=reply.view),
            name="command modal",
        )
        return
    await ack(response_type="ephemeral", **reply.message)


async def run(command: parser.Command, actor: str, services: Services) -> Reply:
    """Carry out one parsed command for ``actor`` and say what to answer."""
    match command:
        case parser.Help():
            return await catalog.show_help(actor, services)
        case parser.ListBenefits(category):
            return await catalog.list_benefits(category, actor, services)
        case parser.ShowMine():
            return await catalog.show_mine(actor, services)
        case parser.RequestBenefit(benefit, reason):
            return await requests.request_benefit(benefit, reason, actor, services)
        case parser.RequestForm():
            return requests.request_form()
        case parser.Withdraw(request_id):
            return await requests.withdraw(request_id, actor, services)
        case parser.Assign(benefit, user_id):
            return await seats.assign(benefit, user_id, actor, services)
        case parser.Unassign(benefit, user_id):
            return await seats.unassign(benefit, user_id, actor, services)
        case parser.Reassign(benefit, from_user, to_user):
            return await seats.reassign(benefit, from_user, to_user, actor, services)
        case parser.Grant(user_id, role):
            return await roles.grant(user_id, role, actor, services)
        case parser.Revoke(user_id, role):
            return await roles.revoke(user_id, role, actor, services)
        case parser.ShowRoles():
            return await roles.show_roles(actor, services)
        case parser.AddUser(user_id):
            return await roles.add_user(user_id, actor, services)
        case parser.ShowKeys(benefit):
            return await keys.show_keys(benefit, actor, services)
        case parser.Cancel():
            return await cancellation.check_cancellation(actor, services)
        case parser.ShowAudit(limit):
            return await audit.show_audit(limit, actor, services)
        case parser.Activate(benefit):
            return await activation.activate(benefit, actor, services)
        case parser.ShowSupport(problem):
            return await support.show_support(problem, actor, services)
        case parser.FileAdvisory(hours, topic):
            return await support.file_advisory(hours, topic, actor, services)
        case parser.SetContact():
            return await contact.set_contact(actor, services)
        case parser.ShowDigest():
            return await digest.show_digest(actor, services)
        case parser.ChooseLanguage(choice):
            return await language.choose_language(choice, actor, services)
    raise AssertionError(f"unhandled command {command!r}")  # pragma: no cover
