"""app.yaml is a valid Slack manifest, and everything it declares has a listener."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.blocks import ids
from bot.runtime.oauth import BOT_SCOPES, REDIRECT_PATH
from tests.fakes.signing import sign, slash_command_body
from tests.slack.harness import SlackHarness

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "tests" / "data" / "slack" / "manifest.schema.1.0.0.json"  # see its README.md


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "app.yaml").read_text())
    return loaded


def test_the_manifest_validates_against_slacks_official_schema(manifest: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(manifest)]
    assert errors == []


def test_the_schema_check_rejects_a_broken_manifest(manifest: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    broken = {**manifest, "display_information": {}}
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert list(validator.iter_errors(broken))


def test_the_slash_command_escapes_mentions_and_matches_the_listener(
    manifest: dict[str, Any],
) -> None:
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [ids.COMMAND]
    assert all(c["should_escape"] is True for c in commands)


def test_the_manifest_asks_for_the_scopes_the_bot_uses_and_no_more(
    manifest: dict[str, Any],
) -> None:
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    posting = {"commands", "chat:write", "users:read", "users:read.email"}
    # conversations.history in the admin channel (public: channels, private: groups) and
    # in DMs, whose channel conversations.open (im:write) names: read back before a
    # message is sent a second time, never for anything else.
    reading_back = {"channels:history", "groups:history", "im:history", "im:write"}
    # The weekly digest's chart is a file shared in the reader's DM.
    charts = {"files:write"}
    # The inventory file a Global admin shares in their DM with the bot: files.info, then
    # its private download link.
    inventory = {"files:read"}
    assert scopes == posting | reading_back | charts | inventory


def test_people_can_share_a_file_in_the_bots_dm_and_the_bot_hears_of_it(
    manifest: dict[str, Any],
) -> None:
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_read_only_enabled"] is False
    assert "message.im" in manifest["settings"]["event_subscriptions"]["bot_events"]


def test_the_bot_hears_of_an_uninstall_and_of_revoked_tokens(manifest: dict[str, Any]) -> None:
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert {"app_uninstalled", "tokens_revoked"} <= set(events)


def test_add_to_slack_asks_for_the_manifests_bot_scopes_and_returns_to_the_redirect_path(
    manifest: dict[str, Any],
) -> None:
    assert sorted(BOT_SCOPES) == sorted(manifest["oauth_config"]["scopes"]["bot"])
    assert "user" not in manifest["oauth_config"]["scopes"]
    [redirect] = manifest["oauth_config"]["redirect_urls"]
    assert redirect.endswith(REDIRECT_PATH)
    request_urls = {c["url"] for c in manifest["features"]["slash_commands"]}
    assert {redirect.removesuffix(REDIRECT_PATH)} == {
        url.removesuffix("/slack/events") for url in request_urls
    }
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert "socket_mode_enabled" in manifest["settings"]


async def _command_status(h: SlackHarness, command: str) -> int:
    body = slash_command_body(
        text="help", user_id="UMEMBER01", command=command, response_url=h.slack.response_url("m")
    )
    return (await h.post(body, headers=sign(body, h.secret))).status


async def test_every_declared_command_has_a_listener(
    harness: SlackHarness, manifest: dict[str, Any]
) -> None:
    for command in manifest["features"]["slash_commands"]:
        assert await _command_status(harness, command["command"]) == 200
    # The check can fail: an undeclared command finds no listener.
    assert await _command_status(harness, "/not-a-command") == 404


async def test_every_declared_bot_event_has_a_listener(
    harness: SlackHarness, manifest: dict[str, Any]
) -> None:
    for name in manifest["settings"]["event_subscriptions"]["bot_events"]:
        event_type = name.partition(".")[0]  # message.im: a "message" event in a DM
        ack = await harness.event({"type": event_type, "user": "UMEMBER01", "tab": "home"})
        assert ack.status == 200, event_type
    unknown = await harness.event({"type": "reaction_added", "user": "UMEMBER01"})
    assert unknown.status == 404


async def test_every_action_and_view_callback_the_builders_use_has_a_listener(
    harness: SlackHarness,
) -> None:
    for action_id in sorted(ids.ACTION_IDS):
        ack = await harness.click("UMEMBER01", action_id, "all|0")
        assert ack.status == 200, action_id
    for callback_id in sorted(ids.VIEW_CALLBACK_IDS):
        ack = await harness.submit("UMEMBER01", callback_id, {}, private_metadata="1")
        assert ack.status == 200, callback_id
    unknown = await harness.click("UMEMBER01", "no_such_action", "x")
    assert unknown.status == 404


async def test_every_declared_shortcut_has_a_listener(
    harness: SlackHarness, manifest: dict[str, Any]
) -> None:
    declared = manifest["features"]["shortcuts"]
    assert {s["callback_id"] for s in declared} == set(ids.SHORTCUT_CALLBACK_IDS)
    for shortcut in declared:
        assert shortcut["type"] == "global"
        ack = await harness.shortcut("UMEMBER01", shortcut["callback_id"])
        assert ack.status == 200, shortcut["callback_id"]
    unknown = await harness.shortcut("UMEMBER01", "no_such_shortcut")
    assert unknown.status == 404


async def test_every_external_select_the_builders_use_has_an_options_listener(
    harness: SlackHarness, manifest: dict[str, Any]
) -> None:
    assert manifest["settings"]["interactivity"]["message_menu_options_url"]
    for action_id in sorted(ids.OPTIONS_ACTION_IDS):
        ack = await harness.options("UMEMBER01", action_id, "b", "")
        assert ack.status == 200, action_id
        assert "options" in ack.json or "option_groups" in ack.json
    unknown = await harness.options("UMEMBER01", "no_such_select", "b", "")
    assert unknown.status == 404


def test_the_manifest_enables_the_home_and_messages_tabs_and_the_home_event(
    manifest: dict[str, Any],
) -> None:
    home = manifest["features"]["app_home"]
    assert home["home_tab_enabled"] is True
    assert home["messages_tab_enabled"] is True
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]
