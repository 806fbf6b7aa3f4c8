"""Request bodies and signatures exactly as Slack sends them to an app.

Over HTTP Slack POSTs slash commands as a form, interactivity as a form with one ``payload``
field holding JSON, and Events API callbacks as JSON; each request is signed with the app's
signing secret (``v0=HMAC-SHA256("v0:{timestamp}:{body}")``).  Over Socket Mode the same
data arrives as the ``payload`` of an envelope: the ``*_payload`` builders return the dicts for
that case (a slash command's payload is the form's fields as strings).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec
from urllib.parse import urlencode

P = ParamSpec("P")

TEAM_ID = "T0001"
TEAM_DOMAIN = "test"
API_APP_ID = "A0001"
BOT_USER_ID = "UBOT"
# The deprecated "verification token" Slack still includes in every payload.
VERIFICATION_TOKEN = "fakeVerificationToken"
# Never routable: use FakeSlackWebApi.response_url(name) to observe what a handler responds.
UNSET_RESPONSE_URL = "http://127.0.0.1:9/response/unset"

_counter = itertools.count(1)


def _json(payload: Mapping[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"))


def _encoded(
    build: Callable[P, Mapping[str, Any]], encode: Callable[[Mapping[str, Any]], str]
) -> Callable[P, str]:
    """The HTTP body builder for a payload builder: same arguments, encoded as Slack sends it."""

    def body(*args: P.args, **kwargs: P.kwargs) -> str:
        return encode(build(*args, **kwargs))

    body.__doc__ = f"The HTTP body of :func:`{build.__name__}`, encoded as Slack sends it."
    return body


def _next() -> int:
    return next(_counter)


def new_trigger_id() -> str:
    """A trigger id shaped like Slack's (``"13345224609.738474920.8088930838d88f008e0"``)."""
    n = _next()
    digest = hashlib.sha1(str(n).encode(), usedforsecurity=False).hexdigest()[:21]
    return f"{1700000000000 + n}.{738474920 + n}.{digest}"


def _action_ts() -> str:
    return f"{time.time():.6f}"


def sign(
    body: str,
    secret: str,
    timestamp: int | None = None,
    *,
    content_type: str | None = None,
) -> dict[str, str]:
    """The headers Slack sends with ``body``: timestamp, v0 signature and content type.

    ``content_type`` defaults to JSON for bodies starting with ``{`` (Events API) and to
    ``application/x-www-form-urlencoded`` otherwise (commands, interactivity).
    """
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(
        secret.encode("utf-8"), f"v0:{ts}:{body}".encode(), hashlib.sha256
    ).hexdigest()
    if content_type is None:
        content_type = (
            "application/json"
            if body.lstrip().startswith("{")
            else "application/x-www-form-urlencoded"
        )
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": content_type,
    }


# -- slash commands -----------------------------------------------------------------------------


def slash_command_payload(
    *,
    text: str,
    user_id: str,
    response_url: str,
    command: str = "/benefits",
    user_name: str = "tester",
    channel_id: str = "C0001",
    channel_name: str = "general",
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    trigger_id: str | None = None,
    api_app_id: str = API_APP_ID,
    enterprise_id: str | None = None,
    is_enterprise_install: bool = False,
) -> dict[str, str]:
    """The fields of a slash command, in Slack's order, all strings (Socket Mode payload).

    ``enterprise_id``: the workspace belongs to that Enterprise Grid org;
    ``is_enterprise_install``: the app is installed org-wide there."""
    grid = {} if enterprise_id is None else {"enterprise_id": enterprise_id}
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": team_domain,
        **grid,
        "channel_id": channel_id,
        "channel_name": "directmessage" if channel_id.startswith("D") else channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "true" if is_enterprise_install else "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }


slash_command_body = _encoded(slash_command_payload, urlencode)


# -- interactivity ----------------------------------------------------------------------------


def _user(user_id: str, user_name: str, team_id: str) -> dict[str, Any]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}


def _form_payload(payload: Mapping[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))})


def block_actions_payload(
    *,
    user_id: str,
    action_id: str,
    value: str,
    block_id: str = "b",
    message: Mapping[str, Any] | None = None,
    channel_id: str = "C0001",
    channel_name: str = "general",
    container: Mapping[str, Any] | None = None,
    response_url: str = UNSET_RESPONSE_URL,
    trigger_id: str | None = None,
    view: Mapping[str, Any] | None = None,
    action_type: str = "button",
    action_text: str = "Button",
    state_values: Mapping[str, Any] | None = None,
    user_name: str = "tester",
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = API_APP_ID,
) -> dict[str, Any]:
    """A ``block_actions`` payload for a click on one element.

    From a message (``message`` given) the container is that message; without ``message`` the
    click came from an ephemeral message (Slack does not send ephemeral messages back).  With
    ``view`` the click came from a modal or the home tab: the payload then carries ``view`` and
    neither ``channel``, ``message`` nor ``response_url``.  ``action_type`` "button" sends
    ``value``; "static_select"/"overflow"/"radio_buttons" send ``selected_option``.
    """
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": action_type,
        "action_ts": _action_ts(),
    }
    label = {"type": "plain_text", "text": action_text, "emoji": True}
    if action_type == "button":
        action["text"] = label
        action["value"] = value
    else:
        action["selected_option"] = {"text": label, "value": value}
    if container is None:
        if view is not None:
            container = {"type": view.get("type", "modal"), "view_id": view.get("id", "V0001")}
        else:
            container = {
                "type": "message",
                "message_ts": str(message.get("ts", "1700000000.000100"))
                if message is not None
                else "1700000000.000100",
                "channel_id": channel_id,
                "is_ephemeral": message is None,
            }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "container": dict(container),
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if view is not None:
        payload["view"] = dict(view)
    else:
        payload["channel"] = {"id": channel_id, "name": channel_name}
        if message is not None:
            payload["message"] = dict(message)
        payload["response_url"] = response_url
    payload["state"] = {"values": dict(state_values or {})}
    payload["actions"] = [action]
    return payload


block_actions_body = _encoded(block_actions_payload, _form_payload)


def state_values(values: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Normalise ``{block_id: {action_id: value}}`` into Slack's ``view.state.values``.

    A ``str`` value becomes a ``plain_text_input`` state (``{"type": ..., "value": s}``); a
    ``dict`` is taken as the complete element state (e.g. ``{"type": "static_select",
    "selected_option": {...}}``); ``None`` is an empty, optional input.
    """
    out: dict[str, dict[str, Any]] = {}
    for block_id, actions in values.items():
        out[block_id] = {}
        for action_id, value in actions.items():
            if isinstance(value, Mapping):
                out[block_id][action_id] = dict(value)
            else:
                out[block_id][action_id] = {"type": "plain_text_input", "value": value}
    return out


def view_submission_payload(
    *,
    user_id: str,
    callback_id: str,
    values: Mapping[str, Mapping[str, Any]],
    private_metadata: str = "",
    view_id: str = "V0001",
    blocks: list[dict[str, Any]] | None = None,
    title: str = "Modal",
    external_id: str = "",
    trigger_id: str | None = None,
    user_name: str = "tester",
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = API_APP_ID,
    bot_id: str = "BBOT",
) -> dict[str, Any]:
    """A ``view_submission`` payload; ``values`` as accepted by :func:`state_values`."""
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": team_domain},
        "user": _user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": list(blocks or []),
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": state_values(values)},
            "hash": f"1700000000.{view_id}",
            "title": {"type": "plain_text", "text": title, "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
            "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": api_app_id,
            "external_id": external_id,
            "app_installed_team_id": team_id,
            "bot_id": bot_id,
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


view_submission_body = _encoded(view_submission_payload, _form_payload)


def block_suggestion_payload(
    *,
    user_id: str,
    action_id: str,
    block_id: str,
    value: str,
    view: Mapping[str, Any] | None = None,
    user_name: str = "tester",
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = API_APP_ID,
) -> dict[str, Any]:
    """A ``block_suggestion``: Slack asking for the options of an ``external_select`` in a
    modal while the person types ``value``."""
    shown = dict(view or {"id": "V0001", "type": "modal", "callback_id": ""})
    return {
        "type": "block_suggestion",
        "user": _user(user_id, user_name, team_id),
        "container": {"type": "view", "view_id": shown.get("id", "V0001")},
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": shown,
    }


block_suggestion_body = _encoded(block_suggestion_payload, _form_payload)


def shortcut_payload(
    *,
    user_id: str,
    callback_id: str,
    trigger_id: str | None = None,
    user_name: str = "tester",
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
) -> dict[str, Any]:
    """A global ``shortcut`` chosen from Slack's shortcut menu."""
    return {
        "type": "shortcut",
        "token": VERIFICATION_TOKEN,
        "action_ts": _action_ts(),
        "team": {"id": team_id, "domain": team_domain},
        "user": {"id": user_id, "username": user_name, "team_id": team_id},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or new_trigger_id(),
    }


shortcut_body = _encoded(shortcut_payload, _form_payload)


# -- Events API -------------------------------------------------------------------------------


def event_payload(
    event: Mapping[str, Any],
    *,
    event_id: str | None = None,
    event_time: int | None = None,
    team_id: str = TEAM_ID,
    api_app_id: str = API_APP_ID,
    bot_user_id: str = BOT_USER_ID,
) -> dict[str, Any]:
    """The ``event_callback`` envelope around ``event`` (which is passed through unchanged)."""
    n = _next()
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or f"Ev{n:08d}",
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-fake-{n}",
    }


event_body = _encoded(event_payload, _json)
