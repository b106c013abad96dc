"""The local OpenAI-compatible server really checks what it is sent."""

from __future__ import annotations

from typing import Any

import aiohttp
import openai
import pytest

from bot.triage.models import TriageReport, triage_json_schema
from tests.llm.conftest import API_KEY, MODEL
from tests.support.openai_server import OpenAIServer, strict_schema_problems


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "hello"}],
        "response_format": {
            "type": "json_schema",
            "json_schema": {
                "name": "triage_report",
                "strict": True,
                "schema": triage_json_schema(),
            },
        },
    }
    body.update(overrides)
    return body


async def _post(server: OpenAIServer, body: Any, key: str = API_KEY) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{server.base_url}/chat/completions", json=body, headers=headers) as reply,
    ):
        return reply.status, await reply.json()


async def test_a_well_formed_request_is_answered(openai_server: OpenAIServer) -> None:
    status, body = await _post(openai_server, _body())
    assert status == 200
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["finish_reason"] == "stop"
    assert [r.path for r in openai_server.requests] == ["/v1/chat/completions"]


async def test_a_wrong_key_is_refused_with_a_masked_echo(openai_server: OpenAIServer) -> None:
    status, body = await _post(openai_server, _body(), key="sk-nope-123456789-WXYZ")
    assert status == 401
    assert body["error"]["code"] == "invalid_api_key"
    assert "sk-*****WXYZ" in body["error"]["message"]
    assert openai_server.completions == []


@pytest.mark.parametrize(
    ("overrides", "status", "param"),
    [
        ({"model": "gpt-nope"}, 404, None),
        ({"messages": []}, 400, "messages"),
        ({"messages": [{"role": "robot", "content": "x"}]}, 400, "messages[0]"),
        ({"stream": True}, 400, "stream"),
        ({"max_completion_tokens": 0}, 400, "max_completion_tokens"),
        ({"response_format": {"type": "json_object"}}, 400, "response_format"),
    ],
)
async def test_malformed_requests_are_refused(
    openai_server: OpenAIServer, overrides: dict[str, Any], status: int, param: str | None
) -> None:
    got, body = await _post(openai_server, _body(**overrides))
    assert got == status
    assert body["error"]["param"] == param
    assert openai_server.completions == []


async def test_a_non_strict_schema_is_refused(openai_server: OpenAIServer) -> None:
    fmt = _body()["response_format"]
    fmt["json_schema"]["strict"] = False
    status, _ = await _post(openai_server, _body(response_format=fmt))
    assert status == 400


def test_our_published_schema_passes_the_strict_check() -> None:
    assert strict_schema_problems(triage_json_schema()) == []


def test_the_schema_pydantic_derives_would_be_refused() -> None:
    # Why the adapter sends triage_json_schema() rather than the model class.
    problems = strict_schema_problems(TriageReport.model_json_schema())
    assert any("maxLength" in p for p in problems)


async def test_the_sdk_refuses_the_answer_to_a_refused_schema(
    openai_server: OpenAIServer,
) -> None:
    client = openai.AsyncOpenAI(api_key=API_KEY, base_url=openai_server.base_url, max_retries=0)
    with pytest.raises(openai.BadRequestError) as caught:
        await client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "hi"}],
            response_format={
                "type": "json_schema",
                "json_schema": {
                    "name": "loose",
                    "strict": True,
                    "schema": {"type": "object", "properties": {"a": {"type": "string"}}},
                },
            },
        )
    await client.close()
    assert caught.value.code == "invalid_json_schema"
