"""PagerDuty paging settings: Events API v2 for pages, REST API v2 for notes and on-call."""

from __future__ import annotations

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    FilePath,
    SecretStr,
    field_validator,
    model_validator,
)

DEFAULT_EVENTS_URL = "https://events.pagerduty.com"
DEFAULT_API_URL = "https://api.pagerduty.com"


class PagerDutyPagerConfig(BaseModel):
    """How to reach PagerDuty; secrets stay in `SecretStr` and never reach an error text."""

    # A validation error would otherwise print the raw input, secrets included.
    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    routing_key: SecretStr  # Events API v2 integration key
    api_token: SecretStr | None = None  # REST API token; without it notes are unavailable
    from_email: str | None = None  # REST `From` header: a user of the account
    events_url: str = DEFAULT_EVENTS_URL
    api_url: str = DEFAULT_API_URL
    ca_bundle: FilePath | None = None  # PEM file of extra trusted CAs (a proxy, a test peer)
    # Seconds per request; a failed page is retried by the outbox, not here.
    timeout: float = Field(default=10.0, gt=0, le=120)
    # Who is on call (REST GET /oncalls): a team's escalation policy or schedule id, and
    # the policy asked about for a team not listed.
    oncall_escalation_policies: dict[str, str] = Field(default_factory=dict)
    oncall_schedules: dict[str, str] = Field(default_factory=dict)
    oncall_default_escalation_policy: str | None = None

    @field_validator("events_url", "api_url")
    @classmethod
    def _https_only(cls, url: str) -> str:
        # The `pagerduty` client refuses any other scheme; fail at load time instead.
        if not url.startswith("https://"):
            raise ValueError("must be an https:// URL")
        return url.rstrip("/")

    @field_validator("routing_key")
    @classmethod
    def _routing_key_present(cls, key: SecretStr) -> SecretStr:
        if not key.get_secret_value().strip():
            raise ValueError("must not be empty")
        return key

    @model_validator(mode="after")
    def _notes_need_a_sender(self) -> PagerDutyPagerConfig:
        # PagerDuty requires `From` on note creation with account-level tokens.
        if self.api_token is not None and not (self.from_email or "").strip():
            raise ValueError("from_email is required when api_token is set")
        return self

    @property
    def notes_enabled(self) -> bool:
        """Whether the REST API (incident notes, probe) is configured."""
        return self.api_token is not None
