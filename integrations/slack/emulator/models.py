"""Plain records that make up the emulated workspace."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass
class EmulatedUser:
    """A workspace member as users.info describes it."""

    id: str
    name: str
    real_name: str = ""
    email: str | None = None
    is_bot: bool = False
    title: str = ""
    tz: str = "UTC"
    deleted: bool = False


@dataclass
class EmulatedUsergroup:
    """A user group (subteam) such as @oncall."""

    id: str
    handle: str
    name: str
    users: list[str] = field(default_factory=list)
    description: str = ""
    disabled: bool = False


@dataclass
class Channel:
    """A conversation: public or private channel, or the app's DM with a user."""

    id: str
    name: str
    creator: str
    created: int
    is_private: bool = False
    is_im: bool = False
    is_general: bool = False
    archived: bool = False
    members: list[str] = field(default_factory=list)
    topic: str = ""
    topic_creator: str = ""
    topic_last_set: int = 0
    purpose: str = ""
    purpose_creator: str = ""
    purpose_last_set: int = 0


@dataclass
class Message:
    """A message in a channel; thread replies carry the parent's ts in thread_ts."""

    ts: str
    channel_id: str
    user: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    reply_broadcast: bool = False
    bot_id: str | None = None
    app_id: str | None = None
    edits: int = 0
    edited_ts: str | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_reply(self) -> bool:
        """True for thread replies (not for thread parents)."""
        return self.thread_ts is not None and self.thread_ts != self.ts


@dataclass
class EphemeralMessage:
    """A message only one user sees; it never appears in history."""

    ts: str
    channel_id: str
    user: str
    visible_to: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None


@dataclass
class Pin:
    """A pinned message."""

    channel_id: str
    ts: str
    created_by: str
    created: int


@dataclass
class Bookmark:
    """A channel bookmark (link)."""

    id: str
    channel_id: str
    title: str
    link: str
    emoji: str | None
    created_by: str
    created: int


@dataclass
class ResponseUrl:
    """A response_url handed to the bot in a command or interaction payload."""

    id: str
    kind: str
    channel_id: str | None
    user_id: str | None
    message_ts: str | None = None
    uses: int = 0


@dataclass
class ResponseUrlPost:
    """One payload the bot posted to a response_url."""

    url_id: str
    kind: str
    channel_id: str | None
    user_id: str | None
    payload: dict[str, Any]

    @property
    def text(self) -> str:
        """The posted text, empty when absent."""
        return str(self.payload.get("text") or "")

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """The posted blocks, empty when absent."""
        blocks = self.payload.get("blocks")
        return blocks if isinstance(blocks, list) else []

    @property
    def response_type(self) -> str:
        """`in_channel` or `ephemeral` (Slack's default)."""
        return str(self.payload.get("response_type") or "ephemeral")

    @property
    def replace_original(self) -> bool:
        """Whether the bot asked to replace the message the interaction came from."""
        return _truthy(self.payload.get("replace_original"))

    @property
    def delete_original(self) -> bool:
        """Whether the bot asked to delete the message the interaction came from."""
        return _truthy(self.payload.get("delete_original"))


@dataclass
class Trigger:
    """A trigger_id issued with an interaction; single use and short-lived."""

    id: str
    user_id: str
    issued_at: float
    used: bool = False


@dataclass
class RecordedCall:
    """One Web API call as the emulator answered it."""

    method: str
    params: dict[str, Any]
    status: int
    error: str | None
    at: float

    @property
    def ok(self) -> bool:
        """True when Slack would have answered `ok: true`."""
        return self.status == 200 and self.error is None


class EventKind(StrEnum):
    """What happened, for the human-readable transcript."""

    CHANNEL_CREATED = "channel_created"
    TOPIC_SET = "topic_set"
    PURPOSE_SET = "purpose_set"
    INVITED = "invited"
    JOINED = "joined"
    ARCHIVED = "archived"
    MESSAGE = "message"
    MESSAGE_EDITED = "message_edited"
    MESSAGE_DELETED = "message_deleted"
    EPHEMERAL = "ephemeral"
    PINNED = "pinned"
    REACTION = "reaction"
    BOOKMARK = "bookmark"
    SLASH_COMMAND = "slash_command"
    BUTTON_CLICK = "button_click"
    HOME_PUBLISHED = "home_published"
    VIEW_OPENED = "view_opened"


@dataclass(frozen=True)
class TimelineEvent:
    """One entry of the workspace's chronological history, with content captured at the time."""

    seq: int
    kind: EventKind
    channel_id: str | None
    actor: str
    text: str = ""
    blocks: tuple[dict[str, Any], ...] = ()
    users: tuple[str, ...] = ()
    ts: str | None = None
    thread_ts: str | None = None
    via: str | None = None
    detail: str = ""


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true"}
    return bool(value)
