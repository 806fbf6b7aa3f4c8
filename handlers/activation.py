"""Technical benefits, go-to-market offers, support, advisory hours and the
marketing contact: the `activate`, `support`, `advisory` and `contact` commands,
the **Activate** / **Mark active** / support buttons and the two modals.

Thin, like every listener: acknowledge, call one ActivationService method,
render with :mod:`bot.blocks.activation`, send. Postings to the admins run
after the acknowledgement.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import commands as cmd
from bot.blocks import activation as ab
from bot.blocks import benefits as blocks
from bot.blocks import ids
from bot.domain.model import Category, DomainError, InvalidInput
from bot.i18n.translate import t
from bot.runtime.container import Services
from bot.services.activation import ActivationRequested, ActivationService, AdvisoryFiled, Problem
from handlers import cloud, replies

log = logging.getLogger(__name__)

FollowUp = Callable[[AsyncWebClient, AsyncRespond], Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class ActivationReply:
    """What to answer a command with, what to do after, or a modal to open instead."""

    message: blocks.Message
    follow_up: FollowUp | None = None
    view: blocks.Block | None = None


def activation_service(services: Services) -> ActivationService:
    if services.activation is None:  # pragma: no cover - start_bot always sets it
        raise RuntimeError("the activation service is not configured")
    return services.activation


async def list_message(
    services: Services, actor: str, category: Category, page: int
) -> blocks.Message:
    """`list technical` / `list gtm`: status, entitlements and Expires, with buttons."""
    overview = await activation_service(services).overview(actor, category, page=page)
    return ab.overview_message(overview)


async def run_activation_command(
    command: cmd.Activate | cmd.ShowSupport | cmd.FileAdvisory | cmd.SetContact,
    actor: str,
    services: Services,
) -> ActivationReply:
    """Carry out one of this module's commands for ``actor``."""
    service = activation_service(services)
    match command:
        case cmd.Activate(text):
            benefit = await services.benefits.find_benefit(text)
            if benefit.category is Category.CLOUD:
                reply = await cloud.activate_cloud(services, actor, benefit.id)
                return ActivationReply(reply.message, reply.follow_up)
            result = await service.activate(actor, benefit.id)
            text = ab.activation_requested_text(result, _where(services))
            return ActivationReply(blocks.notice(text), _post_pending(services, result))
        case cmd.ShowSupport(None):
            return ActivationReply(ab.support_question_message())
        case cmd.ShowSupport(problem):
            assert problem is not None
            answer = await service.support(actor, problem)
            return ActivationReply(ab.support_answer_message(answer))
        case cmd.FileAdvisory(hours, topic):
            filed = await service.file_advisory(actor, hours, topic)
            where = (
                t("in <#{channel}>", channel=services.admin_channel)
                if services.admin_channel
                else t("by DM")
            )
            text = ab.advisory_filed_text(filed, where)
            return ActivationReply(blocks.notice(text), _post_advisory(services, filed))
        case cmd.SetContact():
            form = await service.contact_form(actor)
            return ActivationReply({}, view=ab.contact_view(form))
    raise AssertionError(f"unhandled command {command!r}")  # pragma: no cover


def _where(services: Services) -> str:
    if services.admin_channel:
        return t("in <#{channel}>", channel=services.admin_channel)
    return t("in your DMs with me")


async def _post(client: AsyncWebClient, channel: str, payload: blocks.Message) -> bool:
    try:
        await client.chat_postMessage(channel=channel, **payload)
    except SlackApiError as error:
        log.warning("Slack refused to post to %s: %s", channel, error.response.get("error"))
        return False
    return True


def _post_pending(services: Services, result: ActivationRequested) -> FollowUp:
    """Post the pending activation, with its Mark active button, where it lasts."""

    async def post(client: AsyncWebClient, respond: AsyncRespond) -> None:
        target = services.admin_channel or result.activation.requested_by
        if not await _post(client, target, ab.pending_activation_message(result)):
            await respond(
                response_type="ephemeral",
                replace_original=False,
                text=t(
                    "The activation is saved, but I couldn't post its *Mark active* button. "
                    "Find it later with `{command} list {category}`.",
                    command=ids.COMMAND,
                    category=result.benefit.category.value,
                ),
            )

    return post


def _post_advisory(services: Services, filed: AdvisoryFiled) -> FollowUp:
    """Tell the admins: the admin channel, or each Global admin by DM."""

    async def post(client: AsyncWebClient, respond: AsyncRespond) -> None:
        del respond
        targets = [services.admin_channel] if services.admin_channel else filed.admins
        payload = ab.advisory_admin_message(filed)
        await asyncio.gather(*(_post(client, target, payload) for target in targets))

    return post


def _state_value(state: dict[str, Any], block_id: str, action_id: str) -> Any:
    element = state.get(block_id, {}).get(action_id, {})
    if not isinstance(element, dict):
        return None
    for key in ("value", "selected_date", "selected_user"):
        if key in element:
            return element[key]
    option = element.get("selected_option")
    if isinstance(option, dict):
        return option.get("value")
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def register(app: AsyncApp, services: Services) -> None:
    service = activation_service(services)

    def answer(respond: AsyncRespond, payload: blocks.Message, *, replace: bool = False) -> None:
        replies.answer(services, respond, payload, replace=replace, name="activation answer")

    async def on_activate(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        try:
            result = await service.activate(body["user"]["id"], str(action.get("value", "")))
        except DomainError as error:
            answer(respond, blocks.error_message(error))
            return
        text = ab.activation_requested_text(result, _where(services))
        answer(respond, blocks.notice(text))
        services.background.spawn(
            _post_pending(services, result)(client, respond), name="pending activation"
        )

    async def on_mark_active(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        benefit_id = str(action.get("value", ""))
        try:
            benefit, pending = await service.completion_form(body["user"]["id"], benefit_id)
        except DomainError as error:
            answer(respond, blocks.error_message(error))
            return
        container = body.get("container") or {}
        lasting = container.get("type") == "message" and not container.get("is_ephemeral")
        origin = ab.Origin(
            benefit.id,
            str(container.get("channel_id", "")) if lasting else "",
            str(container.get("message_ts", "")) if lasting else "",
        )
        await client.views_open(
            trigger_id=body["trigger_id"], view=ab.completion_view(benefit, pending, origin)
        )

    async def on_support_problem(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        value = action.get("value") or (action.get("selected_option") or {}).get("value", "")
        try:
            try:
                problem = Problem(str(value))
            except ValueError:
                raise InvalidInput("This button is broken: it names no kind of problem.") from None
            support = await service.support(body["user"]["id"], problem)
        except DomainError as error:
            answer(respond, blocks.error_message(error))
            return
        answer(respond, ab.support_answer_message(support), replace=True)

    async def on_completion_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        origin = ab.Origin.load(str(view.get("private_metadata", "")))
        state = view.get("state", {}).get("values", {})
        gtm = ids.EXPIRES_BLOCK in state
        try:
            done = await service.complete(
                body["user"]["id"],
                origin.benefit_id,
                access_id=_text(_state_value(state, ids.ACCESS_ID_BLOCK, ids.ACCESS_ID_INPUT)),
                contract_id=_text(
                    _state_value(state, ids.CONTRACT_ID_BLOCK, ids.CONTRACT_ID_INPUT)
                ),
                expires_on=_text(_state_value(state, ids.EXPIRES_BLOCK, ids.EXPIRES_INPUT)),
            )
        except DomainError as error:
            first = ids.EXPIRES_BLOCK if gtm else ids.ACCESS_ID_BLOCK
            await ack(
                response_action="errors",
                errors=ab.form_errors(error, first_block=first),
            )
            return
        text = ab.completed_text(done)
        await ack(
            response_action="update",
            view=ab.done_view(text, title=t("Mark active")),
        )
        if origin.channel and origin.ts:
            services.background.spawn(
                _update(client, origin, ab.completed_message(done)),
                name="activation completed",
            )

    async def on_contact_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
    ) -> None:
        state = view.get("state", {}).get("values", {})
        try:
            contact = await service.set_marketing_contact(
                body["user"]["id"],
                user_id=_text(_state_value(state, ids.CONTACT_USER_BLOCK, ids.CONTACT_USER_INPUT)),
                email=_text(_state_value(state, ids.CONTACT_EMAIL_BLOCK, ids.CONTACT_EMAIL_INPUT)),
                phone=_text(_state_value(state, ids.CONTACT_PHONE_BLOCK, ids.CONTACT_PHONE_INPUT)),
                language=_text(
                    _state_value(state, ids.CONTACT_LANGUAGE_BLOCK, ids.CONTACT_LANGUAGE_INPUT)
                ),
            )
        except DomainError as error:
            await ack(
                response_action="errors",
                errors=ab.form_errors(error, first_block=ids.CONTACT_USER_BLOCK),
            )
            return
        await ack(
            response_action="update",
            view=ab.done_view(ab.contact_saved_text(contact), title=t("Marketing contact")),
        )

    app.action(ids.ACTIVATE)(on_activate)
    app.action(ids.MARK_ACTIVE)(on_mark_active)
    for action_id in ab.SUPPORT_BUTTONS.values():
        app.action(action_id)(on_support_problem)
    app.view(ids.ACTIVATION_VIEW)(on_completion_submitted)
    app.view(ids.CONTACT_VIEW)(on_contact_submitted)


async def _update(client: AsyncWebClient, origin: ab.Origin, payload: blocks.Message) -> None:
    try:
        await client.chat_update(channel=origin.channel, ts=origin.ts, **payload)
    except SlackApiError as error:
        log.warning(
            "Slack refused to update the activation message: %s", error.response.get("error")
        )
