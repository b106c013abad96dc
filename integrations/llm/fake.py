"""`ScriptedTriager`: an in-process triager that plays scripted answers through the contract."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.ports.adapters import NotReady
from bot.triage.context import DEFAULT_BUDGET_TOKENS, TriageContext, estimate_tokens
from bot.triage.models import FallbackReason, TriageReport
from integrations.llm.outcome import LlmOutcome, failed, read_answer
from integrations.llm.prompt import build_messages, prompt_tokens_estimate
from policies.runbooks import Runbook

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam


@dataclass(frozen=True, slots=True)
class Answer:
    """The model answers with this raw text, or with text built from the context."""

    raw: str | Callable[[TriageContext], str]
    # None means: estimated from the prompt and the answer, as a provider would count.
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    duration_ms: int = 0

    @classmethod
    def of(cls, report: TriageReport) -> Answer:
        """An answer that is exactly this report serialised."""
        return cls(report.model_dump_json())


@dataclass(frozen=True, slots=True)
class Failure:
    """The call fails for this reason; the detail defaults to a sentence naming it."""

    reason: FallbackReason
    detail: str = ""
    duration_ms: int = 0


Scenario = Answer | Failure


@dataclass(frozen=True, slots=True)
class ScriptedCall:
    """One triage the fake was asked for, with the prompt the real adapter would send."""

    context: TriageContext
    runbooks: tuple[Runbook, ...]
    messages: list[ChatCompletionMessageParam]


class ScriptExhausted(LookupError):
    """The fake was asked for more triages than it was given scenarios."""


class ScriptedTriager:
    """Plays scenarios in order; raw answers go through the same contract validation."""

    name = "scripted"

    def __init__(
        self,
        scenarios: Iterable[Scenario] = (),
        *,
        model: str = "scripted-model",
        budget_tokens: int = DEFAULT_BUDGET_TOKENS,
        not_ready_reason: str | None = None,
    ) -> None:
        self.model = model
        self.calls: list[ScriptedCall] = []
        self._scenarios: deque[Scenario] = deque(scenarios)
        self._budget_tokens = budget_tokens
        self._not_ready_reason = not_ready_reason

    @property
    def remaining(self) -> int:
        return len(self._scenarios)

    def add(self, *scenarios: Scenario) -> None:
        """Queue more scenarios after the ones left."""
        self._scenarios.extend(scenarios)

    async def probe(self) -> None:
        """Raise NotReady when built with a reason, as a real probe would."""
        if self._not_ready_reason is not None:
            raise NotReady(self.name, self._not_ready_reason)

    async def triage(self, context: TriageContext, runbooks: Sequence[Runbook]) -> LlmOutcome:
        """The next scenario's outcome; a raw answer the contract rejects is invalid_schema."""
        messages = build_messages(context, runbooks, self._budget_tokens)
        self.calls.append(ScriptedCall(context, tuple(runbooks), messages))
        if not self._scenarios:
            raise ScriptExhausted(f"no scenario left for triage call {len(self.calls)}")
        scenario = self._scenarios.popleft()
        if isinstance(scenario, Failure):
            return failed(
                scenario.reason,
                scenario.detail or f"Scripted failure: {scenario.reason}.",
                duration_ms=scenario.duration_ms,
            )
        raw = scenario.raw(context) if callable(scenario.raw) else scenario.raw
        return read_answer(
            raw,
            model=self.model,
            prompt_tokens=(
                prompt_tokens_estimate(messages)
                if scenario.prompt_tokens is None
                else scenario.prompt_tokens
            ),
            completion_tokens=(
                estimate_tokens(raw)
                if scenario.completion_tokens is None
                else scenario.completion_tokens
            ),
            duration_ms=scenario.duration_ms,
        )
