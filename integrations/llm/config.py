"""Settings of the model-backed triage and handoff writer."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

# Room, per retry, for the client's own back-off pause (0.5 s doubling, 8 s at most)
# before the overall deadline gives up on the call.
RETRY_PAUSE_ALLOWANCE_SECONDS = 2.0
# render_untrusted needs room for its delimiters and header even when nothing fits.
MIN_BUDGET_TOKENS = 200

ENV_API_KEY = "OPENAI_API_KEY"
ENV_BASE_URL = "OPENAI_BASE_URL"
ENV_MODEL = "SMOKEJUMPER_LLM_MODEL"
ENV_TIMEOUT_SECONDS = "SMOKEJUMPER_LLM_TIMEOUT_SECONDS"
ENV_MAX_RETRIES = "SMOKEJUMPER_LLM_MAX_RETRIES"
ENV_BUDGET_TOKENS = "SMOKEJUMPER_LLM_BUDGET_TOKENS"
ENV_MAX_OUTPUT_TOKENS = "SMOKEJUMPER_LLM_MAX_OUTPUT_TOKENS"


class LlmConfig(BaseModel):
    """How to reach an OpenAI-compatible API and how much of it one triage may use."""

    model_config = ConfigDict(frozen=True)

    api_key: SecretStr | None = None
    base_url: str | None = None
    model: str | None = None
    timeout_seconds: float = Field(default=20.0, gt=0, le=600)
    max_retries: int = Field(default=1, ge=0, le=5)
    budget_tokens: int = Field(default=2000, ge=MIN_BUDGET_TOKENS, le=100_000)
    max_output_tokens: int = Field(default=1500, ge=64, le=32_000)

    @field_validator("base_url", "model", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("api_key", mode="before")
    @classmethod
    def _blank_key_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, SecretStr) and not value.get_secret_value().strip():
            return None
        return value

    @property
    def configured(self) -> bool:
        """Whether a model and a key are set, so a triage can be asked of the API."""
        return bool(self.model) and self.api_key is not None

    @property
    def deadline_seconds(self) -> float:
        """The longest one call may take, every attempt and back-off pause included."""
        attempts = self.max_retries + 1
        return self.timeout_seconds * attempts + RETRY_PAUSE_ALLOWANCE_SECONDS * self.max_retries


def from_env(environ: Mapping[str, str]) -> LlmConfig:
    """A config from environment variables; unset numeric ones keep their defaults."""
    values: dict[str, object] = {
        "api_key": environ.get(ENV_API_KEY),
        "base_url": environ.get(ENV_BASE_URL),
        "model": environ.get(ENV_MODEL),
    }
    for field, name in (
        ("timeout_seconds", ENV_TIMEOUT_SECONDS),
        ("max_retries", ENV_MAX_RETRIES),
        ("budget_tokens", ENV_BUDGET_TOKENS),
        ("max_output_tokens", ENV_MAX_OUTPUT_TOKENS),
    ):
        raw = environ.get(name, "").strip()
        if raw:
            values[field] = raw
    return LlmConfig.model_validate(values)
