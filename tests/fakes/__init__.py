"""Fakes that speak Slack's real wire format: Web API, Socket Mode, signed requests, Block Kit."""

from .blockkit import Surface, assert_within_block_kit_limits, block_kit_violations
from .signing import (
    UNSET_RESPONSE_URL,
    block_actions_body,
    block_actions_payload,
    event_body,
    event_payload,
    new_trigger_id,
    sign,
    slash_command_body,
    slash_command_payload,
    state_values,
    view_submission_body,
    view_submission_payload,
)
from .socket_mode import EnvelopeType, FakeSocketModeServer
from .web_api import FakeSlackWebApi, RecordedCall

__all__ = [
    "UNSET_RESPONSE_URL",
    "EnvelopeType",
    "FakeSlackWebApi",
    "FakeSocketModeServer",
    "RecordedCall",
    "Surface",
    "assert_within_block_kit_limits",
    "block_actions_body",
    "block_actions_payload",
    "block_kit_violations",
    "event_body",
    "event_payload",
    "new_trigger_id",
    "sign",
    "slash_command_body",
    "slash_command_payload",
    "state_values",
    "view_submission_body",
    "view_submission_payload",
]
