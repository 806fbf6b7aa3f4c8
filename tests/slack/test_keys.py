"""Product keys over Slack's wire format: the modal, who sees keys, and where keys never go.

Keys may appear in exactly two places: the view the bot returns in the
acknowledgement of the keys modal's submission, and a ``views.update`` of that
same modal when the caller turns a page. Every other Web API call, every
``response_url`` call and every log record is checked for them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.blocks import ids
from bot.domain.clock import FakeClock
from bot.domain.model import Benefit, Category, Download, Role
from bot.runtime.logs import configure_logging
from bot.runtime.server import start_bot
from bot.services.keys import KeyVault, store_keys
from bot.settings import SettingsError
from storage.sqlite import open_sqlite
from tests.fakes.signing import block_actions_body, view_submission_body
from tests.fakes.web_api import FakeSlackWebApi
from tests.slack.conftest import make_settings
from tests.slack.harness import Ack, SlackHarness, call_text
from tests.system.test_cli import EXAMPLE, clean_env, run_cli

KEY = KeyVault.generate_key()
VAULT = KeyVault([KEY])

MEMBER = "UMEMBER01"
HOLDER = "UHOLDER01"
ADMIN = "UADMIN001"
PARTNER = "UPARTNER1"

WIN = Benefit(
    "win11",
    "Windows 11 Enterprise",
    Category.SOFTWARE,
    seats=5,
    instructions="Activate online within 30 days.",
    languages=("English", "Dutch"),
    operating_systems=("x64", "arm64"),
    downloads=(Download("English", "x64", "https://dl.example.com/win11/en-x64.iso"),),
)
CRM = Benefit("crm", "Dynamics 365 Sales", Category.CLOUD, seats=5, instructions="Redeem it.")
CREDIT = Benefit("azure-100", "Azure credit", Category.CLOUD, seats=5, usage_based=True)
WIN_KEYS = tuple(f"WINKY-QWERT-ASDFG-ZXCVB-{n:05d}" for n in range(1, 201))
CRM_KEYS = ("CRMKY-QWERT-ASDFG-ZXCVB-00001",)
ALL_KEYS = WIN_KEYS + CRM_KEYS


async def _start(slack: FakeSlackWebApi, database: Path, key: str | None) -> SlackHarness:
    settings = make_settings(slack.api_url, database, benefits_encryption_key=key)
    clock = FakeClock()
    bot = await start_bot(settings, clock=clock)
    return SlackHarness(bot=bot, slack=slack, clock=clock, session=aiohttp.ClientSession())


@pytest.fixture
async def h(slack: FakeSlackWebApi, tmp_path: Path) -> AsyncIterator[SlackHarness]:
    """The bot with an encryption key, WIN (200 keys), CRM (1 key) and a usage-based credit.

    HOLDER holds a seat of WIN and of CRM; ADMIN is Global admin, PARTNER MPN partner admin.
    """
    harness = await _start(slack, tmp_path / "benefits.db", KEY)
    try:
        async with harness.bot.store.write() as uow:
            for benefit in (WIN, CRM, CREDIT):
                await uow.benefits.put(benefit)
            await store_keys(uow, VAULT, WIN.id, WIN_KEYS)
            await store_keys(uow, VAULT, CRM.id, CRM_KEYS)
            for benefit in (WIN, CRM):
                await uow.assignments.add(
                    benefit_id=benefit.id,
                    user_id=HOLDER,
                    assigned_at=harness.clock.now(),
                    assigned_by=ADMIN,
                )
        await harness.grant(ADMIN)
        await harness.grant(PARTNER, Role.MPN_PARTNER_ADMIN)
        yield harness
        await harness.settle()
    finally:
        await harness.bot.stop(timeout=5)
        await harness.session.close()
    slack.assert_no_violations()
    assert not harness.ack_violations, "\n".join(harness.ack_violations)


def option(value: str) -> dict[str, Any]:
    return {
        "type": "static_select",
        "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value},
    }


async def open_keys_modal(h: SlackHarness, user: str, text: str) -> dict[str, Any]:
    ack = await h.command(user, text)
    assert ack.status == 200
    assert ack.body in ("", {}), ack.body  # no message: the modal is the answer
    opened = await h.slack.wait_for("views.open")
    view: dict[str, Any] = opened[-1].args["view"]
    assert view["callback_id"] == ids.KEYS_VIEW
    return view


async def submit_choice(
    h: SlackHarness,
    user: str,
    view: dict[str, Any],
    language: str | None = None,
    os: str | None = None,
) -> Ack:
    values: dict[str, dict[str, Any]] = {}
    if language is not None:
        values[ids.KEYS_LANGUAGE_BLOCK] = {ids.KEYS_LANGUAGE_INPUT: option(language)}
    if os is not None:
        values[ids.KEYS_OS_BLOCK] = {ids.KEYS_OS_INPUT: option(os)}
    body = view_submission_body(
        user_id=user,
        callback_id=view["callback_id"],
        values=values,
        private_metadata=view.get("private_metadata", ""),
        blocks=view["blocks"],
        view_id="VKEYS0001",
    )
    return await h.post(body)


async def turn_page(h: SlackHarness, user: str, shown: dict[str, Any], action_id: str) -> Ack:
    value = next(
        e["value"]
        for b in shown["blocks"]
        if b.get("block_id") == ids.KEYS_NAV_BLOCK
        for e in b["elements"]
        if e["action_id"] == action_id
    )
    body = block_actions_body(
        user_id=user,
        action_id=action_id,
        value=value,
        view={**shown, "id": "VKEYS0001", "hash": "1700000000.VKEYS0001"},
    )
    return await h.post(body)


def keys_in(text: str, keys: tuple[str, ...] = ALL_KEYS) -> list[str]:
    return [key for key in keys if key in text]


def leaks_outside_the_modal(h: SlackHarness) -> list[str]:
    """Keys in any recorded Web API or response_url call but a views.update of the modal."""
    found = []
    for call in h.slack.calls:
        if call.method == "views.update" and call.args.get("view_id") == "VKEYS0001":
            continue
        text = json.dumps(call.args)
        found += [f"{call.method}: {key}" for key in keys_in(text)]
    return found


# -- the way to the keys -----------------------------------------------------------


async def test_a_seat_holder_picks_language_and_os_and_sees_link_instructions_and_keys_in_the_modal(
    h: SlackHarness,
) -> None:
    view = await open_keys_modal(h, HOLDER, "keys Windows 11")
    selects = {
        b["block_id"]: [o["value"] for o in b["element"]["options"]]
        for b in view["blocks"]
        if b["type"] == "input"
    }
    assert selects == {
        ids.KEYS_LANGUAGE_BLOCK: ["English", "Dutch"],
        ids.KEYS_OS_BLOCK: ["x64", "arm64"],
    }
    assert keys_in(json.dumps(view)) == []  # choosing shows no key yet

    ack = await submit_choice(h, HOLDER, view, "English", "x64")

    assert ack.json["response_action"] == "update"
    shown = ack.json["view"]
    assert "https://dl.example.com/win11/en-x64.iso" in ack.text
    assert "Activate online within 30 days." in ack.text
    assert keys_in(ack.text, WIN_KEYS) == list(WIN_KEYS[:100])
    await h.settle()
    assert leaks_outside_the_modal(h) == []
    assert not h.slack.calls_to("chat.postMessage")
    assert not h.slack.calls_to("chat.postEphemeral")
    async with h.bot.store.read() as uow:
        reveal = await uow.keys.first_reveal()
        audit = [e for e in await uow.audit.recent(100) if e.action == "keys.reveal"]
    assert reveal is not None
    assert (reveal.user_id, reveal.benefit_id) == (HOLDER, WIN.id)
    assert [(e.actor, e.subject) for e in audit] == [(HOLDER, f"benefit:{WIN.id}")]
    assert keys_in(audit[0].detail) == []
    assert shown["callback_id"] == ids.KEYS_RESULT_VIEW


async def test_two_hundred_keys_are_paged_in_the_same_modal_without_dropping_any(
    h: SlackHarness,
) -> None:
    view = await open_keys_modal(h, ADMIN, "keys win11")
    first = (await submit_choice(h, ADMIN, view, "Dutch", "x64")).json["view"]

    await turn_page(h, ADMIN, first, ids.KEYS_NEXT)
    updates = await h.slack.wait_for("views.update")
    second = updates[-1].args["view"]
    await turn_page(h, ADMIN, second, ids.KEYS_PREVIOUS)
    back = (await h.slack.wait_for("views.update", count=2))[-1].args["view"]

    assert updates[-1].args["view_id"] == "VKEYS0001"
    assert keys_in(json.dumps(first), WIN_KEYS) + keys_in(json.dumps(second), WIN_KEYS) == list(
        WIN_KEYS
    )
    assert keys_in(json.dumps(back), WIN_KEYS) == list(WIN_KEYS[:100])
    assert "No download link is listed" in call_text(updates[-1])  # Dutch x64 has none
    await h.settle()
    assert leaks_outside_the_modal(h) == []


async def test_the_get_keys_button_on_the_details_stacks_the_choice_on_the_details_modal(
    h: SlackHarness,
) -> None:
    await h.click(HOLDER, ids.DETAILS, WIN.id)
    details = (await h.slack.wait_for("views.open"))[-1].args["view"]
    buttons = [
        e
        for b in details["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.KEYS_BUTTON
    ]
    assert [b["value"] for b in buttons] == [WIN.id]

    body = block_actions_body(
        user_id=HOLDER, action_id=ids.KEYS_BUTTON, value=WIN.id, view={**details, "id": "VDET1"}
    )
    assert (await h.post(body)).status == 200

    pushed = (await h.slack.wait_for("views.push"))[-1].args["view"]
    assert pushed["callback_id"] == ids.KEYS_VIEW
    assert pushed["private_metadata"] == WIN.id


async def test_the_details_of_a_usage_based_credit_have_no_get_keys_button(
    h: SlackHarness,
) -> None:
    await h.click(ADMIN, ids.DETAILS, CREDIT.id)
    details = (await h.slack.wait_for("views.open"))[-1].args["view"]

    assert ids.KEYS_BUTTON not in json.dumps(details)


async def test_a_license_based_cloud_benefit_shows_its_keys_without_language_or_os(
    h: SlackHarness,
) -> None:
    view = await open_keys_modal(h, PARTNER, "keys crm")
    assert not [b for b in view["blocks"] if b["type"] == "input"]

    ack = await submit_choice(h, PARTNER, view)

    assert ack.json["response_action"] == "update"
    assert keys_in(ack.text) == list(CRM_KEYS)
    assert "Redeem it." in ack.text


# -- refusals --------------------------------------------------------------------


async def test_someone_without_a_seat_is_refused_before_any_modal_and_nothing_is_recorded(
    h: SlackHarness,
) -> None:
    ack = await h.command(MEMBER, "keys win11")

    assert "holding a seat" in ack.text
    assert f"<@{ADMIN}>" in ack.text
    assert f"<@{PARTNER}>" in ack.text
    assert keys_in(ack.text) == []
    await h.settle()
    assert not h.slack.calls_to("views.open")
    assert leaks_outside_the_modal(h) == []
    async with h.bot.store.read() as uow:
        assert await uow.keys.first_reveal() is None


async def test_a_seat_lost_while_the_modal_is_open_is_refused_inline_and_leaks_nothing(
    h: SlackHarness,
) -> None:
    view = await open_keys_modal(h, HOLDER, "keys win11")
    async with h.bot.store.write() as uow:
        held = await uow.assignments.find_active(WIN.id, HOLDER)
        assert held is not None
        await uow.assignments.release(held.id, at=h.clock.now())

    ack = await submit_choice(h, HOLDER, view, "English", "x64")

    assert ack.json["response_action"] == "errors"
    assert "holding a seat" in ack.json["errors"][ids.KEYS_LANGUAGE_BLOCK]
    assert keys_in(json.dumps(ack.json)) == []
    await h.settle()
    assert leaks_outside_the_modal(h) == []
    async with h.bot.store.read() as uow:
        assert await uow.keys.first_reveal() is None


async def test_an_operating_system_the_benefit_lacks_is_named_inline_with_the_choices(
    h: SlackHarness,
) -> None:
    view = await open_keys_modal(h, HOLDER, "keys win11")

    ack = await submit_choice(h, HOLDER, view, "English", "BeOS")

    assert ack.json["response_action"] == "errors"
    assert "Pick one of: x64, arm64" in ack.json["errors"][ids.KEYS_OS_BLOCK]
    assert keys_in(json.dumps(ack.json)) == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("keys azure-100", "usage-based Azure credit"),
        ("keys", "Usage: `/benefits keys <benefit>`"),
        ("keys nothing-like-this", "No benefit matches"),
    ],
)
async def test_bad_keys_commands_get_a_clear_message_and_no_modal(
    h: SlackHarness, text: str, words: str
) -> None:
    ack = await h.command(ADMIN, text)

    assert words in ack.text
    await h.settle()
    assert not h.slack.calls_to("views.open")


# -- where keys never go -----------------------------------------------------------


@pytest.fixture
def production_logging() -> Iterator[list[logging.LogRecord]]:
    """The bot's own logging set-up at DEBUG, plus a handler that keeps every raw record."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    quiet = ("slack_sdk", "slack_bolt", "bot.bolt")
    saved_levels = {name: logging.getLogger(name).level for name in quiet}
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    configure_logging("DEBUG", [KEY])
    root.addHandler(Keep(logging.DEBUG))
    try:
        yield records
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


async def test_no_key_reaches_a_log_record_at_debug_through_reveals_pages_and_refusals(
    h: SlackHarness, production_logging: list[logging.LogRecord]
) -> None:
    view = await open_keys_modal(h, HOLDER, "keys win11")
    first = (await submit_choice(h, HOLDER, view, "English", "x64")).json["view"]
    await turn_page(h, HOLDER, first, ids.KEYS_NEXT)
    await h.slack.wait_for("views.update")
    await h.command(MEMBER, "keys win11")
    await h.settle()

    logged = [
        f"{r.name}: {r.getMessage()} {r.exc_text or ''} {r.exc_info or ''}"
        for r in production_logging
    ]
    assert logged, "the capture works: the bot logs at DEBUG"
    assert [line for line in logged if keys_in(line)] == []
    assert [line for line in logged if KEY in line] == []


# -- start-up and the shell ----------------------------------------------------------


async def test_starting_with_stored_keys_and_no_or_a_wrong_key_is_one_clear_error(
    slack: FakeSlackWebApi, tmp_path: Path
) -> None:
    database = tmp_path / "benefits.db"
    store = await open_sqlite(str(database))
    async with store.write() as uow:
        await uow.benefits.put(CRM)
        await store_keys(uow, VAULT, CRM.id, CRM_KEYS)
    await store.close()
    wrong = KeyVault.generate_key()

    with pytest.raises(SettingsError) as missing:
        await start_bot(make_settings(slack.api_url, database), clock=FakeClock())
    with pytest.raises(SettingsError) as mismatched:
        await start_bot(
            make_settings(slack.api_url, database, benefits_encryption_key=wrong),
            clock=FakeClock(),
        )
    started = await start_bot(
        make_settings(slack.api_url, database, benefits_encryption_key=f"{wrong},{KEY}"),
        clock=FakeClock(),
    )
    await started.stop(timeout=5)

    assert missing.value.lines[0].startswith("BENEFITS_ENCRYPTION_KEY is missing")
    assert mismatched.value.lines[0].startswith("BENEFITS_ENCRYPTION_KEY does not decrypt")
    assert wrong not in mismatched.value.lines[0]


async def test_run_with_stored_keys_and_no_key_stops_with_one_line_and_no_traceback(
    tmp_path: Path,
) -> None:
    database = f"sqlite:///{tmp_path / 'b.db'}"
    code, _, err = await run_cli(
        "import",
        str(EXAMPLE),
        cwd=tmp_path,
        env=clean_env(DATABASE_URL=database, BENEFITS_ENCRYPTION_KEY=KEY),
    )
    assert code == 0, err
    base = {
        "DATABASE_URL": database,
        "SLACK_BOT_TOKEN": "xoxb-test-token-0123456789",
        "SLACK_SIGNING_SECRET": "s" * 32,
        "PORT": "0",
        "BENEFITS_HOST": "127.0.0.1",
    }
    wrong = KeyVault.generate_key()

    missing = await run_cli("run", cwd=tmp_path, env=clean_env(**base))
    mismatched = await run_cli(
        "run", cwd=tmp_path, env=clean_env(**base, BENEFITS_ENCRYPTION_KEY=wrong)
    )

    for code, out, err in (missing, mismatched):
        assert code == 2
        assert "Traceback" not in err
        lines = [line for line in (out + err).splitlines() if line.strip()]
        assert len(lines) == 1, lines
        assert lines[0].startswith("error: BENEFITS_ENCRYPTION_KEY")
        assert KEY not in out + err
        assert wrong not in out + err


async def test_a_malformed_key_setting_is_named_without_echoing_it(tmp_path: Path) -> None:
    env = clean_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}", BENEFITS_ENCRYPTION_KEY="sekrit-not-fernet"
    )

    code, out, err = await run_cli("import", str(EXAMPLE), cwd=tmp_path, env=env)

    assert code == 2
    assert "BENEFITS_ENCRYPTION_KEY has a part that is not a Fernet key" in err
    assert "Fernet.generate_key()" in err
    assert "sekrit" not in out + err


async def test_importing_keys_without_the_setting_names_it_and_imports_nothing(
    tmp_path: Path,
) -> None:
    code, out, err = await run_cli(
        "import",
        str(EXAMPLE),
        cwd=tmp_path,
        env=clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}"),
    )

    assert code == 1
    assert "BENEFITS_ENCRYPTION_KEY is not set" in err
    assert "XXXXX-" not in out + err
    store = await open_sqlite(str(tmp_path / "b.db"))
    try:
        async with store.read() as uow:
            assert await uow.benefits.all() == []
    finally:
        await store.close()


async def test_rotate_key_re_encrypts_under_the_new_key_and_needs_the_old_one_listed(
    tmp_path: Path,
) -> None:
    database = f"sqlite:///{tmp_path / 'b.db'}"
    new = KeyVault.generate_key()
    await run_cli(
        "import",
        str(EXAMPLE),
        cwd=tmp_path,
        env=clean_env(DATABASE_URL=database, BENEFITS_ENCRYPTION_KEY=KEY),
    )
    store = await open_sqlite(str(tmp_path / "b.db"))
    async with store.read() as uow:
        before = await uow.keys.all_ciphertexts()
    await store.close()

    refused = await run_cli(
        "rotate-key",
        cwd=tmp_path,
        env=clean_env(DATABASE_URL=database, BENEFITS_ENCRYPTION_KEY=new),
    )
    rotated = await run_cli(
        "rotate-key",
        cwd=tmp_path,
        env=clean_env(DATABASE_URL=database, BENEFITS_ENCRYPTION_KEY=f"{new},{KEY}"),
    )

    assert refused[0] == 1
    assert "nothing was changed" in refused[2]
    assert rotated[0] == 0, rotated[2]
    assert f"re-encrypted {len(before)} product keys" in rotated[1]
    store = await open_sqlite(str(tmp_path / "b.db"))
    async with store.read() as uow:
        after = await uow.keys.all_ciphertexts()
    await store.close()
    assert [(b, p) for b, p, _ in after] == [(b, p) for b, p, _ in before]
    assert all(a != b for (_, _, a), (_, _, b) in zip(after, before, strict=True))
    only_new, only_old = KeyVault([new]), KeyVault([KEY])
    assert [only_new.decrypt(c) for _, _, c in after] == [only_old.decrypt(c) for _, _, c in before]
    assert not any(only_old.can_decrypt(c) for _, _, c in after)
    for output in (*refused[1:], *rotated[1:]):
        assert KEY not in output
        assert new not in output


# -- a page no button can name ----------------------------------------------------

BAD_PAGES = ["²", "٣", "1²", " 1", "-1", "1" * 19, "9" * 5000, ""]


@pytest.mark.parametrize("page", BAD_PAGES, ids=repr)
async def test_a_page_of_keys_no_button_can_name_is_refused_and_reveals_records_and_audits_nothing(
    h: SlackHarness, page: str
) -> None:
    """A crafted page is read before the reveal: no key is shown, so nothing is recorded."""
    shown = {
        "type": "modal",
        "id": "VKEYS0001",
        "hash": "1700000000.VKEYS0001",
        "callback_id": ids.KEYS_RESULT_VIEW,
        "private_metadata": json.dumps({"benefit": WIN.id, "language": "English", "os": "x64"}),
        "blocks": [],
    }
    audited = await h.audit_count()

    ack = await h.post(
        block_actions_body(user_id=HOLDER, action_id=ids.KEYS_NEXT, value=page, view=shown)
    )

    assert ack.status == 200
    await h.settle()
    refusal = h.slack.calls_to("views.update")[-1]
    assert refusal.args["view_id"] == "VKEYS0001"
    assert "names no page of keys" in call_text(refusal)
    assert keys_in(json.dumps([c.args for c in h.slack.calls])) == []
    assert await h.audit_count() == audited
    async with h.bot.store.read() as uow:
        assert await uow.keys.first_reveal() is None  # what refund eligibility reads
