"""The keys modal's submission: the keys, answered with ``response_action: "update"``.

The keys appear in that modal and nowhere else — never in a message, a DM or a log
line. A refusal is shown at the field it is about, or (a form without inputs) as the
modal's content.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck

from bot.blocks import ids
from bot.blocks import keys as key_blocks
from bot.blocks.primitives import ERROR_LIMIT, clip, render_error
from bot.domain.model import DomainError, InvalidInput
from bot.runtime.container import Services
from bot.services.keys import InvalidChoice
from handlers.refusals import refusing_submission


def _selected(values: dict[str, Any], block_id: str, action_id: str) -> str | None:
    option = values.get(block_id, {}).get(action_id, {}).get("selected_option") or {}
    value = option.get("value")
    return value if isinstance(value, str) else None


def _input_blocks(view: dict[str, Any]) -> list[str]:
    return [
        str(b.get("block_id"))
        for b in view.get("blocks", [])
        if isinstance(b, dict) and b.get("type") == "input"
    ]


def refusal(error: DomainError, view: dict[str, Any]) -> dict[str, Any]:
    """The refusal at the language or OS input it is about, or the modal saying why."""
    inputs = _input_blocks(view)
    wanted = (
        ids.KEYS_OS_BLOCK
        if isinstance(error, InvalidChoice) and error.field == "os"
        else ids.KEYS_LANGUAGE_BLOCK
    )
    target = wanted if wanted in inputs else next(iter(inputs), None)
    if target is None:
        return {"response_action": "update", "view": key_blocks.keys_error_view(error)}
    return {"response_action": "errors", "errors": {target: clip(render_error(error), ERROR_LIMIT)}}


@refusing_submission(refusal)
async def keys_chosen(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], services: Services
) -> None:
    values = view.get("state", {}).get("values", {})
    language = _selected(values, ids.KEYS_LANGUAGE_BLOCK, ids.KEYS_LANGUAGE_INPUT)
    os = _selected(values, ids.KEYS_OS_BLOCK, ids.KEYS_OS_INPUT)
    benefit_id = str(view.get("private_metadata", ""))
    if not benefit_id:
        raise InvalidInput("This form names no benefit; open it again.")
    revealed = await services.keys.reveal(body["user"]["id"], benefit_id, language, os)
    await ack(response_action="update", view=key_blocks.keys_view(revealed, 0))
