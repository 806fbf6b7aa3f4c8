"""Settings as a new operator meets them: every mistake is one line naming the variable
in plain words, and .env.example and the README name every setting the bot reads."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from bot.settings import (
    HINTS,
    SECRET_VARIABLES,
    Settings,
    SettingsError,
    StorageSettings,
    forget_secrets_in_environment,
    load_settings,
)

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / ".env.example"
BOT_TOKEN = "xoxb-test-token-0123456789"
APP_TOKEN = "xapp-1-A0001-test-0123456789"
VARIABLES = sorted(name.upper() for name in Settings.model_fields)
# The wording of pydantic's own messages, which name Python types.
PYDANTIC_WORDS = ("Input should", "valid integer", "valid number", "valid boolean", "Value error")


@pytest.fixture(autouse=True)
def no_settings_around(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting from the environment or a .env file of the machine running the tests."""
    for variable in os.environ:
        if variable.upper() in VARIABLES:
            monkeypatch.delenv(variable)
    monkeypatch.chdir(tmp_path)


def problems(**env: str) -> list[str]:
    with pytest.MonkeyPatch.context() as patch:
        for variable, value in env.items():
            patch.setenv(variable, value)
        with pytest.raises(SettingsError) as error:
            load_settings(Settings)
    return error.value.lines


# One malformed value for every setting, with the line it must give.
MALFORMED: dict[str, tuple[str, str]] = {
    "SLACK_BOT_TOKEN": ("xoxp-a-user-token", "is not a bot token (it starts with xoxb-)"),
    "SLACK_APP_TOKEN": (
        "xoxb-not-an-app-token",
        "is not an app-level token (it starts with xapp-)",
    ),
    "SLACK_CLIENT_ID": ("my-app", "is not a client ID (two numbers joined by a dot)"),
    "SLACK_CLIENT_SECRET": ("not a secret!", "is not a client secret (letters and digits only)"),
    "SLACK_API_URL": ("slack.com/api", "is not an http(s) URL"),
    "DATABASE_URL": (
        "mysql://db",
        "must start with sqlite:/// or postgresql:// (or be memory://)",
    ),
    "BENEFITS_DATABASE_POOL_SIZE": ("1", "must be at least 2"),
    "BENEFITS_MIGRATE_ON_START": ("maybe", "is neither true nor false"),
    "PORT": ("abc", "is not a whole number"),
    "BENEFITS_HOST": ("", "is not an address to listen on"),
    "BENEFITS_ADMIN_CHANNEL": ("general", "is not a channel ID (like C0123ABCD)"),
    "BENEFITS_LOG_LEVEL": ("loud", "is not a log level"),
    "BENEFITS_PHONE_REGION": ("ZZ", "is not a two-letter country code with phone numbers"),
    "SHUTDOWN_TIMEOUT": ("soon", "is not a number"),
    "BENEFITS_REMINDER_HOUR": ("24", "must be at most 23"),
    "BENEFITS_EXPIRY_REMINDER_DAYS": ("a month", "is not a list of whole days like 30,7,1"),
    "BENEFITS_APPROVAL_REMINDER_HOURS": ("a day", "is not a number"),
    "BENEFITS_ACTIVATION_PENDING_DAYS": ("0", "must be at least 1"),
    "BENEFITS_REFUND_REMINDER_DAYS": ("30", "must be at most 29"),
    "BENEFITS_MEMBERSHIP_END_REMINDER_DAYS": (
        "0",
        "must list whole days of at least 1, like 30,7,1",
    ),
    "BENEFITS_REMIND_VS_REASSIGNABLE": ("maybe", "is neither true nor false"),
    "BENEFITS_SWEEP_INTERVAL_SECONDS": ("0", "must be more than 0"),
    "BENEFITS_DELIVERY_MAX_ATTEMPTS": ("1.5", "is not a whole number"),
    "BENEFITS_DELIVERY_BACKOFF_SECONDS": ("-30", "must be more than 0"),
    "BENEFITS_DELIVERY_LEASE_SECONDS": ("0.5", "must be at least 1"),
    "BENEFITS_DELIVERY_BATCH": ("lots", "is not a whole number"),
    "BENEFITS_DELIVERY_POLL_SECONDS": ("0", "must be more than 0"),
    "BENEFITS_SLACK_MESSAGES_PER_SECOND": ("fast", "is not a number"),
    "BENEFITS_SLACK_BURST": ("0", "must be at least 1"),
    "BENEFITS_RETENTION_DAYS_AFTER_UNINSTALL": ("0", "must be at least 1"),
    "BENEFITS_SLACK_RETRY_SECONDS": ("never", "is not a number"),
    "BENEFITS_IDLE_DAYS": ("0", "must be at least 1"),
    "BENEFITS_DIGEST_DAY": ("someday", "must be a day of the week in English, like monday"),
    "BENEFITS_DIGEST_HOUR": ("25", "must be at most 23"),
    "BENEFITS_LOCALE_CACHE_SECONDS": ("0", "must be more than 0"),
    "BENEFITS_RECEIPTS": ("sometimes", "must be auto, on or off"),
    "BENEFITS_RECEIPT_LEASE_SECONDS": ("0", "must be at least 1"),
    "BENEFITS_CHANNEL_LANGUAGE": ("fr", "is not a language the bot speaks (en, nl)"),
    "BENEFITS_ENCRYPTION_KEY": (
        "not-a-fernet-key",
        "has a part that is not a Fernet key (part 1 of 1; a Fernet key is 44 characters of "
        "url-safe base64)",
    ),
}


def test_every_setting_has_a_malformed_case_and_a_hint() -> None:
    # Any text is a signing secret; a missing one is the both-ways line tested below.
    assert sorted(MALFORMED) == sorted(set(VARIABLES) - {"SLACK_SIGNING_SECRET"})
    assert set(VARIABLES) <= set(HINTS)


@pytest.mark.parametrize("variable", sorted(MALFORMED))
def test_a_malformed_setting_is_one_line_naming_it_in_plain_words(variable: str) -> None:
    value, says = MALFORMED[variable]
    base = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN}

    [line] = problems(**{**base, variable: value})

    assert line == f"{variable} {says}: set it to {HINTS[variable]}."
    assert not any(word in line for word in PYDANTIC_WORDS)
    if value and variable in SECRET_VARIABLES:
        assert value not in line


def test_port_abc_names_port_and_says_what_a_port_is() -> None:
    [line] = problems(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN, PORT="abc")
    assert line == "PORT is not a whole number: set it to a TCP port number such as 3000."


def test_a_port_out_of_range_gives_the_bound() -> None:
    [line] = problems(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN, PORT="70000")
    assert line.startswith("PORT must be at most 65535:")


def test_with_only_the_bot_token_both_ways_to_receive_requests_are_named() -> None:
    [line] = problems(SLACK_BOT_TOKEN=BOT_TOKEN)

    assert line.startswith("SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is missing: ")
    assert line.index("SLACK_APP_TOKEN to an app-level token") < line.index(
        "SLACK_SIGNING_SECRET to the Signing Secret"
    )
    assert "Socket Mode (app.yaml's default)" in line
    assert "HTTP mode (socket_mode_enabled: false in app.yaml)" in line


def test_a_malformed_app_token_is_not_also_reported_as_a_missing_signing_secret() -> None:
    lines = problems(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN="xapp")
    assert lines == [
        f"SLACK_APP_TOKEN is not an app-level token (it starts with xapp-): "
        f"set it to {HINTS['SLACK_APP_TOKEN']}."
    ]


def test_the_error_says_where_settings_are_read_from(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as missing:
        load_settings(Settings)
    assert missing.value.note == (
        "Settings are read from the environment, then from the .env file in the current "
        f"directory ({tmp_path / '.env'}: not found); see .env.example."
    )
    (tmp_path / ".env").write_text("PORT=3001\n")
    with pytest.raises(SettingsError) as still_missing:
        load_settings(Settings)
    assert still_missing.value.note is not None
    assert f"({tmp_path / '.env'}: read)" in still_missing.value.note


def test_the_storage_commands_read_a_env_file_in_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DATABASE_URL=sqlite:///from-dotenv.db\n")
    storage: StorageSettings = load_settings(StorageSettings)
    assert storage.database_url == "sqlite:///from-dotenv.db"


def test_the_secrets_leave_the_environment_once_read(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in SECRET_VARIABLES:
        monkeypatch.setenv(variable, "value")
    monkeypatch.setenv("PORT", "3000")

    forget_secrets_in_environment()

    assert not any(variable in os.environ for variable in SECRET_VARIABLES)
    assert os.environ["PORT"] == "3000"


# -- .env.example and the README -----------------------------------------------------------

ASSIGNMENT = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$")


def example_assignments() -> dict[str, tuple[str, bool]]:
    """``NAME -> (value, commented out)`` for every ``NAME=value`` line of .env.example."""
    found: dict[str, tuple[str, bool]] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if match := ASSIGNMENT.match(line):
            found[match[1]] = (match[2], line.startswith("#"))
    return found


def test_env_example_names_every_setting_the_bot_reads() -> None:
    assert sorted(example_assignments()) == VARIABLES


def test_env_example_holds_placeholders_not_secrets() -> None:
    found = example_assignments()
    for variable in SECRET_VARIABLES:
        assert "paste-your-" in found[variable][0], variable


def test_env_example_copied_to_env_gives_settings_the_bot_accepts(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(ENV_EXAMPLE.read_text())
    settings: Settings = load_settings(Settings)
    assert settings.socket_mode  # app.yaml's default


def test_the_values_commented_out_in_env_example_are_the_defaults() -> None:
    placeholders = {
        "SLACK_SIGNING_SECRET",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
        "BENEFITS_ENCRYPTION_KEY",
        "BENEFITS_ADMIN_CHANNEL",
    }
    required: dict[str, Any] = {"slack_bot_token": BOT_TOKEN, "slack_app_token": APP_TOKEN}
    defaults = Settings(**required)
    for variable, (value, commented) in example_assignments().items():
        if not commented or variable in placeholders:
            continue
        name = variable.lower()
        values: dict[str, Any] = {**required, name: value}
        given = Settings(**values)
        assert getattr(given, name) == getattr(defaults, name), variable


def test_the_readme_settings_table_names_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("### Settings") : readme.index("\n`GET /healthz` answers")]
    named = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    assert set(VARIABLES) <= named


# -- installing with Add to Slack (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET) ---------------------

CLIENT_ID = "1234567890.9876543210"
CLIENT_SECRET = "0123456789abcdef0123456789abcdef"
KEY = "x" * 43 + "="  # 32 bytes of url-safe base64: a Fernet key
OAUTH = {
    "SLACK_CLIENT_ID": CLIENT_ID,
    "SLACK_CLIENT_SECRET": CLIENT_SECRET,
    "SLACK_SIGNING_SECRET": "s" * 32,
}


def test_the_client_id_and_secret_with_the_key_install_the_bot_with_add_to_slack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable, value in {**OAUTH, "BENEFITS_ENCRYPTION_KEY": KEY}.items():
        monkeypatch.setenv(variable, value)

    settings: Settings = load_settings(Settings)

    assert settings.oauth
    assert settings.slack_bot_token is None
    assert settings.slack_client_id == CLIENT_ID
    assert settings.slack_client_secret is not None
    assert CLIENT_SECRET not in repr(settings)


def test_add_to_slack_without_the_encryption_key_is_refused_in_one_line() -> None:
    [line] = problems(**OAUTH)

    assert line.startswith(
        "BENEFITS_ENCRYPTION_KEY is missing: installing with Add to Slack keeps the "
        "workspace's bot token encrypted with it; set it to "
    )


def test_add_to_slack_in_socket_mode_is_refused_in_one_line() -> None:
    lines = problems(**OAUTH, SLACK_APP_TOKEN=APP_TOKEN, BENEFITS_ENCRYPTION_KEY=KEY)

    assert lines == [
        "SLACK_APP_TOKEN is set, but installing with Add to Slack (SLACK_CLIENT_ID and "
        "SLACK_CLIENT_SECRET) works in HTTP mode only: unset SLACK_APP_TOKEN and set "
        "SLACK_SIGNING_SECRET (socket_mode_enabled: false in app.yaml)."
    ]


def test_a_client_id_without_its_secret_names_the_missing_secret() -> None:
    [line] = problems(
        SLACK_CLIENT_ID=CLIENT_ID, SLACK_SIGNING_SECRET="s" * 32, BENEFITS_ENCRYPTION_KEY=KEY
    )

    assert line == (
        "SLACK_CLIENT_SECRET is missing: installing with Add to Slack needs both SLACK_CLIENT_ID "
        f"and SLACK_CLIENT_SECRET; set it to {HINTS['SLACK_CLIENT_SECRET']}."
    )


def test_without_a_bot_token_or_a_client_the_missing_token_line_names_add_to_slack_too() -> None:
    [line] = problems(SLACK_APP_TOKEN=APP_TOKEN)

    assert line.startswith(f"SLACK_BOT_TOKEN is missing: set it to {HINTS['SLACK_BOT_TOKEN']}")
    assert line.endswith(
        "; or, to install the bot with Add to Slack, set SLACK_CLIENT_ID and "
        "SLACK_CLIENT_SECRET instead."
    )


def test_a_bot_token_wins_over_a_client_id_and_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable, value in {**OAUTH, "SLACK_BOT_TOKEN": BOT_TOKEN}.items():
        monkeypatch.setenv(variable, value)

    settings: Settings = load_settings(Settings)

    assert not settings.oauth
    assert settings.client_credentials_unused
