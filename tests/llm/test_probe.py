"""OpenAITriager.probe: ready when the API answers, takes the key and offers the model."""

from __future__ import annotations

import pytest

from bot.ports.adapters import NotReady
from integrations.llm.adapter import OpenAITriager
from integrations.llm.client import build_client
from tests.llm.conftest import API_KEY, config_for
from tests.support.openai_server import OpenAIServer


async def _probe(server: OpenAIServer, **overrides: object) -> None:
    config = config_for(server, **overrides)
    triager = OpenAITriager(build_client(config), config)
    try:
        await triager.probe()
    finally:
        await triager.aclose()


async def test_probe_lists_models_with_the_key(openai_server: OpenAIServer) -> None:
    await _probe(openai_server)
    [request] = openai_server.requests
    assert (request.method, request.path) == ("GET", "/v1/models")
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"


async def test_probe_refuses_a_model_the_api_does_not_offer(openai_server: OpenAIServer) -> None:
    with pytest.raises(NotReady) as caught:
        await _probe(openai_server, model="gpt-missing")
    assert caught.value.adapter == "openai"
    assert caught.value.reason == "the API does not offer the model 'gpt-missing'"


async def test_probe_reports_a_rejected_key_without_it(openai_server: OpenAIServer) -> None:
    wrong = "sk-wrong-key-0000000000009999"
    with pytest.raises(NotReady) as caught:
        await _probe(openai_server, api_key=wrong)
    assert caught.value.reason == "the API refused the configured key (HTTP 401)"
    assert wrong not in str(caught.value)
    assert "9999" not in str(caught.value)
    # Nothing chained either: a traceback of it shows no masked key from the server.
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


async def test_probe_reports_an_unreachable_api(openai_server: OpenAIServer) -> None:
    config = config_for(openai_server, max_retries=0)
    await openai_server.stop()
    triager = OpenAITriager(build_client(config), config)
    with pytest.raises(NotReady) as caught:
        await triager.probe()
    await triager.aclose()
    assert caught.value.reason == "the API cannot be reached"
    assert caught.value.retryable
