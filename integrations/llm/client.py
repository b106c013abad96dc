"""The one OpenAI client the triage and the handoff writer talk through."""

from __future__ import annotations

import openai

from integrations.llm.config import LlmConfig

DEFAULT_BASE_URL = "https://api.openai.com/v1"


class NotConfigured(ValueError):
    """The config lacks a model or an API key."""


def build_client(config: LlmConfig) -> openai.AsyncOpenAI:
    """An AsyncOpenAI with our timeout and bounded retries; the config must be configured."""
    if not config.configured or config.api_key is None:
        raise NotConfigured("the model API needs both a model and an API key")
    return openai.AsyncOpenAI(
        # Always passed explicitly, so the client never falls back to reading the
        # process environment behind the config's back.
        api_key=config.api_key.get_secret_value(),
        base_url=config.base_url or DEFAULT_BASE_URL,
        timeout=config.timeout_seconds,
        max_retries=config.max_retries,
    )
