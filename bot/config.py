"""Configuration from the environment, validated once at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.subjects.rules import parse_environment_map

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./smokejumper.db"


class ConfigError(Exception):
    """A setting is missing or invalid; the message names it and says why."""


class Settings(BaseSettings):
    """Every setting smokejumper reads, with its environment variable name."""

    model_config = SettingsConfigDict(
        env_prefix="SMOKEJUMPER_", extra="ignore", populate_by_name=True
    )

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    database_schema: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    generic_webhook_secret: SecretStr | None = None
    pagerduty_webhook_secret: SecretStr | None = None
    alertmanager_token: SecretStr | None = None
    # Without a token the Alertmanager route is closed unless this says it may be open.
    alertmanager_allow_unauthenticated: bool = False
    # Flood control, per alert source: one request, and per minute in this process.
    max_alerts_per_request: int = Field(default=1000, gt=0)
    # Group commit (bot/intake/commit.py): deliveries per transaction at most, and
    # transactions in flight at once (PostgreSQL; SQLite writes one at a time). One is
    # the default there too: a batch takes in whatever arrives while it runs, and
    # batches side by side only wait on each other for the rows they share (a storm's).
    intake_batch_max: int = Field(default=64, ge=1, le=1000)
    intake_batch_writers: int = Field(default=1, ge=1, le=16)
    # The serve loop: uvloop (when installed) or asyncio's own (bot/event_loop.py).
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"
    # Occurrences remembered as committed, so their repeats skip the database (0: off).
    intake_seen_capacity: int = Field(default=20000, ge=0, le=1_000_000)
    # Memory (estimated) for recent bodies kept with their decoded signals, so a
    # byte-identical repeat is not decoded again (bot/intake/known_bodies.py; 0: off).
    intake_known_bodies_bytes: int = Field(default=8 * 1024 * 1024, ge=0, le=256 * 1024 * 1024)
    max_alerts_per_minute: int = Field(default=12000, gt=0)
    announce_channel: str | None = None
    responders: Annotated[list[str], NoDecode] = Field(default_factory=list)
    environment: str = "production"
    channel_name_template: str = "inc-{date}-{service}-{number}"
    group_by: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["subject"])
    # Subject resolution: see bot/subjects/.
    subject_exporters: Annotated[list[str], NoDecode] = Field(default_factory=list)
    environment_map: str = ""
    services_file: Path | None = None
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    # Slow clients: deadlines for the request head and the body, and how many bodies
    # may be read at once before anyone is authenticated.
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    body_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    max_concurrent_bodies: int = Field(default=64, ge=1)
    generic_max_age_seconds: int = Field(default=300, gt=0)
    pagerduty_max_age_seconds: int = Field(default=3600, gt=0)
    slack_channel_create_per_minute: float = Field(default=20.0, gt=0)
    slack_messages_per_second_per_channel: float = Field(default=1.0, gt=0)
    slack_max_rate_limit_retries: int = Field(default=5, ge=0)
    # Slack requests handled at once after their ack (handlers/slack/work.py); more wait.
    slack_work_concurrency: int = Field(default=16, ge=1, le=1024)
    outbox_workers: int = Field(default=4, ge=1)
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    public_url: str | None = None
    migrate_on_start: bool = True
    # Open the PostgreSQL pool's connections at start so the first burst doesn't pay for
    # them; tests turn it off, since they never see a burst that matters.
    database_warm_up: bool = True
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(
        default=None, validation_alias="OPENAI_BASE_URL", pattern=r"^https?://"
    )
    llm_model: str | None = None
    llm_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    llm_max_retries: int = Field(default=1, ge=0, le=5)
    triage_budget_tokens: int = Field(default=2000, ge=200, le=100_000)
    triage_change_lookback_minutes: int = Field(default=360, ge=1)
    policy_file: Path | None = None
    adapters_file: Path | None = None
    action_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    action_retry_base_seconds: float = Field(default=2.0, ge=0, le=60)
    verify_poll_seconds: float = Field(default=15.0, gt=0, le=600)
    adapter_breaker_failures: int = Field(default=3, ge=1, le=100)
    adapter_breaker_cooldown_seconds: float = Field(default=300.0, gt=0)
    pin_reaction: str = Field(default="pushpin", pattern=r"^[a-z0-9_+-]{1,64}$")

    @field_validator("responders", "group_by", "subject_exporters", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        """Accept comma-separated lists from the environment."""
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("group_by")
    @classmethod
    def _group_by_not_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must name at least one label, or 'fingerprint'")
        return value

    @field_validator("environment_map")
    @classmethod
    def _environment_map(cls, value: str) -> str:
        parse_environment_map(value)
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if value.startswith(("postgresql://", "postgres://")):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    def require_slack(self) -> None:
        """Refuse to serve Slack without the credentials Bolt needs."""
        missing = [
            name
            for name, value in (
                ("SLACK_BOT_TOKEN", self.slack_bot_token),
                ("SLACK_SIGNING_SECRET", self.slack_signing_secret),
            )
            if value is None or not value.get_secret_value()
        ]
        if missing:
            raise ConfigError(f"{', '.join(missing)} is not set: the Slack app needs it to start")
        token = self.slack_bot_token.get_secret_value() if self.slack_bot_token else ""
        if not token.startswith("xoxb-"):
            raise ConfigError("SLACK_BOT_TOKEN is invalid: a bot token starts with 'xoxb-'")
        app_token = self.slack_app_token.get_secret_value() if self.slack_app_token else ""
        if app_token and not app_token.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN is invalid: an app-level token starts with 'xapp-'")

    def sqlite_path(self) -> Path | None:
        """The SQLite file in use, if any."""
        if self.database_url.startswith("sqlite+aiosqlite:///"):
            return Path(self.database_url.removeprefix("sqlite+aiosqlite:///"))
        return None


_ENV_NAMES = {
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_app_token": "SLACK_APP_TOKEN",
    "openai_api_key": "OPENAI_API_KEY",
    "openai_base_url": "OPENAI_BASE_URL",
}


def load_settings(**overrides: object) -> Settings:
    """Read settings; a bad one raises ConfigError with one line naming it."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        # Read from the environment, a field with an alias is reported under the alias.
        alias = field if field in _ENV_NAMES.values() else None
        env_name = alias or _ENV_NAMES.get(field, f"SMOKEJUMPER_{field.upper()}")
        reason = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{env_name} is invalid: {reason}") from None
