"""`OpenAITriager`: a triage report from an OpenAI-compatible model, or why there is none."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from bot.ports.adapters import NotReady
from bot.triage.context import TriageContext
from bot.triage.models import FallbackReason, triage_json_schema
from integrations.llm.client import NotConfigured, build_client
from integrations.llm.config import LlmConfig
from integrations.llm.outcome import LlmOutcome, clip, failed, read_answer
from integrations.llm.prompt import build_messages
from policies.runbooks import Runbook

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletion
    from openai.types.shared_params import ResponseFormatJSONSchema

__all__ = ["RESPONSE_FORMAT", "LlmOutcome", "OpenAITriager", "build_triager"]

log = logging.getLogger(__name__)

RESPONSE_FORMAT: ResponseFormatJSONSchema = {
    "type": "json_schema",
    "json_schema": {"name": "triage_report", "strict": True, "schema": triage_json_schema()},
}
# Only short machine words from an error body are repeated; its message may echo a
# masked key or the request.
_ERROR_WORD = re.compile(r"[A-Za-z0-9_.-]{1,40}")


class OpenAITriager:
    """Asks the model for a TriageReport under the strict schema; never raises from triage."""

    name = "openai"

    def __init__(self, client: openai.AsyncOpenAI, config: LlmConfig) -> None:
        if not config.model:
            raise NotConfigured("the triager needs a model")
        self._client = client
        self._config = config
        self.model: str = config.model

    async def probe(self) -> None:
        """Check that the API answers, accepts the key and offers the model."""
        import openai

        try:
            async with asyncio.timeout(self._config.deadline_seconds):
                offered = {m.id async for m in self._client.models.list()}
        # `from None` everywhere: a chained API error may quote a masked key.
        except (TimeoutError, openai.APITimeoutError):
            raise NotReady(self.name, f"no answer within {self._deadline_text()}") from None
        except openai.AuthenticationError as exc:
            raise NotReady(
                self.name, f"the API refused the configured key (HTTP {exc.status_code})"
            ) from None
        except openai.APIStatusError as exc:
            raise NotReady(self.name, f"the API answered HTTP {exc.status_code}") from None
        except openai.APIConnectionError:
            raise NotReady(self.name, "the API cannot be reached") from None
        if self.model not in offered:
            raise NotReady(self.name, f"the API does not offer the model {clip(self.model, 60)!r}")

    async def triage(self, context: TriageContext, runbooks: Sequence[Runbook]) -> LlmOutcome:
        """The model's report for `context`, or a failure naming the fallback reason."""
        started = time.monotonic()
        outcome = await self._ask(context, runbooks, started)
        log.info(
            "llm triage %s: model=%s duration_ms=%d prompt_tokens=%d completion_tokens=%d: %s",
            outcome.failure or "ok",
            self.model,
            outcome.duration_ms,
            outcome.prompt_tokens,
            outcome.completion_tokens,
            outcome.detail,
        )
        return outcome

    async def aclose(self) -> None:
        """Release the client's connections."""
        await self._client.close()

    async def _ask(
        self, context: TriageContext, runbooks: Sequence[Runbook], started: float
    ) -> LlmOutcome:
        def elapsed() -> int:
            return int((time.monotonic() - started) * 1000)

        import openai

        try:
            messages = build_messages(context, runbooks, self._config.budget_tokens)
            async with asyncio.timeout(self._config.deadline_seconds):
                completion = await self._client.chat.completions.parse(
                    model=self.model,
                    messages=messages,
                    # parse() is typed for model classes but passes a json_schema dict
                    # through unchanged; our published strict schema is what we send.
                    response_format=cast(Any, RESPONSE_FORMAT),
                    max_completion_tokens=self._config.max_output_tokens,
                )
        except openai.LengthFinishReasonError as exc:
            prompt, answer = _usage(exc.completion)
            return failed(
                FallbackReason.TRUNCATED,
                f"The answer was cut off at the output limit of"
                f" {self._config.max_output_tokens} tokens.",
                prompt_tokens=prompt,
                completion_tokens=answer,
                duration_ms=elapsed(),
            )
        except openai.ContentFilterFinishReasonError as exc:
            prompt, answer = _usage(exc.completion)
            return failed(
                FallbackReason.REFUSAL,
                "The provider's content filter stopped the answer.",
                prompt_tokens=prompt,
                completion_tokens=answer,
                duration_ms=elapsed(),
            )
        except (TimeoutError, openai.APITimeoutError):
            return failed(
                FallbackReason.TIMEOUT,
                f"The model API did not answer within {self._deadline_text()}.",
                duration_ms=elapsed(),
            )
        except openai.APIStatusError as exc:
            return failed(
                FallbackReason.HTTP_ERROR,
                f"The model API answered HTTP {exc.status_code}{_error_words(exc)}.",
                duration_ms=elapsed(),
            )
        except openai.APIConnectionError:
            return failed(
                FallbackReason.HTTP_ERROR,
                "The model API could not be reached.",
                duration_ms=elapsed(),
            )
        except Exception as exc:
            # Anything else still means no usable answer arrived; the runbook stands in.
            return failed(
                FallbackReason.HTTP_ERROR,
                f"The model API call failed ({type(exc).__name__}).",
                duration_ms=elapsed(),
            )
        return self._read(completion, elapsed())

    def _read(self, completion: ChatCompletion, duration_ms: int) -> LlmOutcome:
        prompt, answer = _usage(completion)
        if not completion.choices:
            return failed(
                FallbackReason.INVALID_SCHEMA,
                "The answer held no choices.",
                prompt_tokens=prompt,
                completion_tokens=answer,
                duration_ms=duration_ms,
            )
        message = completion.choices[0].message
        if message.refusal:
            return failed(
                FallbackReason.REFUSAL,
                f"The model refused: {message.refusal}",
                prompt_tokens=prompt,
                completion_tokens=answer,
                duration_ms=duration_ms,
            )
        if not message.content:
            return failed(
                FallbackReason.INVALID_SCHEMA,
                "The answer was empty.",
                prompt_tokens=prompt,
                completion_tokens=answer,
                duration_ms=duration_ms,
            )
        return read_answer(
            message.content,
            model=self.model,
            prompt_tokens=prompt,
            completion_tokens=answer,
            duration_ms=duration_ms,
        )

    def _deadline_text(self) -> str:
        tries = self._config.max_retries + 1
        return (
            f"{self._config.timeout_seconds:g} s per attempt"
            f" ({tries} attempt{'s' if tries > 1 else ''},"
            f" {self._config.deadline_seconds:g} s overall)"
        )


def build_triager(config: LlmConfig) -> OpenAITriager | None:
    """A triager with its own client, or None when no model or key is configured."""
    if not config.configured:
        return None
    return OpenAITriager(build_client(config), config)


def _usage(completion: ChatCompletion | None) -> tuple[int, int]:
    usage = completion.usage if completion is not None else None
    if usage is None:
        return 0, 0
    return usage.prompt_tokens, usage.completion_tokens


def _error_words(exc: openai.APIStatusError) -> str:
    words = [w for w in (exc.type, exc.code) if isinstance(w, str) and _ERROR_WORD.fullmatch(w)]
    return f" ({', '.join(dict.fromkeys(words))})" if words else ""
