"""Tests of the Slack fakes themselves, driven through the real slack-sdk and slack-bolt."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakes import (
    FakeSlackWebApi,
    FakeSocketModeServer,
    RecordedCall,
    Surface,
    assert_within_block_kit_limits,
    block_actions_body,
    block_kit_violations,
    event_body,
    sign,
    slash_command_body,
    slash_command_payload,
    view_submission_body,
)
from tests.fakes.waiting import loop_turns, wait_until

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-1-test-token"
SECRET = "test-signing-secret"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackWebApi]:
    async with FakeSlackWebApi() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlackWebApi) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(text: str = "Go", action_id: str = "go", **extra: Any) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": "v",
        **extra,
    }


def option(text: str = "One", value: str = "1") -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def message(*blocks: dict[str, Any], text: str = "fallback") -> dict[str, Any]:
    return {"text": text, "blocks": list(blocks)}


def modal(*blocks: dict[str, Any], **extra: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "cb",
        "title": plain("Title"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": list(blocks),
    }
    view.update(extra)
    return view


def input_block(**extra: Any) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": "amount",
        "label": plain("Amount"),
        "element": {"type": "plain_text_input", "action_id": "value"},
    }
    block.update(extra)
    return block


# -- Web API ------------------------------------------------------------------------------------


async def test_post_message_from_sdk_is_recorded_with_decoded_blocks(
    slack: FakeSlackWebApi, client: AsyncWebClient
) -> None:
    blocks = [section("*Hello*"), {"type": "actions", "elements": [button()]}]

    response = await client.chat_postMessage(channel="U123", text="Hello", blocks=blocks)

    assert response["channel"] == "D123"
    seconds, fraction = response["ts"].split(".")
    assert len(fraction) == 6
    assert abs(int(seconds) - time.time()) < 60
    assert response["message"]["blocks"] == blocks
    [call] = slack.calls_to("chat.postMessage")
    assert call.args == {"channel": "U123", "text": "Hello", "blocks": blocks}
    assert call.token == BOT_TOKEN
    assert call.content_type == "application/json"
    assert not call.failed
    slack.assert_no_violations()


async def test_ts_values_are_unique_and_increasing(client: AsyncWebClient) -> None:
    first = await client.chat_postMessage(channel="C1", text="a")
    second = await client.chat_postEphemeral(channel="C1", user="U1", text="b")
    third = await client.chat_postMessage(channel="C1", text="c")

    stamps = [first["ts"], second["message_ts"], third["ts"]]
    assert stamps == sorted(stamps, key=float)
    assert len(set(stamps)) == 3


async def test_form_bodies_with_json_string_fields_are_decoded(
    slack: FakeSlackWebApi, client: AsyncWebClient
) -> None:
    blocks = [section("from a form")]

    await client.api_call(
        "chat.postMessage", data={"channel": "C1", "text": "t", "blocks": json.dumps(blocks)}
    )

    [call] = slack.calls_to("chat.postMessage")
    assert call.content_type == "application/x-www-form-urlencoded"
    assert call.args["blocks"] == blocks


async def test_params_methods_arrive_as_query_strings_with_string_values(
    slack: FakeSlackWebApi, client: AsyncWebClient
) -> None:
    opened = await client.conversations_open(users="U42", return_im=True)

    assert opened["channel"]["id"] == "D42"
    [call] = slack.calls_to("conversations.open")
    assert call.http_verb == "POST"
    assert call.args == {"users": "U42", "return_im": "1"}


async def test_a_post_to_a_user_id_lands_in_the_dm_that_conversations_open_names(
    slack: FakeSlackWebApi, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel="U42", text="hi")
    opened = await client.conversations_open(users="U42")
    again = await client.conversations_open(users="U42")

    assert posted["channel"] == opened["channel"]["id"] == again["channel"]["id"] == "D42"
    history = await client.conversations_history(channel="D42")
    assert [m["ts"] for m in history["messages"]] == [posted["ts"]]
    assert [m["text"] for m in slack.messages("U42")] == ["hi"]


async def test_history_is_newest_first_with_metadata_only_when_asked_for(
    client: AsyncWebClient,
) -> None:
    meta = {"event_type": "benefits_reminder", "event_payload": {"ping": 7, "key": "k"}}
    first = await client.chat_postMessage(channel="C1", text="a", metadata=meta)
    second = await client.chat_postMessage(channel="C1", text="b")
    await client.chat_postMessage(channel="C2", text="elsewhere")

    plain = await client.conversations_history(channel="C1")
    full = await client.conversations_history(channel="C1", include_all_metadata=True)

    assert [m["text"] for m in plain["messages"]] == ["b", "a"]
    assert all("metadata" not in m for m in plain["messages"])
    assert [m.get("metadata") for m in full["messages"]] == [None, meta]
    assert [m["ts"] for m in full["messages"]] == [second["ts"], first["ts"]]
    assert full["has_more"] is False
    assert full["response_metadata"]["next_cursor"] == ""


async def test_history_pages_with_a_cursor_within_oldest_and_latest(
    slack: FakeSlackWebApi, client: AsyncWebClient
) -> None:
    stamps = [(await client.chat_postMessage(channel="C1", text=str(n)))["ts"] for n in range(7)]

    inside = await client.conversations_history(channel="C1", oldest=stamps[1], latest=stamps[5])
    assert [m["ts"] for m in inside["messages"]] == stamps[4:1:-1]  # both ends left out
    inclusive = await client.conversations_history(
        channel="C1", oldest=stamps[1], latest=stamps[5], inclusive=True
    )
    assert [m["ts"] for m in inclusive["messages"]] == stamps[5:0:-1]

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = await client.conversations_history(
            channel="C1", oldest=stamps[1], inclusive=True, limit=2, cursor=cursor
        )
        pages += 1
        seen += [m["ts"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not page["has_more"]:
            assert cursor == ""
            break
    assert seen == stamps[:0:-1]  # six messages, newest first, none twice
    assert pages == 3
    [call, *_] = slack.calls_to("conversations.history")
    assert call.http_verb == "GET"


async def test_history_shows_updates_and_forgets_deleted_messages(client: AsyncWebClient) -> None:
    first = {"event_type": "benefits_reminder", "event_payload": {"ping": 1, "key": "post"}}
    later = {"event_type": "benefits_reminder", "event_payload": {"ping": 2, "key": "update"}}
    kept = await client.chat_postMessage(channel="C1", text="pending", metadata=first)
    gone = await client.chat_postMessage(channel="C1", text="bye")

    await client.chat_update(channel="C1", ts=kept["ts"], text="approved", metadata=later)
    await client.chat_delete(channel="C1", ts=gone["ts"])

    history = await client.conversations_history(channel="C1", include_all_metadata=True)
    [message] = history["messages"]
    assert (message["ts"], message["text"], message["metadata"]) == (kept["ts"], "approved", later)


async def test_a_stalled_call_is_carried_out_but_answered_only_when_released(
    slack: FakeSlackWebApi, client: AsyncWebClient
) -> None:
    slack.stall_next("chat.postMessage")
    posting = asyncio.create_task(client.chat_postMessage(channel="C1", text="in flight"))
    [call] = await slack.wait_for("chat.postMessage")

    assert not posting.done()  # Slack has it; the caller hasn't heard back
    assert [m["ts"] for m in slack.messages("C1")] == [call.response["ts"]]
    slack.release_stalled()
    answer = await asyncio.wait_for(posting, 5)
    assert answer["ts"] == call.response["ts"]
    after = await client.chat_postMessage(channel="C1", text="answered at once")
    assert after["ok"]


async def test_users_list_pages_through_every_user_with_locales_only_on_request(
    slack: FakeSlackWebApi, client: AsyncWebClient
) -> None:
    for n in range(5):
        slack.add_user(f"U{n}", name=f"user{n}", locale="nl-NL" if n % 2 else "en-US")

    first = await client.users_list(limit=2, include_locale=True)
    seen = [m["id"] for m in first["members"]]
    cursor = first["response_metadata"]["next_cursor"]
    while cursor:
        page = await client.users_list(limit=2, include_locale=True, cursor=cursor)
        seen += [m["id"] for m in page["members"]]
        cursor = page["response_metadata"]["next_cursor"]
    plain = await client.users_list()

    assert seen == ["U0", "U1", "U2", "U3", "U4"]
    assert first["members"][1]["locale"] == "nl-NL"
    assert all("locale" not in m for m in plain["members"])


async def test_users_info_answers_registered_users_and_locale_only_on_request(
    slack: FakeSlackWebApi, client: AsyncWebClient
) -> None:
    slack.add_user("U1", name="ana", email="ana@example.com", locale="de-DE")

    plain_info = await client.users_info(user="U1")
    with_locale = await client.users_info(user="U1", include_locale=True)
    by_email = await client.users_lookupByEmail(email="ANA@example.com")

    assert "locale" not in plain_info["user"]
    assert with_locale["user"]["locale"] == "de-DE"
    assert by_email["user"]["id"] == "U1"
    assert slack.calls_to("users.info")[0].http_verb == "GET"
    with pytest.raises(SlackApiError) as unknown:
        await client.users_info(user="U404")
    assert unknown.value.response["error"] == "user_not_found"
    with pytest.raises(SlackApiError) as unknown_email:
        await client.users_lookupByEmail(email="nobody@example.com")
    assert unknown_email.value.response["error"] == "users_not_found"


async def test_calls_without_a_token_are_not_authed(slack: FakeSlackWebApi) -> None:
    anonymous = AsyncWebClient(base_url=slack.api_url)

    with pytest.raises(SlackApiError) as error:
        await anonymous.chat_postMessage(channel="C1", text="hi")

    assert error.value.response["error"] == "not_authed"
    assert slack.calls[0].failed


async def test_auth_test_describes_the_bot(client: AsyncWebClient) -> None:
    response = await client.auth_test()

    assert response["user_id"] == "UBOT"
    assert response["bot_id"] == "BBOT"
    assert response["team_id"] == "T0001"
    assert response["team"] == "Test"
    assert response["url"].startswith("https://")


async def test_oauth_v2_access_exchanges_an_allowed_install_once_for_a_token_of_that_workspace(
    slack: FakeSlackWebApi,
) -> None:
    slack.oauth_client = ("111.222", "s3cret")
    anonymous = AsyncWebClient(base_url=slack.api_url)
    code = slack.authorize("UINSTALL", team_id="T0002", team="Other", scopes=("commands",))

    with pytest.raises(SlackApiError) as wrong_secret:
        await anonymous.oauth_v2_access(client_id="111.222", client_secret="nope", code=code)
    answer = await anonymous.oauth_v2_access(client_id="111.222", client_secret="s3cret", code=code)
    with pytest.raises(SlackApiError) as again:
        await anonymous.oauth_v2_access(client_id="111.222", client_secret="s3cret", code=code)

    assert wrong_secret.value.response["error"] == "bad_client_secret"
    assert again.value.response["error"] == "invalid_code"
    assert answer["team"] == {"id": "T0002", "name": "Other"}
    assert answer["authed_user"] == {"id": "UINSTALL"}
    assert (answer["token_type"], answer["scope"]) == ("bot", "commands")
    assert "refresh_token" not in answer
    who = await AsyncWebClient(token=answer["access_token"], base_url=slack.api_url).auth_test()
    assert (who["team_id"], who["user_id"]) == ("T0002", "UBOTT0002")
    assert slack.issued_tokens() == {answer["access_token"]: "T0002"}


async def test_a_refresh_token_of_a_rotating_install_is_good_once(slack: FakeSlackWebApi) -> None:
    anonymous = AsyncWebClient(base_url=slack.api_url)
    code = slack.authorize("UINSTALL", token_rotation=True, expires_in=60)
    first = await anonymous.oauth_v2_access(client_id="1.2", client_secret="s", code=code)

    refreshed = await anonymous.oauth_v2_access(
        client_id="1.2",
        client_secret="s",
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
    )
    with pytest.raises(SlackApiError) as reused:
        await anonymous.oauth_v2_access(
            client_id="1.2",
            client_secret="s",
            grant_type="refresh_token",
            refresh_token=first["refresh_token"],
        )

    assert first["expires_in"] == 60
    assert refreshed["expires_in"] == 12 * 60 * 60
    assert refreshed["access_token"] != first["access_token"]
    assert reused.value.response["error"] == "invalid_refresh_token"


async def test_a_rejected_token_gets_slacks_error_on_every_method(
    slack: FakeSlackWebApi, client: AsyncWebClient
) -> None:
    slack.reject_token(BOT_TOKEN, "token_revoked")

    for call in (client.auth_test(), client.chat_postMessage(channel="C1", text="hi")):
        with pytest.raises(SlackApiError) as error:
            await call
        assert error.value.response["error"] == "token_revoked"
    other = AsyncWebClient(token="xoxb-another-token", base_url=slack.api_url)
    assert (await other.auth_test())["ok"]


async def test_a_dropped_connection_is_a_connection_error_and_is_not_recorded(
    slack: FakeSlackWebApi,
) -> None:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url, retry_handlers=[])
    slack.disconnect_next("auth.test", times=2)

    for _ in range(2):
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await client.auth_test()
    assert slack.calls == []
    assert (await client.auth_test())["ok"]


async def test_views_get_ids_and_bad_views_are_reported_as_violations(
    slack: FakeSlackWebApi, client: AsyncWebClient
) -> None:
    opened = await client.views_open(trigger_id="t", view=modal(section("ok")))
    await client.views_update(
        view_id=opened["view"]["id"], view=modal(section("x"), title=plain("A" * 25))
    )

    assert opened["view"]["id"].startswith("V")
    assert slack.violations == [
        "views.update (call #1): view.title.text: modal title is 25 chars (max 24)"
    ]
    with pytest.raises(AssertionError, match="modal title is 25 chars"):
        slack.assert_no_violations()


async def test_invalid_blocks_can_be_rejected_like_slack_does() -> None:
    async with FakeSlackWebApi(reject_invalid_blocks=True) as slack:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
        with pytest.raises(SlackApiError) as error:
            await client.chat_postMessage(channel="C1", text="t", blocks=[section("x" * 3001)])

    assert error.value.response["error"] == "invalid_blocks"


async def test_response_url_posts_are_recorded_with_their_name(slack: FakeSlackWebApi) -> None:
    webhook = AsyncWebhookClient(slack.response_url("cmd-1"))

    response = await webhook.send(text="done", replace_original=True, blocks=[section("done")])

    assert response.status_code == 200
    [call] = slack.calls_to("response_url")
    assert call.args["_name"] == "cmd-1"
    assert call.args["replace_original"] is True
    assert call.args["blocks"] == [section("done")]


async def test_wait_for_returns_calls_that_arrive_later(
    slack: FakeSlackWebApi, client: AsyncWebClient
) -> None:
    waiter = asyncio.create_task(
        slack.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == "C2", timeout=5)
    )
    await loop_turns(5)
    assert not waiter.done()  # nothing arrived yet: it is still waiting

    await client.chat_postMessage(channel="C1", text="first")
    await loop_turns(5)
    assert not waiter.done()  # a call that does not match does not end the wait
    await client.chat_postMessage(channel="C2", text="second")
    calls = await waiter

    assert [c.args["text"] for c in calls] == ["second"]


async def test_wait_for_timeout_lists_what_was_recorded(
    slack: FakeSlackWebApi, client: AsyncWebClient
) -> None:
    await client.chat_postMessage(channel="C1", text="only this")

    with pytest.raises(AssertionError) as error:
        await slack.wait_for("chat.postMessage", count=2, timeout=0.1)

    assert "got 1" in str(error.value)
    assert "chat.postMessage" in str(error.value)
    assert "only this" in str(error.value)


async def test_wait_until_returns_as_soon_as_the_condition_holds() -> None:
    seen: list[int] = []

    async def append_later() -> None:
        await loop_turns(3)
        seen.append(1)

    task = asyncio.create_task(append_later())
    await wait_until(lambda: seen == [1], timeout=5)
    await task

    async def holds() -> bool:
        return True

    await wait_until(holds, timeout=0)  # an async condition true at once needs no time


async def test_wait_until_fails_naming_what_it_waited_for_and_what_it_saw() -> None:
    with pytest.raises(AssertionError) as error:
        await wait_until(lambda: False, timeout=0.01, what="the sky to fall", seen=lambda: "blue")
    assert "Timed out after 0.01s waiting for the sky to fall; saw: blue" in str(error.value)


# -- failure injection and rate limits ---------------------------------------------------------


async def test_injected_429_raises_slack_api_error_with_retry_after(
    slack: FakeSlackWebApi, client: AsyncWebClient
) -> None:
    slack.fail_next("chat.postMessage", retry_after=7)

    with pytest.raises(SlackApiError) as error:
        await client.chat_postMessage(channel="C1", text="hi")
    await client.chat_postMessage(channel="C1", text="hi again")

    response = error.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response["error"] == "ratelimited"
    assert [c.failed for c in slack.calls_to("chat.postMessage")] == [True, False]
    assert slack.ratelimited_count == 1


async def test_injected_429_is_retried_by_the_rate_limit_retry_handler(
    slack: FakeSlackWebApi,
) -> None:
    client = AsyncWebClient(
        token=BOT_TOKEN,
        base_url=slack.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    slack.fail_next("chat.postMessage", retry_after=1)

    response = await client.chat_postMessage(channel="C1", text="hi")

    assert response["ok"]
    assert [c.failed for c in slack.calls_to("chat.postMessage")] == [True, False]


async def test_injected_error_with_status_200_is_a_plain_slack_error(
    slack: FakeSlackWebApi, client: AsyncWebClient
) -> None:
    slack.fail_next("chat.update", error="message_not_found", status=200, times=2)

    for _ in range(2):
        with pytest.raises(SlackApiError) as error:
            await client.chat_update(channel="C1", ts="1.2", text="x")
        assert error.value.response["error"] == "message_not_found"
        assert "Retry-After" not in error.value.response.headers
    assert (await client.chat_update(channel="C1", ts="1.2", text="x"))["ok"]


async def test_rate_limit_is_a_token_bucket_per_channel() -> None:
    now = [1000.0]
    async with FakeSlackWebApi(clock=lambda: now[0]) as slack:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
        slack.rate_limit("chat.postMessage", per_channel_per_second=0.25, burst=2)

        await client.chat_postMessage(channel="C1", text="1")
        await client.chat_postMessage(channel="C1", text="2")
        with pytest.raises(SlackApiError) as error:
            await client.chat_postMessage(channel="C1", text="3")
        await client.chat_postMessage(channel="C2", text="other channel")
        now[0] += 4.0
        await client.chat_postMessage(channel="C1", text="refilled")

    assert error.value.response.status_code == 429
    assert error.value.response.headers["Retry-After"] == "4"
    assert slack.ratelimited_count == 1
    assert len(slack.calls_to("chat.postMessage", include_failed=False)) == 4


# -- Block Kit limits -------------------------------------------------------------------------

BAD_PAYLOADS = [
    pytest.param(
        message(*[section("x")] * 51), "message", "51 blocks (max 50", id="a message with 51 blocks"
    ),
    pytest.param(
        modal(*[section("x")] * 101), "modal", "101 blocks (max 100", id="a modal with 101 blocks"
    ),
    pytest.param(
        {"type": "home", "blocks": [section("x")] * 101},
        "home",
        "101 blocks (max 100",
        id="a home view with 101 blocks",
    ),
    pytest.param(
        message(section("x" * 3001)),
        "message",
        "section text is 3001 chars (max 3000)",
        id="section text longer than 3000 chars",
    ),
    pytest.param(
        message({"type": "section", "fields": [plain("f")] * 11}),
        "message",
        "11 section fields (max 10)",
        id="a section with 11 fields",
    ),
    pytest.param(
        message({"type": "section", "fields": [plain("f" * 2001)]}),
        "message",
        "section field is 2001 chars (max 2000)",
        id="a section field longer than 2000 chars",
    ),
    pytest.param(
        message({"type": "header", "text": plain("h" * 151)}),
        "message",
        "header text is 151 chars (max 150)",
        id="header text longer than 150 chars",
    ),
    pytest.param(
        message({"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}}),
        "message",
        "header text must be plain_text",
        id="a header with mrkdwn text",
    ),
    pytest.param(
        message({"type": "context", "elements": [plain("c")] * 11}),
        "message",
        "11 context elements (max 10)",
        id="a context block with 11 elements",
    ),
    pytest.param(
        message({"type": "actions", "elements": [button(action_id=f"a{i}") for i in range(26)]}),
        "message",
        "26 actions elements (max 25)",
        id="an actions block with 26 elements",
    ),
    pytest.param(
        message({"type": "actions", "elements": [button(text="b" * 76)]}),
        "message",
        "button text is 76 chars (max 75)",
        id="button text longer than 75 chars",
    ),
    pytest.param(
        message({"type": "actions", "elements": [button(value="v" * 2001)]}),
        "message",
        "button value is 2001 chars (max 2000)",
        id="a button value longer than 2000 chars",
    ),
    pytest.param(
        message({"type": "actions", "elements": [button(url="https://x/" + "u" * 2991)]}),
        "message",
        "button url is 3001 chars (max 3000)",
        id="a button url longer than 3000 chars",
    ),
    pytest.param(
        message({"type": "actions", "elements": [button(action_id="a" * 256)]}),
        "message",
        "action_id is 256 chars (max 255)",
        id="an action_id longer than 255 chars",
    ),
    pytest.param(
        message({"type": "actions", "elements": [button(), button()]}),
        "message",
        "duplicate action_id 'go' in one block",
        id="two elements in one block sharing an action_id",
    ),
    pytest.param(
        message(section("x", block_id="b" * 256)),
        "message",
        "block_id is 256 chars (max 255)",
        id="a block_id longer than 255 chars",
    ),
    pytest.param(
        message(section("x", block_id="same"), section("y", block_id="same")),
        "message",
        "duplicate block_id 'same'",
        id="two blocks sharing a block_id",
    ),
    pytest.param(
        message(section("x", accessory={"type": "static_select", "options": [option("o" * 76)]})),
        "message",
        "option text is 76 chars (max 75)",
        id="a select option text longer than 75 chars",
    ),
    pytest.param(
        message(
            section("x", accessory={"type": "static_select", "options": [option(value="v" * 151)]})
        ),
        "message",
        "option value is 151 chars (max 150)",
        id="a select option value longer than 150 chars",
    ),
    pytest.param(
        message(
            section("x", accessory={"type": "static_select", "options": [option()] * 101}),
        ),
        "message",
        "101 static_select options (max 100)",
        id="a static_select with 101 options",
    ),
    pytest.param(
        message(section("x", accessory={"type": "overflow", "options": [option()] * 6})),
        "message",
        "6 overflow options (max 5)",
        id="an overflow menu with 6 options",
    ),
    pytest.param(
        modal(section("x"), title=plain("t" * 25)),
        "modal",
        "modal title is 25 chars (max 24)",
        id="a modal title longer than 24 chars",
    ),
    pytest.param(
        modal(section("x"), title={"type": "mrkdwn", "text": "*t*"}),
        "modal",
        "modal title must be plain_text",
        id="a modal title in mrkdwn",
    ),
    pytest.param(
        modal(section("x"), submit=plain("s" * 25)),
        "modal",
        "submit button text is 25 chars (max 24)",
        id="a submit label longer than 24 chars",
    ),
    pytest.param(
        modal(section("x"), close=plain("c" * 25)),
        "modal",
        "close button text is 25 chars (max 24)",
        id="a close label longer than 24 chars",
    ),
    pytest.param(
        modal(section("x"), callback_id="c" * 256),
        "modal",
        "callback_id is 256 chars (max 255)",
        id="a callback_id longer than 255 chars",
    ),
    pytest.param(
        modal(section("x"), private_metadata="m" * 3001),
        "modal",
        "private_metadata is 3001 chars (max 3000)",
        id="private_metadata longer than 3000 chars",
    ),
    pytest.param(
        modal(input_block(label=plain("l" * 2001))),
        "modal",
        "input label is 2001 chars (max 2000)",
        id="an input label longer than 2000 chars",
    ),
    pytest.param(
        modal(input_block(hint=plain("h" * 2001))),
        "modal",
        "input hint is 2001 chars (max 2000)",
        id="an input hint longer than 2000 chars",
    ),
    pytest.param(
        modal(
            input_block(
                element={
                    "type": "plain_text_input",
                    "action_id": "v",
                    "placeholder": plain("p" * 151),
                }
            )
        ),
        "modal",
        "placeholder is 151 chars (max 150)",
        id="a plain_text_input placeholder longer than 150 chars",
    ),
    pytest.param(
        modal(input_block(), submit=None),
        "modal",
        "a modal with input blocks needs a submit button",
        id="a modal with inputs but no submit button",
    ),
    pytest.param(
        {"text": "t" * 40001},
        "message",
        "message text is 40001 chars (max 40000)",
        id="top level message text longer than 40000 chars",
    ),
    pytest.param(
        message({"type": "section", "text": {"type": "markdown", "text": "x"}}),
        "message",
        "has type 'markdown', expected plain_text or mrkdwn",
        id="a text object with an unknown type",
    ),
    pytest.param(
        message({"type": "section", "text": {"type": "mrkdwn", "text": ""}}),
        "message",
        "section text has empty text",
        id="a text object with empty text",
    ),
    pytest.param(
        {"blocks": [section("x")]},
        "message",
        "message has blocks but no fallback text",
        id="a message with blocks but no fallback text",
    ),
    pytest.param(
        {"text": "t", "attachments": [{"blocks": [section("x" * 3001)]}]},
        "message",
        "attachments[0].blocks[0].text.text: section text is 3001",
        id="blocks inside attachments are checked too",
    ),
]


@pytest.mark.parametrize(("payload", "surface", "expected"), BAD_PAYLOADS)
def test_block_kit_checker_flags(payload: dict[str, Any], surface: Surface, expected: str) -> None:
    violations = block_kit_violations(payload, surface=surface)

    assert any(expected in v for v in violations), violations
    with pytest.raises(AssertionError, match="Block Kit violation"):
        assert_within_block_kit_limits(payload, surface=surface)


GOOD_PAYLOADS = [
    pytest.param(
        message(
            {"type": "header", "text": plain("Benefits")},
            section("*Azure credits*", block_id="s1", accessory=button(action_id="more")),
            {"type": "section", "block_id": "s2", "fields": [plain("a"), plain("b")]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "updated"}]},
            {"type": "actions", "elements": [button(action_id="a"), button(action_id="b")]},
            {"type": "divider"},
        ),
        "message",
        id="a typical message with every common block",
    ),
    pytest.param(message(*[section("x")] * 50), "message", id="a message with exactly 50 blocks"),
    pytest.param(
        message(
            {"type": "actions", "block_id": "r1", "elements": [button(action_id="approve")]},
            {"type": "actions", "block_id": "r2", "elements": [button(action_id="approve")]},
        ),
        "message",
        id="the same action_id in two different blocks",
    ),
    pytest.param(
        modal(input_block(hint=plain("Whole euros")), private_metadata="m" * 3000),
        "modal",
        id="a modal with an input at the limits",
    ),
    pytest.param(
        {"type": "home", "blocks": [section("x")] * 100}, "home", id="a home view with 100 blocks"
    ),
]


@pytest.mark.parametrize(("payload", "surface"), GOOD_PAYLOADS)
def test_block_kit_checker_accepts(payload: dict[str, Any], surface: Surface) -> None:
    assert block_kit_violations(payload, surface=surface) == []
    assert_within_block_kit_limits(payload, surface=surface)


# -- signing and request bodies -----------------------------------------------------------------


def test_signature_verifies_with_the_right_secret_only() -> None:
    body = slash_command_body(text="list", user_id="U1", response_url="http://x/r")
    headers = sign(body, SECRET)

    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    assert not SignatureVerifier("wrong-secret").is_valid_request(body, headers)
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_old_timestamps_fail_verification_like_replays() -> None:
    body = event_body({"type": "app_home_opened", "user": "U1"})
    headers = sign(body, SECRET, timestamp=int(time.time()) - 600)

    assert headers["Content-Type"] == "application/json"
    assert not SignatureVerifier(SECRET).is_valid_request(body, headers)


def test_slash_command_body_has_slacks_fields_in_order() -> None:
    body = slash_command_body(
        text="grant 5", user_id="U1", response_url="http://x/r", trigger_id="1.2.3"
    )

    assert body.startswith("token=")
    assert "command=%2Fbenefits&text=grant+5" in body
    fields = {k: v[0] for k, v in parse_qs(body).items()}
    assert list(fields) == [
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    ]
    assert fields["is_enterprise_install"] == "false"


def bolt_app(slack: FakeSlackWebApi) -> AsyncApp:
    return AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url),
        signing_secret=SECRET,
    )


async def dispatch(app: AsyncApp, body: str) -> int:
    headers: dict[str, str | Sequence[str]] = {**sign(body, SECRET)}
    response = await app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
    return response.status


async def test_signed_bodies_are_understood_by_bolt(slack: FakeSlackWebApi) -> None:
    app = bolt_app(slack)
    seen: dict[str, Any] = {}

    @app.command("/benefits")
    async def on_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack()
        seen["command"] = command

    @app.action("approve")
    async def on_action(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        seen["action"] = body

    @app.view("grant")
    async def on_view(ack: AsyncAck, view: dict[str, Any]) -> None:
        await ack()
        seen["view"] = view

    @app.event("app_home_opened")
    async def on_event(event: dict[str, Any]) -> None:
        seen["event"] = event

    response_url = slack.response_url("r")
    statuses = [
        await dispatch(
            app, slash_command_body(text="grant 5", user_id="U1", response_url=response_url)
        ),
        await dispatch(
            app,
            block_actions_body(
                user_id="U1",
                action_id="approve",
                value="42",
                message={"ts": "1700000000.000100", "text": "x"},
            ),
        ),
        await dispatch(
            app,
            view_submission_body(
                user_id="U1", callback_id="grant", values={"amount": {"value": "5"}}
            ),
        ),
        await dispatch(app, event_body({"type": "app_home_opened", "user": "U1", "tab": "home"})),
    ]
    await wait_until(lambda: "event" in seen, what="the event listener, which runs after the ack")

    assert statuses == [200, 200, 200, 200]
    assert seen["command"]["text"] == "grant 5"
    assert seen["command"]["response_url"] == response_url
    assert seen["action"]["actions"][0]["value"] == "42"
    assert seen["action"]["container"]["message_ts"] == "1700000000.000100"
    assert seen["view"]["state"]["values"]["amount"]["value"]["value"] == "5"
    assert seen["event"]["user"] == "U1"
    assert slack.calls_to("auth.test"), "bolt authorizes through the fake"


# -- Socket Mode --------------------------------------------------------------------------------


async def test_sdk_socket_mode_client_connects_receives_and_acks(
    slack: FakeSlackWebApi,
) -> None:
    async with FakeSocketModeServer() as sm:
        slack.socket_url = sm.url
        client = SocketModeClient(
            app_token=APP_TOKEN, web_client=AsyncWebClient(base_url=slack.api_url)
        )
        messages: list[dict[str, Any]] = []

        async def on_message(_: AsyncBaseSocketModeClient, msg: dict[str, Any], __: Any) -> None:
            messages.append(msg)

        async def on_request(c: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
            await c.send_socket_mode_response(
                SocketModeResponse(envelope_id=req.envelope_id, payload={"text": "got it"})
            )

        client.message_listeners.append(on_message)
        client.socket_mode_request_listeners.append(on_request)
        try:
            await client.connect()  # type: ignore[no-untyped-call]
            await sm.wait_connected()
            payload = slash_command_payload(
                text="help", user_id="U1", response_url=slack.response_url("r")
            )
            envelope_id = await sm.send_envelope("slash_commands", payload)
            ack = await sm.wait_ack(envelope_id)

            await sm.send_disconnect()
            await sm.wait_connections(2)
            # Slack's "disconnect" makes the SDK fetch a new URL and connect again; envelopes
            # sent meanwhile wait in the new socket until the client reads them.
            after_reconnect = await sm.send_envelope("events_api", {"type": "event_callback"})
            second_ack = await sm.wait_ack(after_reconnect)
        finally:
            await client.close()  # type: ignore[no-untyped-call]

    [connections_open, reconnect_open] = slack.calls_to("apps.connections.open")
    assert connections_open.token == APP_TOKEN
    assert not reconnect_open.failed
    assert ack == {"envelope_id": envelope_id, "payload": {"text": "got it"}}
    assert second_ack["envelope_id"] == after_reconnect
    assert sm.connections_total == 2
    assert messages[0]["type"] == "hello"
    assert messages[1]["payload"] == payload
    assert sm.pings_received >= 1


async def test_socket_mode_wait_ack_times_out_readably() -> None:
    async with FakeSocketModeServer() as sm:
        with pytest.raises(AssertionError, match="ack of nope"):
            await sm.wait_ack("nope", timeout=0.05)


def test_recorded_call_defaults() -> None:
    call = RecordedCall(method="auth.test", args={}, token=None)

    assert not call.failed
    assert call.status == 200


# -- users.list and the two-step file upload -------------------------------------------


async def test_users_list_pages_every_user_with_a_cursor(
    slack: FakeSlackWebApi, client: AsyncWebClient
) -> None:
    for i in range(5):
        slack.add_user(f"U{i:08d}", name=f"u{i}", deleted=i == 3)
    seen: list[tuple[str, bool]] = []
    cursor: str | None = None
    while True:
        page = await client.users_list(limit=2, cursor=cursor)
        seen += [(m["id"], m["deleted"]) for m in page["members"]]
        cursor = page["response_metadata"]["next_cursor"] or None
        if cursor is None:
            break
    assert seen == [(f"U{i:08d}", i == 3) for i in range(5)]
    assert len(slack.calls_to("users.list")) == 3


async def test_files_upload_v2_goes_through_the_three_steps_and_is_recorded(
    slack: FakeSlackWebApi, client: AsyncWebClient
) -> None:
    response = await client.files_upload_v2(
        channel="C0001", file=b"\x89PNG chart", filename="chart.png", title="Chart", alt_txt="alt"
    )
    file_id = response["files"][0]["id"]
    methods = [c.method for c in slack.calls]
    assert methods == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    assert slack.uploaded(file_id) == b"\x89PNG chart"
    assert slack.messages("C0001")[-1]["files"][0]["id"] == file_id


async def test_completing_an_upload_that_never_arrived_is_refused(
    slack: FakeSlackWebApi, client: AsyncWebClient
) -> None:
    announced = await client.files_getUploadURLExternal(filename="chart.png", length=10)
    with pytest.raises(SlackApiError) as refused:
        await client.files_completeUploadExternal(
            files=[{"id": announced["file_id"]}], channel_id="C0001"
        )
    assert refused.value.response["error"] == "file_not_found"
    assert slack.messages("C0001") == []
