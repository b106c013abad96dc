"""The tool-using reader against the local OpenAI-compatible server: bounded, fail-closed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from bot.chat.intents import Intent, Parsed
from integrations.llm.chat import OpenAIChatReader, reading_of
from integrations.llm.client import build_client
from integrations.llm.config import LlmConfig
from tests.support.openai_server import OpenAIServer, Scenario

KEY = "sk-chat-test-0123456789"


@pytest.fixture
async def served() -> AsyncIterator[tuple[OpenAIServer, OpenAIChatReader]]:
    server = OpenAIServer(api_key=KEY, models=("gpt-tools",))
    await server.start()
    config = LlmConfig(
        api_key=SecretStr(KEY), base_url=server.base_url, model="gpt-tools", timeout_seconds=2
    )
    reader = OpenAIChatReader(build_client(config), config)
    yield server, reader
    await reader.aclose()
    await server.stop()


async def test_a_question_calls_a_read_only_tool_and_answers_from_its_result(
    served: tuple[OpenAIServer, OpenAIChatReader],
) -> None:
    server, reader = served
    calls: list[Parsed] = []

    async def tool(parsed: Parsed) -> str:
        calls.append(parsed)
        return "deploy v2.14.0 at 07:31"

    reading = await reader.read("what changed?", tool)
    assert reading is not None and reading.parsed.intent is Intent.CHANGES
    assert [c.intent for c in calls] == [Intent.CHANGES]
    assert "v2.14.0" in reading.answer and reading.steps == 2
    [first, second] = server.chat_requests()
    assert first.body["tools"] and second.body["messages"][-1]["role"] == "tool"


async def test_a_failing_model_gives_no_reading(
    served: tuple[OpenAIServer, OpenAIChatReader],
) -> None:
    server, reader = served
    server.queue.extend([Scenario.SERVER_ERROR, Scenario.SERVER_ERROR])

    async def tool(parsed: Parsed) -> str:
        return ""

    assert await reader.read("what changed?", tool) is None


def test_a_tool_outside_what_is_offered_is_no_reading() -> None:
    assert reading_of("get_secrets", "{}") is None
    assert reading_of("propose", '{"request": "drop_database"}') is None
    assert reading_of("propose", "not json") is None
    parsed = reading_of("propose", '{"request": "restart", "entities": {"evil": "x"}}')
    assert parsed is not None and parsed.intent is Intent.RESTART and not parsed.entities
