"""ScriptedTriager: scripted outcomes that still pass through the real contract."""

from __future__ import annotations

import json

import pytest

from bot.ports.adapters import NotReady
from bot.triage.context import TriageContext
from bot.triage.models import FallbackReason, TriageSource, answer_sha256
from integrations.llm.fake import Answer, Failure, ScriptedTriager, ScriptExhausted
from integrations.llm.prompt import PROMPT_VERSION, prompt_tokens_estimate
from tests.triage.factories import action, context_for, crash_signal, report, shipped_runbooks


async def test_a_valid_raw_answer_becomes_a_report_with_provenance() -> None:
    expected = report(actions=[action("collect_diagnostics")])
    raw = expected.model_dump_json()
    fake = ScriptedTriager([Answer(raw, prompt_tokens=900, completion_tokens=120)], model="m1")
    outcome = await fake.triage(context_for([crash_signal()]), shipped_runbooks())

    assert outcome.report == expected
    assert outcome.provenance is not None
    assert outcome.provenance.source is TriageSource.LLM
    assert outcome.provenance.model == "m1"
    assert outcome.provenance.prompt_version == PROMPT_VERSION
    assert outcome.provenance.answer_sha256 == answer_sha256(raw)
    assert (outcome.prompt_tokens, outcome.completion_tokens) == (900, 120)


async def test_a_raw_answer_the_contract_rejects_is_invalid_schema() -> None:
    broken = json.loads(report().model_dump_json())
    broken["proposed_actions"] = [{"action": "restart_deployment", "target": "x"}]
    fake = ScriptedTriager([Answer(json.dumps(broken)), Answer("not json at all")])
    context = context_for([crash_signal()])

    first = await fake.triage(context, shipped_runbooks())
    second = await fake.triage(context, shipped_runbooks())

    assert first.failure is FallbackReason.INVALID_SCHEMA
    assert "proposed_actions.0" in first.detail
    assert first.report is None and first.provenance is None
    assert second.failure is FallbackReason.INVALID_SCHEMA
    assert "Invalid JSON" in second.detail


async def test_an_answer_can_be_built_from_the_context() -> None:
    def scoped(context: TriageContext) -> str:
        return report(
            actions=[action("collect_diagnostics", target=context.scope)]
        ).model_dump_json()

    fake = ScriptedTriager([Answer(scoped)])
    outcome = await fake.triage(
        context_for([crash_signal()], environment="staging"), shipped_runbooks()
    )
    assert outcome.report is not None
    assert outcome.report.proposed_actions[0].target == "staging/checkout"


async def test_failures_play_in_order_and_calls_record_the_real_prompt() -> None:
    fake = ScriptedTriager(
        [Failure(FallbackReason.TIMEOUT), Failure(FallbackReason.HTTP_ERROR, "HTTP 503.")]
    )
    context = context_for([crash_signal()])
    first = await fake.triage(context, shipped_runbooks())
    second = await fake.triage(context, shipped_runbooks())

    assert (first.failure, first.detail) == (FallbackReason.TIMEOUT, "Scripted failure: timeout.")
    assert (second.failure, second.detail) == (FallbackReason.HTTP_ERROR, "HTTP 503.")
    assert fake.remaining == 0
    assert [c.context for c in fake.calls] == [context, context]
    system = str(fake.calls[0].messages[0]["content"])
    assert 'Incident scope: "production/checkout"' in system


async def test_token_counts_default_to_estimates_of_prompt_and_answer() -> None:
    raw = report().model_dump_json()
    fake = ScriptedTriager([Answer(raw)])
    outcome = await fake.triage(context_for([crash_signal()]), shipped_runbooks())
    assert outcome.prompt_tokens == prompt_tokens_estimate(fake.calls[0].messages)
    assert outcome.completion_tokens == -(-len(raw) // 4)


async def test_running_out_of_scenarios_is_a_loud_test_error() -> None:
    fake = ScriptedTriager([Answer.of(report())])
    context = context_for([crash_signal()])
    await fake.triage(context, shipped_runbooks())
    with pytest.raises(ScriptExhausted):
        await fake.triage(context, shipped_runbooks())
    fake.add(Failure(FallbackReason.REFUSAL))
    assert (await fake.triage(context, shipped_runbooks())).failure is FallbackReason.REFUSAL


async def test_probe_fails_only_when_told_to() -> None:
    await ScriptedTriager().probe()
    with pytest.raises(NotReady) as caught:
        await ScriptedTriager(not_ready_reason="the API cannot be reached").probe()
    assert caught.value.reason == "the API cannot be reached"
