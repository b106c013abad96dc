"""What the chat flows need from the chat platform and from an on-call source."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


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
