"""What the chat flows need from the chat platform, an on-call source and a model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from bot.chat.intents import Parsed


class ThreadReplies(Protocol):
    """Post into a message's thread and edit what was posted."""

    async def reply(
        self, channel: str, thread_ts: str, text: str, blocks: list[dict[str, Any]]
    ) -> str: ...

    async def edit(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class OnCall:
    """Who is on call for a team or service, as the paging tool says."""

    who: str
    schedule: str
    until: str = ""


@runtime_checkable
class OnCallLookup(Protocol):
    """A pager that can say who is on call (PagerDuty's on-call API)."""

    async def on_call(self, team: str) -> list[OnCall]: ...


# Runs one read-only tool for a model: (its reading of the message) -> the record's text.
ToolRunner = Callable[[Parsed], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class ModelBudget:
    """What one conversation may spend: steps, tokens and seconds on the injected clock."""

    steps: int
    tokens: int
    seconds: float
    monotonic: Callable[[], float]


@dataclass(frozen=True, slots=True)
class ModelReading:
    """What a conversation produced; `failure` says why there is no usable reading."""

    parsed: Parsed | None
    answer: str = ""
    steps: int = 0
    tokens: int = 0
    failure: str = ""
    # The tools the model called, in order, as the intents they stand for.
    tools: tuple[str, ...] = ()


class ChatModel(Protocol):
    """A model that reads a responder's message through read-only tool calls."""

    model: str

    async def read(
        self, message: str, run_tool: ToolRunner, budget: ModelBudget
    ) -> ModelReading: ...
