"""The adapters fill the Triager and SummaryWriter ports and work inside run_triage."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.ports.triage import SummaryWriter, Triager
from bot.triage.models import FallbackReason, TriageSource
from bot.triage.run import run_triage
from integrations.llm.adapter import OpenAITriager
from integrations.llm.client import build_client
from integrations.llm.fake import Answer, ScriptedTriager
from integrations.llm.summary import OpenAISummaryWriter
from tests.llm.conftest import MODEL, config_for
from tests.support.openai_server import OpenAIServer, Scenario
from tests.triage.factories import context_for, crash_signal, report, shipped_runbooks


@pytest.fixture
async def port(openai_server: OpenAIServer) -> AsyncIterator[Triager]:
    config = config_for(openai_server)
    triager = OpenAITriager(build_client(config), config)
    yield triager
    await triager.aclose()


async def test_a_usable_answer_is_checked_as_the_models(
    openai_server: OpenAIServer, port: Triager
) -> None:
    run = await run_triage(context_for([crash_signal()]), port, shipped_runbooks())
    assert run.model_failure is None
    assert run.checked.source is TriageSource.LLM
    assert run.checked.model == MODEL
    assert [a.action for a in run.checked.report.proposed_actions] == ["collect_diagnostics"]
    assert run.checked.prompt_tokens == openai_server.completions[0]["usage"]["prompt_tokens"]


async def test_an_unusable_answer_hands_over_to_the_runbooks(
    openai_server: OpenAIServer, port: Triager
) -> None:
    openai_server.scenario = Scenario.TRUNCATED
    run = await run_triage(context_for([crash_signal()]), port, shipped_runbooks())
    assert run.model_failure is FallbackReason.TRUNCATED
    assert run.checked.source is TriageSource.RUNBOOK_FALLBACK
    assert run.checked.fallback_reason is FallbackReason.TRUNCATED
    assert "cut off" in run.model_failure_detail


async def test_the_scripted_fake_fills_the_same_port() -> None:
    fake: Triager = ScriptedTriager([Answer.of(report())])
    run = await run_triage(context_for([crash_signal()]), fake, shipped_runbooks())
    assert run.checked.source is TriageSource.LLM
    assert run.checked.model == "scripted-model"


async def test_the_summary_writer_fills_its_port(openai_server: OpenAIServer) -> None:
    config = config_for(openai_server)
    writer: SummaryWriter = OpenAISummaryWriter(build_client(config), config)
    assert await writer.write("- one fact") == "Handoff: one fact."
    assert isinstance(writer, OpenAISummaryWriter)
    await writer.aclose()
