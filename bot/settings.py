"""Settings, read once at start-up from the environment (and an optional .env).

A missing or malformed setting stops start-up with one line per problem that
names the variable and where to find its value.
"""

from __future__ import annotations

from typing import Annotated, Any

import phonenumbers
from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_API_URL = "https://slack.com/api/"

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
    "BENEFITS_PHONE_REGION": (
        "a two-letter country code such as US or NL: the country of phone numbers typed "
        "without a leading +"
    ),
    "BENEFITS_EXPIRY_REMINDER_DAYS": "days before an end date, comma-separated, e.g. 30,7,1",
    "BENEFITS_MEMBERSHIP_END_REMINDER_DAYS": "days before the membership ends, e.g. 30,15",
    "BENEFITS_REMINDER_HOUR": "the hour (UTC, 0-23) at which date reminders go out, e.g. 9",
    "BENEFITS_ENCRYPTION_KEY": (
        "one or more Fernet keys, comma-separated, newest first (product keys are encrypted "
        'with the first); make one with `python -c "from cryptography.fernet import Fernet; '
        'print(Fernet.generate_key().decode())"` and keep it safe'
    ),
}


class StorageSettings(BaseSettings):
    """What the shell commands that only touch the database need."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "sqlite:///benefits.db"
    benefits_encryption_key: SecretStr | None = None
    benefits_database_pool_size: int = Field(default=10, ge=2, le=1000)
    benefits_migrate_on_start: bool = True

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

    slack_bot_token: SecretStr
    slack_app_token: SecretStr | None = None
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

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("is not a bot token (it starts with xoxb-)")
        return value

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
            raise ValueError("is missing")
        return value

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None


class SettingsError(Exception):
    """Settings that can't start the bot; ``lines`` say which and how to fix them."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def describe(error: ValidationError) -> list[str]:
    """One line per bad variable: its name, what is wrong, where its value comes from."""
    lines: list[str] = []
    for problem in error.errors():
        location = [str(part) for part in problem.get("loc", ())]
        message = str(problem.get("msg", "is invalid"))
        variable = location[0].upper() if location else "A setting"
        if problem.get("type") == "missing":
            what = "is missing"
        else:
            what = message.removeprefix("Value error, ")
        lines.append(f"{variable} {what}: set it to {HINTS.get(variable, 'a valid value')}.")
    return lines


def load_settings(cls: type[StorageSettings] = Settings, **overrides: Any) -> Any:
    """Read and validate settings, raising :class:`SettingsError` with clear lines."""
    try:
        return cls(**overrides)
    except ValidationError as error:
        raise SettingsError(describe(error)) from None
