"""The chat model, when one is configured: the same settings as the model triage."""

from __future__ import annotations

from bot.chat.ports import ChatModel
from bot.config import Settings
from integrations.llm.chat import build_chat_reader
from integrations.llm.config import LlmConfig


def chat_model(settings: Settings) -> ChatModel | None:
    """A tool-using reader with OPENAI_API_KEY and SMOKEJUMPER_LLM_MODEL set, else None."""
    return build_chat_reader(
        LlmConfig(
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            model=settings.llm_model,
            timeout_seconds=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
        )
    )
