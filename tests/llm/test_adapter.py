"""OpenAITriager against a local OpenAI-compatible server: answers and every failure form."""

from __future__ import annotations

import json

import pytest

from bot.triage.context import UNTRUSTED_CLOSE, UNTRUSTED_OPEN
from bot.triage.models import FallbackReason, TriageSource, answer_sha256, triage_json_schema
from integrations.llm.adapter import OpenAITriager, build_triager
from integrations.llm.client import build_client
from integrations.llm.prompt import PROMPT_VERSION
from tests.llm.conftest import API_KEY, MODEL, config_for
from tests.support.openai_server import OpenAIServer, Scenario
from tests.triage.factories import context_for, crash_signal, shipped_runbooks


async def test_a_valid_answer_becomes_a_report_with_provenance(
    openai_server: OpenAIServer, triager: OpenAITriager
) -> None:
    context = context_for([crash_signal()], service="payments", environment="staging")
    outcome = await triager.triage(context, shipped_runbooks())

    assert outcome.failure is None
    assert outcome.report is not None
    action = outcome.report.proposed_actions[0]
    # The server echoes the scope it read in the prompt, so this proves the prompt named it.
    assert action.target == "staging/payments"
    assert outcome.report.incident_class == "crash_looping_service"
    assert outcome.report.evidence[0].pointer == "signal:d40fc7db1abbc59f"

    sent = openai_server.completions[-1]
    raw = sent["choices"][0]["message"]["content"]
    assert outcome.provenance is not None
    assert outcome.provenance.source is TriageSource.LLM
    assert outcome.provenance.model == MODEL
    assert outcome.provenance.prompt_version == PROMPT_VERSION
    assert outcome.provenance.answer_sha256 == answer_sha256(raw)
    assert outcome.prompt_tokens == sent["usage"]["prompt_tokens"]
    assert outcome.completion_tokens == sent["usage"]["completion_tokens"]
    assert outcome.provenance.prompt_tokens == outcome.prompt_tokens
    assert outcome.provenance.completion_tokens == outcome.completion_tokens
    assert outcome.duration_ms >= 0
    assert "answered" in outcome.detail


async def test_the_request_carries_key_model_prompt_and_strict_schema(
    openai_server: OpenAIServer, triager: OpenAITriager
) -> None:
    await triager.triage(context_for([crash_signal()]), shipped_runbooks())

    [request] = openai_server.chat_requests()
    assert request.method == "POST"
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    body = request.body
    assert body["model"] == MODEL
    assert body["max_completion_tokens"] == 1500
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "triage_report", "strict": True, "schema": triage_json_schema()},
    }
    system, user = body["messages"]
    assert system["role"] == "system"
    assert 'Incident scope: "production/checkout"' in system["content"]
    assert "- restart_deployment [remediation]" in system["content"]
    assert user["role"] == "user"
    assert user["content"].startswith(UNTRUSTED_OPEN)
    assert user["content"].endswith(UNTRUSTED_CLOSE)


async def test_token_counts_come_from_the_reported_usage(
    openai_server: OpenAIServer, triager: OpenAITriager
) -> None:
    small = await triager.triage(context_for([crash_signal()]), shipped_runbooks())
    signals = [crash_signal(fingerprint=f"{n:016x}") for n in range(6)]
    large = await triager.triage(context_for(signals), shipped_runbooks())

    first, second = openai_server.completions
    assert small.prompt_tokens == first["usage"]["prompt_tokens"]
    assert large.prompt_tokens == second["usage"]["prompt_tokens"]
    assert large.prompt_tokens > small.prompt_tokens


@pytest.mark.parametrize(
    ("scenario", "reason", "words"),
    [
        (Scenario.INVALID_SCHEMA, FallbackReason.INVALID_SCHEMA, "confidence"),
        (Scenario.NOT_JSON, FallbackReason.INVALID_SCHEMA, "Invalid JSON"),
        (Scenario.EMPTY, FallbackReason.INVALID_SCHEMA, "The answer was empty."),
        (Scenario.TRUNCATED, FallbackReason.TRUNCATED, "cut off"),
        (Scenario.REFUSAL, FallbackReason.REFUSAL, "can't help"),
        (Scenario.CONTENT_FILTER, FallbackReason.REFUSAL, "content filter"),
    ],
)
async def test_an_unusable_answer_names_its_fallback_reason(
    openai_server: OpenAIServer,
    triager: OpenAITriager,
    scenario: Scenario,
    reason: FallbackReason,
    words: str,
) -> None:
    openai_server.scenario = scenario
    outcome = await triager.triage(context_for([crash_signal()]), shipped_runbooks())

    assert outcome.failure is reason
    assert outcome.report is None
    assert outcome.provenance is None
    assert words in outcome.detail
    assert len(outcome.detail) <= 200
    # The answer arrived, so its usage is still recorded.
    assert outcome.completion_tokens == openai_server.completions[-1]["usage"]["completion_tokens"]
    assert len(openai_server.chat_requests()) == 1


async def test_an_invalid_answer_is_described_without_quoting_it(
    openai_server: OpenAIServer, triager: OpenAITriager
) -> None:
    openai_server.scenario = Scenario.INVALID_SCHEMA
    outcome = await triager.triage(context_for([crash_signal()]), shipped_runbooks())
    assert outcome.failure is FallbackReason.INVALID_SCHEMA
    assert "1.7" not in outcome.detail
    assert "extra field" not in outcome.detail
    assert "notes" in outcome.detail
    assert "unknowns" in outcome.detail


@pytest.mark.parametrize(
    ("scenario", "status"), [(Scenario.SERVER_ERROR, 500), (Scenario.RATE_LIMITED, 429)]
)
async def test_http_errors_are_retried_a_bounded_number_of_times(
    openai_server: OpenAIServer, triager: OpenAITriager, scenario: Scenario, status: int
) -> None:
    openai_server.scenario = scenario
    outcome = await triager.triage(context_for([crash_signal()]), shipped_runbooks())

    assert outcome.failure is FallbackReason.HTTP_ERROR
    assert f"HTTP {status}" in outcome.detail
    # max_retries=1: the first attempt and exactly one retry.
    assert len(openai_server.chat_requests()) == 2
    assert outcome.prompt_tokens == 0


async def test_no_retries_means_one_request(openai_server: OpenAIServer) -> None:
    config = config_for(openai_server, max_retries=0)
    triager = OpenAITriager(build_client(config), config)
    openai_server.scenario = Scenario.SERVER_ERROR
    outcome = await triager.triage(context_for([crash_signal()]), shipped_runbooks())
    await triager.aclose()
    assert outcome.failure is FallbackReason.HTTP_ERROR
    assert len(openai_server.chat_requests()) == 1


async def test_a_retry_that_succeeds_gives_a_report(
    openai_server: OpenAIServer, triager: OpenAITriager
) -> None:
    openai_server.queue.extend([Scenario.RATE_LIMITED, Scenario.VALID])
    outcome = await triager.triage(context_for([crash_signal()]), shipped_runbooks())
    assert outcome.failure is None
    assert len(openai_server.chat_requests()) == 2


async def test_an_answer_slower_than_the_timeout_is_a_timeout(
    openai_server: OpenAIServer,
) -> None:
    config = config_for(openai_server, timeout_seconds=0.3, max_retries=0)
    triager = OpenAITriager(build_client(config), config)
    openai_server.scenario = Scenario.SLOW
    outcome = await triager.triage(context_for([crash_signal()]), shipped_runbooks())
    await triager.aclose()

    assert outcome.failure is FallbackReason.TIMEOUT
    assert "0.3 s per attempt" in outcome.detail
    assert len(openai_server.chat_requests()) == 1


async def test_timeouts_are_retried_within_the_bound(
    openai_server: OpenAIServer, triager: OpenAITriager
) -> None:
    openai_server.scenario = Scenario.SLOW
    outcome = await triager.triage(context_for([crash_signal()]), shipped_runbooks())
    assert outcome.failure is FallbackReason.TIMEOUT
    assert len(openai_server.chat_requests()) == 2


async def test_the_overall_deadline_stops_a_server_asking_for_a_long_wait(
    openai_server: OpenAIServer,
) -> None:
    # The server asks for a 30 s pause before the retry; the deadline gives up first.
    config = config_for(openai_server, timeout_seconds=0.1, max_retries=1)
    triager = OpenAITriager(build_client(config), config)
    openai_server.scenario = Scenario.RATE_LIMITED_LONG_WAIT
    outcome = await triager.triage(context_for([crash_signal()]), shipped_runbooks())
    await triager.aclose()

    assert outcome.failure is FallbackReason.TIMEOUT
    assert "overall" in outcome.detail
    assert len(openai_server.chat_requests()) == 1


async def test_an_unreachable_api_is_an_http_error(openai_server: OpenAIServer) -> None:
    config = config_for(openai_server, max_retries=0)
    await openai_server.stop()
    triager = OpenAITriager(build_client(config), config)
    outcome = await triager.triage(context_for([crash_signal()]), shipped_runbooks())
    await triager.aclose()
    assert outcome.failure is FallbackReason.HTTP_ERROR
    assert outcome.detail == "The model API could not be reached."


async def test_a_rejected_key_is_an_http_error_that_does_not_quote_the_server(
    openai_server: OpenAIServer,
) -> None:
    config = config_for(openai_server, api_key="sk-wrong-key-0000000000009999")
    triager = OpenAITriager(build_client(config), config)
    outcome = await triager.triage(context_for([crash_signal()]), shipped_runbooks())
    await triager.aclose()

    assert outcome.failure is FallbackReason.HTTP_ERROR
    assert outcome.detail == (
        "The model API answered HTTP 401 (invalid_request_error, invalid_api_key)."
    )
    # 401 is not retried.
    assert len(openai_server.chat_requests()) == 1


async def test_an_unknown_model_is_an_http_error(openai_server: OpenAIServer) -> None:
    config = config_for(openai_server, model="gpt-missing")
    triager = OpenAITriager(build_client(config), config)
    outcome = await triager.triage(context_for([crash_signal()]), shipped_runbooks())
    await triager.aclose()
    assert outcome.failure is FallbackReason.HTTP_ERROR
    assert "HTTP 404" in outcome.detail
    assert "model_not_found" in outcome.detail


async def test_build_triager_talks_to_the_configured_server(
    openai_server: OpenAIServer,
) -> None:
    triager = build_triager(config_for(openai_server))
    assert triager is not None
    assert (triager.name, triager.model) == ("openai", MODEL)
    outcome = await triager.triage(context_for([crash_signal()]), shipped_runbooks())
    await triager.aclose()
    assert outcome.ok
    assert json.loads(openai_server.completions[0]["choices"][0]["message"]["content"])
