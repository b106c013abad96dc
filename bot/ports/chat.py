"""The `ChatWorkspace` capability: what the incident flows need from a chat platform."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class ChatError(Exception):
    """A chat write failed; `retryable` says whether trying again later can help."""

    def __init__(self, code: str, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


class ChannelNameTaken(ChatError):
    def __init__(self, name: str) -> None:
        super().__init__("name_taken", f"a channel named #{name} already exists", retryable=False)
        self.name = name


@dataclass(frozen=True)
class ChannelInfo:
    id: str
    name: str
    creator: str
    purpose: str = ""


@dataclass(frozen=True)
class ChatMessage:
    ts: str
    user: str
    text: str


class ChatWorkspace(Protocol):
    """Channel and message operations; every write is safe to repeat."""

    async def bot_user_id(self) -> str: ...

    async def check_auth(self) -> None: ...

    async def create_channel(self, name: str) -> ChannelInfo: ...

    async def find_channel(self, name: str) -> ChannelInfo | None: ...

    async def set_topic(self, channel_id: str, topic: str) -> None: ...

    async def set_purpose(self, channel_id: str, purpose: str) -> None: ...

    async def invite(self, channel_id: str, user_ids: list[str]) -> list[str]: ...

    async def post(self, channel: str, text: str, blocks: list[dict[str, Any]]) -> str: ...

    async def update(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]
    ) -> None: ...

    async def pin(self, channel_id: str, ts: str) -> None: ...

    async def find_own_message(self, channel: str, marker: str, scan: int = 200) -> str | None: ...

    async def post_ephemeral(self, channel: str, user: str, text: str) -> None: ...

    async def get_message(self, channel: str, ts: str) -> ChatMessage | None:
        """One channel message by ts, or None when it is gone."""
        ...

    async def permalink(self, channel: str, ts: str) -> str: ...

    async def usergroup_members(self, usergroup_id: str) -> list[str]: ...
