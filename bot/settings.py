"""Settings, read once at start-up from the environment (and an optional .env).

A missing or malformed setting stops start-up with one line per problem that
names the variable and where to find its value. The ``.env`` file is read from
the current working directory only (``scripts/start`` runs from the project's
root): the database's location is itself a setting, so looking "beside the
database" would depend on a value the file may hold.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import phonenumbers
from cryptography.fernet import Fernet
from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.i18n.translate import available_languages

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

DEFAULT_API_URL = "https://slack.com/api/"
ENV_FILE = ".env"
# The variables holding secrets: never echoed, and taken out of the process's
# environment once read (see forget_secrets_in_environment).
SECRET_VARIABLES = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_CLIENT_SECRET",
    "BENEFITS_ENCRYPTION_KEY",
)
# The error type of a bot that has neither a way to receive Slack's requests.
NO_MODE = "no_mode"
# The error type of settings that do not fit together: its message is the lines to show.
MISFIT = "settings_misfit"

HINTS: dict[str, str] = {
    "SLACK_BOT_TOKEN": (
        "the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page, "
        "after creating the app from app.yaml and installing it to your workspace"
    ),
    "SLACK_SIGNING_SECRET": (
        "the Signing Secret from your app's Basic Information page (App Credentials)"
    ),
    "SLACK_APP_TOKEN": (
        "an app-level token (xapp-…) with the connections:write scope, made under Basic "
        "Information → App-Level Tokens; leave it unset to receive requests over HTTP"
    ),
    "SLACK_CLIENT_ID": (
        "the Client ID from your app's Basic Information page (App Credentials), like "
        "1234567890.1234567890; with SLACK_CLIENT_SECRET and no SLACK_BOT_TOKEN, the bot is "
        "installed through its Add to Slack page (/slack/install)"
    ),
    "SLACK_CLIENT_SECRET": (
        "the Client Secret from your app's Basic Information page (App Credentials)"
    ),
    "SLACK_API_URL": "the Slack Web API base URL, e.g. https://slack.com/api/",
    "DATABASE_URL": (
        "sqlite:///benefits.db (a file path after sqlite:///), "
        "postgresql://user:password@host:5432/database, or memory://"
    ),
    "BENEFITS_DATABASE_POOL_SIZE": "a whole number of connections, 2 or more, e.g. 10",
    "BENEFITS_MIGRATE_ON_START": "true or false",
    "PORT": "a TCP port number such as 3000",
    "BENEFITS_HOST": "the address to listen on, e.g. 0.0.0.0 or 127.0.0.1",
    "BENEFITS_ADMIN_CHANNEL": (
        "a channel ID such as C0123ABCD (channel details → About); leave it unset to send "
        "approval requests to each Global admin by DM"
    ),
    "BENEFITS_LOG_LEVEL": "DEBUG, INFO, WARNING or ERROR",
    "BENEFITS_LOCALE_CACHE_SECONDS": "seconds, more than 0, e.g. 600",
    "BENEFITS_CHANNEL_LANGUAGE": "a language the bot speaks: en or nl",
    "BENEFITS_PHONE_REGION": (
        "a two-letter country code such as US or NL: the country of phone numbers typed "
        "without a leading +"
    ),
    "BENEFITS_EXPIRY_REMINDER_DAYS": "days before an end date, comma-separated, e.g. 30,7,1",
    "BENEFITS_MEMBERSHIP_END_REMINDER_DAYS": "days before the membership ends, e.g. 30,15",
    "BENEFITS_REMINDER_HOUR": "the hour (UTC, 0-23) at which date reminders go out, e.g. 9",
    "BENEFITS_APPROVAL_REMINDER_HOURS": (
        "the hours a request may wait before the Global admins are reminded, e.g. 24"
    ),
    "BENEFITS_ACTIVATION_PENDING_DAYS": (
        "the days an activation may stay pending before the admins are asked to check, e.g. 7"
    ),
    "BENEFITS_REFUND_REMINDER_DAYS": (
        "the days (1-29) before the 30-day refund window closes when the admins are reminded, "
        "e.g. 5"
    ),
    "BENEFITS_REMIND_VS_REASSIGNABLE": (
        "true or false: whether the Global admins hear when a Visual Studio subscription "
        "becomes reassignable"
    ),
    "BENEFITS_SWEEP_INTERVAL_SECONDS": (
        "the seconds between looks for reminders that fell due, e.g. 60"
    ),
    "BENEFITS_DELIVERY_MAX_ATTEMPTS": (
        "the failed sends of one reminder before it is parked, e.g. 5"
    ),
    "BENEFITS_DELIVERY_BACKOFF_SECONDS": (
        "the seconds to wait after a reminder's first failed send, e.g. 30"
    ),
    "BENEFITS_DELIVERY_LEASE_SECONDS": (
        "the seconds (at least 1) a sender holds a reminder it claimed, e.g. 120"
    ),
    "BENEFITS_DELIVERY_BATCH": "the reminders one process holds at once, e.g. 1000",
    "BENEFITS_DELIVERY_POLL_SECONDS": (
        "the seconds between looks for due reminders while idle, e.g. 1"
    ),
    "BENEFITS_SLACK_MESSAGES_PER_SECOND": (
        "the messages per second to one channel, e.g. 1 (Slack allows about one)"
    ),
    "BENEFITS_SLACK_BURST": "the messages one channel may get at once before pacing, e.g. 3",
    "BENEFITS_RETENTION_DAYS_AFTER_UNINSTALL": (
        "the days (at least 1) the data of a workspace that uninstalled the bot is kept "
        "before it is deleted, e.g. 90"
    ),
    "BENEFITS_SLACK_RETRY_SECONDS": (
        "the seconds to wait before asking an unreachable Slack again at start-up, e.g. 2 "
        "(it doubles with each failure, up to a minute)"
    ),
    "SHUTDOWN_TIMEOUT": (
        "the seconds a stop waits for in-flight requests and their Slack calls, e.g. 10"
    ),
    "BENEFITS_IDLE_DAYS": (
        "the days a seat may go without a sign of use before its holder is asked, e.g. 60"
    ),
    "BENEFITS_RECEIPTS": (
        "auto, on or off: whether a request filed or approved is acknowledged once it is saved "
        "and carried out right after (auto: on PostgreSQL)"
    ),
    "BENEFITS_RECEIPT_LEASE_SECONDS": (
        "the seconds after which another process carries out a saved request, e.g. 60"
    ),
    "BENEFITS_DIGEST_DAY": "the day of the week the digest goes out, e.g. monday",
    "BENEFITS_DIGEST_HOUR": "the hour (UTC, 0 to 23) the digest goes out, e.g. 9",
    "BENEFITS_ENCRYPTION_KEY": (
        "one or more Fernet keys, comma-separated, newest first (product keys are encrypted "
        'with the first); make one with `python -c "from cryptography.fernet import Fernet; '
        'print(Fernet.generate_key().decode())"` and keep it safe'
    ),
}


class StorageSettings(BaseSettings):
    """What the shell commands that only touch the database need."""

    model_config = SettingsConfigDict(env_file=ENV_FILE, extra="ignore")

    database_url: str = "sqlite:///benefits.db"
    benefits_encryption_key: SecretStr | None = None
    benefits_database_pool_size: int = Field(default=10, ge=2, le=1000)
    benefits_migrate_on_start: bool = True
    # idle seats (bot.services.idle): the digest of `benefits-bot digest` shows them too
    benefits_idle_days: int = Field(default=60, ge=1)

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        postgres = value.startswith(("postgresql://", "postgres://"))
        if not (value.startswith("sqlite:///") or value == "memory://" or postgres):
            raise ValueError("must start with sqlite:/// or postgresql:// (or be memory://)")
        if value.startswith("sqlite:///") and len(value) == len("sqlite:///"):
            raise ValueError("names no file after sqlite:///")
        return value

    @field_validator("benefits_encryption_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        parts = [p.strip() for p in value.get_secret_value().split(",") if p.strip()]
        for position, part in enumerate(parts, start=1):
            try:
                Fernet(part)
            except ValueError:
                raise ValueError(  # never the value itself: it is a secret
                    f"has a part that is not a Fernet key (part {position} of {len(parts)}; "
                    "a Fernet key is 44 characters of url-safe base64)"
                ) from None
        return value

    def store_options(self) -> dict[str, Any]:
        """What :func:`storage.open_store` takes besides the URL."""
        return {
            "pool_size": self.benefits_database_pool_size,
            "migrate": self.benefits_migrate_on_start,
        }

    def encryption_keys(self) -> list[str]:
        """The Fernet keys of ``BENEFITS_ENCRYPTION_KEY``, newest first (none when unset)."""
        if self.benefits_encryption_key is None:
            return []
        value = self.benefits_encryption_key.get_secret_value()
        return [p.strip() for p in value.split(",") if p.strip()]


class Settings(StorageSettings):
    """Everything `benefits-bot run` needs."""

    # One workspace installed by hand (SLACK_BOT_TOKEN), or installed through Slack's OAuth
    # flow (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET, no bot token): see `oauth`.
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_client_id: str | None = None
    # After the bot token, the app token, the client ID and the key: its check reads them.
    slack_client_secret: SecretStr | None = Field(default=None, validate_default=True)
    # After the app token: its check reads whether Socket Mode is on.
    slack_signing_secret: SecretStr | None = Field(default=None, validate_default=True)
    slack_api_url: str = DEFAULT_API_URL
    port: int = Field(default=3000, ge=0, le=65535)
    benefits_host: str = "0.0.0.0"
    benefits_admin_channel: str | None = None
    benefits_log_level: str = "INFO"
    benefits_phone_region: str = "US"
    shutdown_timeout: float = 10.0
    # reminders: when they fall due (bot.reminders), then how they are delivered (bot.delivery)
    benefits_reminder_hour: int = Field(default=9, ge=0, le=23)
    benefits_expiry_reminder_days: Annotated[tuple[int, ...], NoDecode] = (30, 7, 1)
    benefits_approval_reminder_hours: float = Field(default=24.0, gt=0)
    benefits_activation_pending_days: int = Field(default=7, ge=1)
    benefits_refund_reminder_days: int = Field(default=5, ge=1, le=29)
    benefits_membership_end_reminder_days: Annotated[tuple[int, ...], NoDecode] = (30, 15)
    benefits_remind_vs_reassignable: bool = False
    benefits_sweep_interval_seconds: float = Field(default=60.0, gt=0)
    benefits_delivery_max_attempts: int = Field(default=5, ge=1)
    benefits_delivery_backoff_seconds: float = Field(default=30.0, gt=0)
    benefits_delivery_lease_seconds: float = Field(default=120.0, ge=1)
    benefits_delivery_batch: int = Field(default=1000, ge=1)
    benefits_delivery_poll_seconds: float = Field(default=1.0, gt=0)
    benefits_slack_messages_per_second: float = Field(default=1.0, gt=0)
    benefits_slack_burst: int = Field(default=3, ge=1)
    # how long the data of a workspace that uninstalled the bot (or revoked its token) is
    # kept before the upkeep deletes it (docs/installations.md)
    benefits_retention_days_after_uninstall: int = Field(default=90, ge=1)
    # start-up: the first wait before asking an unreachable Slack again (bot.runtime.slack_check)
    benefits_slack_retry_seconds: float = Field(default=2.0, gt=0)
    # the weekly digest (bot.services.digest); BENEFITS_IDLE_DAYS is a storage setting
    benefits_digest_day: str = "monday"
    benefits_digest_hour: int = Field(default=9, ge=0, le=23)
    # languages (bot.runtime.locales): how long a person's Slack locale and chosen language
    # are kept before asked again, and the language of messages to a channel
    benefits_locale_cache_seconds: float = Field(default=600.0, gt=0)
    benefits_channel_language: str = "en"
    # receipts (bot.domain.receipts): acknowledge filing and approving once the payload is
    # saved, then carry it out; auto: on PostgreSQL, off on SQLite
    benefits_receipts: str = "auto"
    benefits_receipt_lease_seconds: float = Field(default=60.0, ge=1)

    @field_validator(
        "benefits_expiry_reminder_days", "benefits_membership_end_reminder_days", mode="before"
    )
    @classmethod
    def _day_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p.strip() for p in value.strip().strip("[]").split(",") if p.strip()]
            try:
                value = [int(p) for p in parts]
            except ValueError:
                raise ValueError("is not a list of whole days like 30,7,1") from None
        return value

    @field_validator("benefits_expiry_reminder_days", "benefits_membership_end_reminder_days")
    @classmethod
    def _positive_days(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(day < 1 for day in value):
            raise ValueError("must list whole days of at least 1, like 30,7,1")
        return tuple(sorted(set(value), reverse=True))

    @field_validator("benefits_digest_day")
    @classmethod
    def _weekday(cls, value: str) -> str:
        day = value.strip().lower()
        if day not in WEEKDAYS:
            raise ValueError("must be a day of the week in English, like monday")
        return day

    @field_validator("benefits_receipts")
    @classmethod
    def _receipts(cls, value: str) -> str:
        choice = value.strip().casefold()
        if choice not in ("auto", "on", "off"):
            raise ValueError("must be auto, on or off")
        return choice

    @field_validator("benefits_channel_language")
    @classmethod
    def _channel_language(cls, value: str) -> str:
        language = value.strip().casefold()
        if language not in available_languages():
            raise ValueError(
                f"is not a language the bot speaks ({', '.join(available_languages())})"
            )
        return language

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("is not a bot token (it starts with xoxb-)")
        return value

    @field_validator("slack_client_id")
    @classmethod
    def _client_id(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        number, dot, rest = value.strip().partition(".")
        if not (number.isdigit() and dot and rest.isdigit()):
            raise ValueError("is not a client ID (two numbers joined by a dot)")
        return value.strip()

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            return None
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("is not an app-level token (it starts with xapp-)")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("is not an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("benefits_host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not value.strip() or any(c.isspace() for c in value.strip()):
            raise ValueError("is not an address to listen on")
        return value.strip()

    @field_validator("benefits_phone_region")
    @classmethod
    def _phone_region(cls, value: str) -> str:
        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("is not a two-letter country code with phone numbers")
        return region

    @field_validator("benefits_admin_channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if not value:
            return None
        if value[:1] not in ("C", "G") or not value.isalnum() or not value.isupper():
            raise ValueError("is not a channel ID (like C0123ABCD)")
        return value

    @field_validator("benefits_log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("is not a log level")
        return value.upper()

    @field_validator("slack_signing_secret")
    @classmethod
    def _signing_secret_for_http(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            value = None
        if value is None and info.data.get("slack_app_token") is None:
            if "slack_app_token" not in info.data:
                return None  # SLACK_APP_TOKEN is malformed: its own line says so
            raise PydanticCustomError(NO_MODE, "neither Socket Mode nor HTTP mode is set up")
        return value

    @field_validator("slack_client_secret")
    @classmethod
    def _how_installed(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        """A bot token, or the client ID and secret of the OAuth flow: then in HTTP mode
        only, and with the key that encrypts the installed token."""
        if value is not None and not value.get_secret_value().strip():
            value = None
        if value is not None and not value.get_secret_value().strip().isalnum():
            raise ValueError("is not a client secret (letters and digits only)")
        if value is not None:
            value = SecretStr(value.get_secret_value().strip())
        if not {"slack_bot_token", "slack_app_token", "slack_client_id"} <= info.data.keys():
            return value  # one of them is malformed: its own line says so
        if info.data["slack_bot_token"] is not None:
            return value  # a bot token wins: start_bot says the client ID and secret are unused
        lines: list[str] = []
        client = (info.data["slack_client_id"] is not None, value is not None)
        if client == (False, False):
            lines.append(
                f"SLACK_BOT_TOKEN is missing: set it to {HINTS['SLACK_BOT_TOKEN']}; or, to "
                "install the bot with Add to Slack, set SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET instead."
            )
        elif client != (True, True):
            missing = "SLACK_CLIENT_SECRET" if client[0] else "SLACK_CLIENT_ID"
            lines.append(
                f"{missing} is missing: installing with Add to Slack needs both "
                f"SLACK_CLIENT_ID and SLACK_CLIENT_SECRET; set it to {HINTS[missing]}."
            )
        else:
            if info.data["slack_app_token"] is not None:
                lines.append(
                    "SLACK_APP_TOKEN is set, but installing with Add to Slack (SLACK_CLIENT_ID "
                    "and SLACK_CLIENT_SECRET) works in HTTP mode only: unset SLACK_APP_TOKEN "
                    "and set SLACK_SIGNING_SECRET (socket_mode_enabled: false in app.yaml)."
                )
            if info.data.get("benefits_encryption_key", 0) is None:
                lines.append(
                    "BENEFITS_ENCRYPTION_KEY is missing: installing with Add to Slack keeps "
                    "the workspace's bot token encrypted with it; set it to "
                    f"{HINTS['BENEFITS_ENCRYPTION_KEY']}."
                )
        if lines:
            raise PydanticCustomError(MISFIT, "\n".join(lines))
        return value

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def oauth(self) -> bool:
        """Whether the bot is installed through Slack's OAuth flow (no ``SLACK_BOT_TOKEN``)."""
        return self.slack_bot_token is None

    @property
    def client_credentials_unused(self) -> bool:
        """``SLACK_CLIENT_ID`` or ``SLACK_CLIENT_SECRET`` set beside a bot token, which wins."""
        return self.slack_bot_token is not None and (
            self.slack_client_id is not None or self.slack_client_secret is not None
        )

    def receipts_enabled(self) -> bool:
        """Whether filing and approving are acknowledged once saved (``BENEFITS_RECEIPTS``)."""
        if self.benefits_receipts == "auto":
            return self.database_url.startswith(("postgresql://", "postgres://"))
        return self.benefits_receipts == "on"


class SettingsError(Exception):
    """Settings that can't start the bot; ``lines`` say which and how to fix them.

    ``note`` (when set) says where the settings were read from.
    """

    def __init__(self, lines: list[str], note: str | None = None) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.note = note


# What a pydantic error type means, in words that name no Python type.
_TYPE_WORDS: dict[str, str] = {
    "int_parsing": "is not a whole number",
    "int_from_float": "is not a whole number",
    "int_type": "is not a whole number",
    "float_parsing": "is not a number",
    "float_type": "is not a number",
    "finite_number": "is not a number",
    "bool_parsing": "is neither true nor false",
    "bool_type": "is neither true nor false",
    "string_type": "is not text",
    "missing": "is missing",
}
_BOUND_WORDS: dict[str, str] = {
    "greater_than": "must be more than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
}


def _plain_number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _what(problem: Any) -> str:
    kind = str(problem.get("type", ""))
    if kind in _TYPE_WORDS:
        return _TYPE_WORDS[kind]
    if kind in _BOUND_WORDS:
        bounds = {k: _plain_number(v) for k, v in (problem.get("ctx") or {}).items()}
        return _BOUND_WORDS[kind].format(**bounds)
    message = str(problem.get("msg", "")).removeprefix("Value error, ")
    if kind == "value_error" and message:
        return message
    return "is not valid"


def describe(error: ValidationError) -> list[str]:
    """One line per bad variable: its name, what is wrong, where its value comes from.

    The value itself is never quoted: some settings are secrets.
    """
    lines: list[str] = []
    for problem in error.errors():
        location = [str(part) for part in problem.get("loc", ())]
        variable = location[0].upper() if location else "A setting"
        if problem.get("type") == MISFIT:
            lines.extend(str(problem.get("msg", "")).splitlines())
            continue
        if problem.get("type") == NO_MODE:
            lines.append(
                "SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is missing: for Socket Mode (app.yaml's "
                "default) set SLACK_APP_TOKEN to an app-level token (xapp-…) with the "
                "connections:write scope, made under Basic Information → App-Level Tokens; "
                "for HTTP mode (socket_mode_enabled: false in app.yaml) set "
                f"SLACK_SIGNING_SECRET to {HINTS['SLACK_SIGNING_SECRET']}."
            )
            continue
        hint = HINTS.get(variable, "a valid value")
        lines.append(f"{variable} {_what(problem)}: set it to {hint}.")
    return lines


def where_settings_come_from(cwd: Path | None = None) -> str:
    """Where settings are read: the environment, then ``.env`` in the working directory."""
    env_file = (cwd or Path.cwd()) / ENV_FILE
    found = "read" if env_file.is_file() else "not found"
    return (
        "Settings are read from the environment, then from the .env file in the current "
        f"directory ({env_file}: {found}); see .env.example."
    )


def load_settings(cls: type[StorageSettings] = Settings, **overrides: Any) -> Any:
    """Read and validate settings, raising :class:`SettingsError` with clear lines."""
    try:
        return cls(**overrides)
    except ValidationError as error:
        raise SettingsError(describe(error), note=where_settings_come_from()) from None


def forget_secrets_in_environment() -> None:
    """Take the secrets out of this process's environment once the settings hold them.

    Libraries read some of them on their own: Bolt's ``AsyncApp`` picks up
    ``SLACK_BOT_TOKEN`` and, given the bot's own Web API client as well, logs
    "As you gave client as well, token will be unused" at every start. Nothing
    the bot starts later needs them in its environment either.
    """
    for variable in SECRET_VARIABLES:
        os.environ.pop(variable, None)
