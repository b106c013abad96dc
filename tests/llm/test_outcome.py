"""LlmOutcome holds a report with provenance or a failure, and never both."""

from __future__ import annotations

import pytest

from bot.triage.models import FallbackReason, Provenance
from integrations.llm.outcome import MAX_DETAIL, LlmOutcome, failed, read_answer
from tests.triage.factories import report


def test_a_report_without_provenance_is_refused() -> None:
    with pytest.raises(ValueError, match="report and provenance"):
        LlmOutcome(report=report(), provenance=None, failure=None, detail="")


def test_a_report_and_a_failure_together_are_refused() -> None:
    raw = report().model_dump_json()
    provenance = Provenance.llm(raw, model="m", prompt_version="p")
    with pytest.raises(ValueError, match="report and provenance"):
        LlmOutcome(
            report=report(),
            provenance=provenance,
            failure=FallbackReason.TIMEOUT,
            detail="",
        )


def test_neither_a_report_nor_a_failure_is_refused() -> None:
    with pytest.raises(ValueError):
        LlmOutcome(report=None, provenance=None, failure=None, detail="")


def test_a_failure_detail_is_one_short_line() -> None:
    outcome = failed(FallbackReason.REFUSAL, "line one\nline two " + "x" * 500)
    assert not outcome.ok
    assert "\n" not in outcome.detail
    assert len(outcome.detail) == MAX_DETAIL
    assert outcome.detail.startswith("line one line two x")


def test_reading_a_valid_answer_gives_an_ok_outcome() -> None:
    outcome = read_answer(
        report().model_dump_json(),
        model="m",
        prompt_tokens=10,
        completion_tokens=5,
        duration_ms=42,
    )
    assert outcome.ok
    assert outcome.report == report()
    assert outcome.detail == "m answered in 42 ms (10 prompt and 5 completion tokens)."
