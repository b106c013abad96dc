"""LlmConfig: environment mapping, what counts as configured, bounds and secrecy."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from integrations.llm.adapter import build_triager
from integrations.llm.client import NotConfigured, build_client
from integrations.llm.config import LlmConfig, from_env
from integrations.llm.summary import build_summary_writer

KEY = "sk-config-test-0123456789abcdef"


def test_from_env_reads_key_base_url_model_and_tuning() -> None:
    config = from_env(
        {
            "OPENAI_API_KEY": KEY,
            "OPENAI_BASE_URL": "http://127.0.0.1:8000/v1",
            "SMOKEJUMPER_LLM_MODEL": "gpt-4.1-mini",
            "SMOKEJUMPER_LLM_TIMEOUT_SECONDS": "7.5",
            "SMOKEJUMPER_LLM_MAX_RETRIES": "3",
            "SMOKEJUMPER_LLM_BUDGET_TOKENS": "4000",
            "SMOKEJUMPER_LLM_MAX_OUTPUT_TOKENS": "900",
        }
    )
    assert config.api_key is not None
    assert config.api_key.get_secret_value() == KEY
    assert config.base_url == "http://127.0.0.1:8000/v1"
    assert config.model == "gpt-4.1-mini"
    assert (config.timeout_seconds, config.max_retries) == (7.5, 3)
    assert (config.budget_tokens, config.max_output_tokens) == (4000, 900)
    assert config.configured


def test_from_env_defaults_when_only_the_model_and_key_are_set() -> None:
    config = from_env({"OPENAI_API_KEY": KEY, "SMOKEJUMPER_LLM_MODEL": "m"})
    assert config.base_url is None
    assert (config.timeout_seconds, config.max_retries) == (20.0, 1)
    assert (config.budget_tokens, config.max_output_tokens) == (2000, 1500)


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"OPENAI_API_KEY": KEY},
        {"OPENAI_API_KEY": KEY, "SMOKEJUMPER_LLM_MODEL": "   "},
        {"OPENAI_API_KEY": "", "SMOKEJUMPER_LLM_MODEL": "gpt-test"},
        {"SMOKEJUMPER_LLM_MODEL": "gpt-test"},
    ],
)
def test_without_a_model_or_a_key_nothing_is_configured(environ: dict[str, str]) -> None:
    config = from_env(environ)
    assert not config.configured
    assert build_triager(config) is None
    assert build_summary_writer(config) is None
    with pytest.raises(NotConfigured):
        build_client(config)


@pytest.mark.parametrize("retries", [-1, 6])
def test_retries_are_bounded(retries: int) -> None:
    with pytest.raises(ValidationError):
        LlmConfig(model="m", api_key=SecretStr(KEY), max_retries=retries)


@pytest.mark.parametrize(
    ("field", "value"),
    [("timeout_seconds", 0), ("budget_tokens", 10), ("max_output_tokens", 0)],
)
def test_sizes_and_timeouts_must_be_usable(field: str, value: int) -> None:
    with pytest.raises(ValidationError):
        LlmConfig.model_validate({"model": "m", field: value})


def test_deadline_covers_every_attempt_and_pause() -> None:
    config = LlmConfig(model="m", api_key=SecretStr(KEY), timeout_seconds=2, max_retries=2)
    # Three attempts of 2 s plus two back-off allowances of 2 s.
    assert config.deadline_seconds == 10.0


def test_the_key_never_shows_in_repr_or_dump() -> None:
    config = from_env({"OPENAI_API_KEY": KEY, "SMOKEJUMPER_LLM_MODEL": "m"})
    assert KEY not in repr(config)
    assert KEY not in str(config)
    assert KEY not in config.model_dump_json()


def test_the_client_gets_the_configured_key_url_timeout_and_retries() -> None:
    config = LlmConfig(
        model="m",
        api_key=SecretStr(KEY),
        base_url="http://127.0.0.1:9/v1",
        timeout_seconds=3,
        max_retries=2,
    )
    client = build_client(config)
    assert client.api_key == KEY
    assert str(client.base_url) == "http://127.0.0.1:9/v1/"
    assert client.timeout == 3
    assert client.max_retries == 2


def test_without_a_base_url_the_client_uses_openai_not_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://elsewhere.invalid/v1")
    client = build_client(LlmConfig(model="m", api_key=SecretStr(KEY)))
    assert str(client.base_url) == "https://api.openai.com/v1/"
