"""The one OpenAI client the triage and the handoff writer talk through."""

from __future__ import annotations

from typing import TYPE_CHECKING

from integrations.llm.config import LlmConfig

if TYPE_CHECKING:
    import openai

DEFAULT_BASE_URL = "https://api.openai.com/v1"


class NotConfigured(ValueError):
    """The config lacks a model or an API key."""


def build_client(config: LlmConfig) -> openai.AsyncOpenAI:
    """An AsyncOpenAI with our timeout and bounded retries; the config must be configured."""
    if not config.configured or config.api_key is None:
        raise NotConfigured("the model API needs both a model and an API key")
    # Imported here, when a model is configured: the package is large (~500 modules), and
    # a smokejumper that triages by runbook never loads it.
    import openai

    return openai.AsyncOpenAI(
        # Always passed explicitly, so the client never falls back to reading the
        # process environment behind the config's back.
        api_key=config.api_key.get_secret_value(),
        base_url=config.base_url or DEFAULT_BASE_URL,
        timeout=config.timeout_seconds,
        max_retries=config.max_retries,
    )
