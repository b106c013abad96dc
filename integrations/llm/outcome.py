"""What one model triage came to, and how a raw answer is held to the contract."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from bot.triage.models import FallbackReason, Provenance, TriageReport
from integrations.llm.prompt import PROMPT_VERSION

# People and the event log get a sentence, never a dump of what the model wrote.
MAX_DETAIL = 200


@dataclass(frozen=True, slots=True)
class LlmOutcome:
    """A report with its provenance, or the reason there is none; never both."""

    report: TriageReport | None
    provenance: Provenance | None
    failure: FallbackReason | None
    detail: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    duration_ms: int = 0

    def __post_init__(self) -> None:
        answered = self.report is not None and self.provenance is not None
        if answered == (self.failure is not None):
            raise ValueError("an outcome holds a report and provenance, or a failure")
        if self.report is None and self.provenance is not None:
            raise ValueError("provenance without a report")

    @property
    def ok(self) -> bool:
        return self.failure is None


def clip(text: str, limit: int = MAX_DETAIL) -> str:
    """`text` on one line, at most `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def failed(
    reason: FallbackReason,
    detail: str,
    *,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    duration_ms: int = 0,
) -> LlmOutcome:
    """An outcome without a report."""
    return LlmOutcome(
        report=None,
        provenance=None,
        failure=reason,
        detail=clip(detail),
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        duration_ms=duration_ms,
    )


def read_answer(
    raw: str,
    *,
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    duration_ms: int,
) -> LlmOutcome:
    """The outcome of a raw answer: a report if it fits the contract, else invalid_schema."""
    try:
        report = TriageReport.model_validate_json(raw)
    except ValidationError as exc:
        return failed(
            FallbackReason.INVALID_SCHEMA,
            f"The answer does not fit the triage contract: {describe_validation(exc)}",
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            duration_ms=duration_ms,
        )
    provenance = Provenance.llm(
        raw,
        model=model,
        prompt_version=PROMPT_VERSION,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
    )
    return LlmOutcome(
        report=report,
        provenance=provenance,
        failure=None,
        detail=(
            f"{clip(model, 60)} answered in {duration_ms} ms"
            f" ({prompt_tokens} prompt and {completion_tokens} completion tokens)."
        ),
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        duration_ms=duration_ms,
    )


def describe_validation(exc: ValidationError) -> str:
    """Where and why an answer broke the contract, without echoing what it said."""
    # include_input=False keeps the model's own text out of the event log.
    errors = exc.errors(include_input=False, include_url=False, include_context=False)
    parts = []
    for error in errors[:3]:
        location = ".".join(str(p) for p in error["loc"]) or "answer"
        parts.append(f"{location}: {error['msg']}")
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(parts) + more
