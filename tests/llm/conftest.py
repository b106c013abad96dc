"""A local OpenAI-compatible server and triagers pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from integrations.llm.adapter import OpenAITriager
from integrations.llm.client import build_client
from integrations.llm.config import LlmConfig
from tests.support.openai_server import OpenAIServer

API_KEY = "sk-test-4f8a9c2e7b1d6053-QzXw"
MODEL = "gpt-test"


@pytest.fixture
async def openai_server() -> AsyncIterator[OpenAIServer]:
    server = OpenAIServer(api_key=API_KEY, models=(MODEL, "gpt-other"))
    await server.start()
    yield server
    await server.stop()


def config_for(server: OpenAIServer, **overrides: object) -> LlmConfig:
    values: dict[str, object] = {
        "api_key": SecretStr(API_KEY),
        "base_url": server.base_url,
        "model": MODEL,
        "timeout_seconds": 0.3,
        "max_retries": 1,
    }
    values.update(overrides)
    return LlmConfig.model_validate(values)


@pytest.fixture
async def triager(openai_server: OpenAIServer) -> AsyncIterator[OpenAITriager]:
    config = config_for(openai_server)
    subject = OpenAITriager(build_client(config), config)
    yield subject
    await subject.aclose()
