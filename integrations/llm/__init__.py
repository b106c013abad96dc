"""Model-backed triage and handoff prose over an OpenAI-compatible API."""

from integrations.llm.adapter import OpenAITriager, build_triager
from integrations.llm.config import LlmConfig, from_env
from integrations.llm.outcome import LlmOutcome
from integrations.llm.prompt import PROMPT_VERSION, build_messages, prompt_tokens_estimate
from integrations.llm.summary import OpenAISummaryWriter, build_summary_writer

__all__ = [
    "PROMPT_VERSION",
    "LlmConfig",
    "LlmOutcome",
    "OpenAISummaryWriter",
    "OpenAITriager",
    "build_messages",
    "build_summary_writer",
    "build_triager",
    "from_env",
    "prompt_tokens_estimate",
]
