"""The summary paragraph: the template, and a writer's text kept to the facts."""

from __future__ import annotations

import asyncio

import pytest

from bot.handoff import (
    HandoffDocument,
    SummaryOrigin,
    build_handoff,
    facts_text,
    template_summary,
    with_summary,
)
from bot.handoff.prose import MAX_FACTS_TEXT, MAX_SUMMARY
from bot.ports.adapters import AdapterError
from tests.handoff.factories import (
    DAVE,
    GRAFANA,
    NOW,
    RUNBOOK,
    TICKET,
    Log,
    incident_row,
    recorded_incident,
)


def _doc() -> HandoffDocument:
    incident, events = recorded_incident()
    return build_handoff(incident, events, now=NOW, owner=DAVE)


class ScriptedWriter:
    """Answers with a fixed paragraph and keeps what it was given."""

    def __init__(self, answer: object) -> None:
        self.answer = answer
        self.given: list[str] = []

    async def write(self, facts_text: str) -> str | None:
        self.given.append(facts_text)
        return self.answer  # type: ignore[return-value]


class FailingWriter:
    async def write(self, facts_text: str) -> str | None:
        raise AdapterError("http_error", "model endpoint answered 503", retryable=True)


class HangingWriter:
    def __init__(self) -> None:
        self.never = asyncio.Event()

    async def write(self, facts_text: str) -> str | None:
        await self.never.wait()
        return "too late"


def test_template_is_written_from_the_facts() -> None:
    doc = _doc()
    text = template_summary(doc)

    assert text.startswith(
        "Incident #42 (HighErrorRate: checkout 5xx above 5%) is acknowledged, severity "
        "critical, classified high (bad_deploy)."
    )
    assert f"Impact: {doc.impact.text}" in text
    assert "The triage (runbook, confidence 0.72) suggests: The 5xx spike" in text
    assert "restart_deployment on production/checkout: failed (rollout_timeout)" in text
    assert "rollback_deployment on production/checkout: awaiting approval" in text
    assert text.endswith(f"Next step: {doc.next_step.text}")
    assert "http" not in text
    assert doc.summary == text


def test_template_without_triage_or_actions() -> None:
    log = Log()
    log.add("incident.opened", data={"title": "Disk full on db-1", "severity": "warning"})
    doc = build_handoff(incident_row(status="triggered"), log.events, now=NOW)
    text = template_summary(doc)
    assert "Disk full on db-1" in text and "triggered, severity warning." in text
    assert "triage" not in text.split("Next step")[0].lower()
    assert "No action has been proposed yet." in text


def test_template_counts_actions_it_does_not_list() -> None:
    log = Log()
    for n in range(5):
        log.add("action.proposed", data={"action_id": str(n), "action": f"step_{n}"})
    text = template_summary(build_handoff(incident_row(), log.events, now=NOW))
    actions = next(s for s in text.split(". ") if s.startswith("Actions:"))
    assert actions.startswith("Actions: 2 earlier action(s), then step_2")
    assert "step_0" not in actions and "step_4" in actions


def test_facts_text_holds_the_facts_and_their_links() -> None:
    doc = _doc()
    text = facts_text(doc)
    for line in (
        "Incident #42: HighErrorRate: checkout 5xx above 5%",
        "Status: acknowledged",
        "Severity: critical",
        f"Next step: {doc.next_step.text}",
        "Evidence (change): Deploy v2.14.0 of checkout finished at 07:39 UTC "
        "[argocd:checkout/1207]",
        "Open question: Whether the payment provider is degraded too",
    ):
        assert line in text.splitlines()
    for url in (GRAFANA, RUNBOOK, TICKET):
        assert url in text


async def test_without_a_writer_the_template_is_used() -> None:
    doc = _doc()
    result = await with_summary(doc, None)
    assert (result.summary, result.summary_origin) == (template_summary(doc), "template")


async def test_writer_gets_only_the_facts_and_its_paragraph_is_used() -> None:
    doc = _doc()
    writer = ScriptedWriter(
        "Checkout has been failing since the v2.14.0 rollout;\n a restart timed out and a "
        "rollback awaits approval."
    )
    result = await with_summary(doc, writer)

    assert writer.given == [facts_text(doc)]
    assert result.summary == (
        "Checkout has been failing since the v2.14.0 rollout; a restart timed out and a "
        "rollback awaits approval."
    )
    assert result.summary_origin is SummaryOrigin.WRITER
    # Only the paragraph changes: every fact is still the log's.
    assert result.facts() == doc.facts()


async def test_links_the_writer_invented_are_removed() -> None:
    writer = ScriptedWriter(
        f"See {GRAFANA}, https://evil.example/steal, <https://evil.example/a|this dashboard>, "
        "[the docs](https://evil.example/b), www.evil.example/c and mailto:x@evil.example; "
        f"also <{RUNBOOK}|the runbook>. Not {GRAFANA}&x=1."
    )
    result = await with_summary(_doc(), writer)

    assert "evil" not in result.summary
    assert f"See {GRAFANA}," in result.summary
    assert f"the runbook ({RUNBOOK})" in result.summary
    assert "this dashboard ([link removed])" in result.summary
    assert "the docs ([link removed])" in result.summary
    assert result.summary.count("[link removed]") == 6
    assert result.summary_origin is SummaryOrigin.WRITER


async def test_mentions_and_broadcasts_from_the_writer_are_removed() -> None:
    writer = ScriptedWriter(
        "<!channel> <!here|here> <@U01ALICE> <!subteam^S0ONCALL|@oncall> <#C0GENERAL> "
        "@channel @here and @Everyone: the restart failed."
    )
    result = await with_summary(_doc(), writer)

    for token in ("<!", "<@", "<#", "@channel", "@here", "@everyone", "@Everyone", "@oncall"):
        assert token not in result.summary
    assert result.summary == "channel here and Everyone: the restart failed."


async def test_writer_paragraph_is_clipped_and_made_one_line() -> None:
    writer = ScriptedWriter("word\u202e \x07" * 2000)
    result = await with_summary(_doc(), writer)
    assert len(result.summary) == MAX_SUMMARY and result.summary.endswith("…")
    assert "\u202e" not in result.summary and "\x07" not in result.summary


@pytest.mark.parametrize("answer", [None, "", "   \n ", "<!channel>", 42])
async def test_empty_or_unusable_answer_falls_back_to_the_template(answer: object) -> None:
    doc = _doc()
    result = await with_summary(doc, ScriptedWriter(answer))
    assert (result.summary, result.summary_origin) == (template_summary(doc), "template")


async def test_writer_failure_falls_back_to_the_template(
    caplog: pytest.LogCaptureFixture,
) -> None:
    doc = _doc()
    result = await with_summary(doc, FailingWriter())
    assert (result.summary, result.summary_origin) == (template_summary(doc), "template")
    assert "AdapterError" in caplog.text and "503" not in caplog.text


async def test_writer_that_never_answers_falls_back_to_the_template() -> None:
    doc = _doc()
    result = await with_summary(doc, HangingWriter(), timeout=0.05)
    assert result.summary_origin is SummaryOrigin.TEMPLATE


async def test_a_fresh_template_replaces_an_earlier_writer_paragraph() -> None:
    written = await with_summary(_doc(), ScriptedWriter("An earlier paragraph."))
    again = await with_summary(written, None)
    assert (again.summary, again.summary_origin) == (template_summary(written), "template")


def test_facts_text_stays_bounded_for_a_huge_log() -> None:
    log = Log()
    log.add("incident.opened", data={"title": "x" * 10_000})
    for n in range(300):
        log.add("action.proposed", data={"action_id": str(n), "action": "a" * 500})
        log.add("note.added", actor="slack:U01ALICE", summary="note " * 2000)
    text = facts_text(build_handoff(incident_row(), log.events, now=NOW))
    assert len(text) <= MAX_FACTS_TEXT
    assert all(len(line) <= 300 for line in text.splitlines())
