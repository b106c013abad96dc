"""The emulated workspace: every channel, message and API call, plus test helpers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .models import (
    Bookmark,
    Channel,
    EmulatedUser,
    EmulatedUsergroup,
    EphemeralMessage,
    EventKind,
    Message,
    Pin,
    RecordedCall,
    ResponseUrl,
    ResponseUrlPost,
    TimelineEvent,
    Trigger,
)


def default_users() -> list[EmulatedUser]:
    """A few humans so a sandbox has someone to invite."""
    return [
        EmulatedUser("U0ALICE", "alice", "Alice Adams", "alice@example.com", title="SRE"),
        EmulatedUser("U0BOB", "bob", "Bob Brown", "bob@example.com", title="Backend engineer"),
        EmulatedUser(
            "U0CAROL", "carol", "Carol Chen", "carol@example.com", title="Incident commander"
        ),
    ]


def default_usergroups() -> list[EmulatedUsergroup]:
    """An on-call group made of the default humans."""
    return [EmulatedUsergroup("S0ONCALL", "oncall", "On-call", ["U0ALICE", "U0BOB"])]


@dataclass
class WorkspaceState:
    """Everything the emulator knows; tests read it directly."""

    team_id: str
    team_domain: str
    team_name: str
    bot_user_id: str
    bot_id: str
    app_id: str
    bot_name: str
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    users: dict[str, EmulatedUser] = field(default_factory=dict)
    usergroups: dict[str, EmulatedUsergroup] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    messages: dict[str, list[Message]] = field(default_factory=dict)
    ephemerals: list[EphemeralMessage] = field(default_factory=list)
    pins: dict[str, list[Pin]] = field(default_factory=dict)
    bookmarks: dict[str, list[Bookmark]] = field(default_factory=dict)
    home_views: dict[str, dict[str, Any]] = field(default_factory=dict)
    modal_views: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    response_urls: dict[str, ResponseUrl] = field(default_factory=dict)
    response_posts: list[ResponseUrlPost] = field(default_factory=list)
    triggers: dict[str, Trigger] = field(default_factory=dict)
    calls: list[RecordedCall] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    _ids: int = 0
    _last_ts_micros: int = 0

    # ---- identifiers

    def next_id(self, prefix: str) -> str:
        """A fresh Slack-looking id such as C000000001; counters keep runs reproducible."""
        self._ids += 1
        return f"{prefix}{self._ids:09d}"

    def new_ts(self) -> str:
        """A message ts from the wall clock, strictly increasing even within one microsecond."""
        micros = max(int(self.wall_clock() * 1_000_000), self._last_ts_micros + 1)
        self._last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def now(self) -> int:
        """Wall-clock seconds, as Slack's `created` fields."""
        return int(self.wall_clock())

    # ---- lookups for tests and handlers

    def calls_to(self, method: str) -> list[RecordedCall]:
        """Every recorded call of one API method, oldest first."""
        return [call for call in self.calls if call.method == method]

    def ratelimited_count(self, method: str) -> int:
        """How many times the method was answered with HTTP 429."""
        return sum(1 for call in self.calls_to(method) if call.status == 429)

    def channel_by_name(self, name: str) -> Channel | None:
        """A channel (archived included) by name, with or without the leading #."""
        wanted = name.removeprefix("#")
        return next((c for c in self.channels.values() if c.name == wanted and not c.is_im), None)

    def resolve_channel(self, ref: str) -> Channel | None:
        """A channel by id, or by name as chat.postMessage also accepts."""
        return self.channels.get(ref) or self.channel_by_name(ref)

    def messages_in(self, channel_id: str) -> list[Message]:
        """Messages of a channel in posting order, thread replies included."""
        return list(self.messages.get(channel_id, []))

    def find_message(self, channel_id: str, ts: str) -> Message | None:
        """A channel message by ts."""
        return next((m for m in self.messages.get(channel_id, []) if m.ts == ts), None)

    def find_ephemeral(self, channel_id: str, ts: str) -> EphemeralMessage | None:
        """An ephemeral message by ts."""
        return next((m for m in self.ephemerals if m.channel_id == channel_id and m.ts == ts), None)

    def ephemerals_for(self, user_id: str) -> list[EphemeralMessage]:
        """Ephemeral messages one user was shown."""
        return [m for m in self.ephemerals if m.visible_to == user_id]

    def user_by_email(self, email: str) -> EmulatedUser | None:
        """A user by email, case-insensitively as Slack matches."""
        wanted = email.strip().lower()
        return next((u for u in self.users.values() if u.email and u.email.lower() == wanted), None)

    def user_name(self, user_id: str) -> str:
        """The handle of a user, or the raw id for strangers."""
        user = self.users.get(user_id)
        return user.name if user else user_id

    def is_member(self, channel: Channel, user_id: str | None = None) -> bool:
        """Whether a user (the bot by default) is in the channel."""
        return (user_id or self.bot_user_id) in channel.members

    # ---- mutations shared by the Web API, response_urls and the driver

    def record(self, kind: EventKind, channel_id: str | None, actor: str, **fields: Any) -> None:
        """Append to the timeline the transcript is rendered from."""
        blocks = fields.pop("blocks", ())
        users = fields.pop("users", ())
        self.timeline.append(
            TimelineEvent(
                seq=len(self.timeline) + 1,
                kind=kind,
                channel_id=channel_id,
                actor=actor,
                blocks=tuple(blocks or ()),
                users=tuple(users or ()),
                **fields,
            )
        )

    def add_channel(
        self,
        name: str,
        *,
        creator: str,
        is_private: bool = False,
        members: Iterable[str] = (),
        channel_id: str | None = None,
        is_general: bool = False,
        record: bool = True,
    ) -> Channel:
        """Create a channel; `record=False` seeds one that existed before the transcript starts."""
        channel = Channel(
            id=channel_id or self.next_id("C"),
            name=name,
            creator=creator,
            created=self.now(),
            is_private=is_private,
            is_general=is_general,
            members=list(dict.fromkeys([*members])),
        )
        self.channels[channel.id] = channel
        self.messages[channel.id] = []
        if record:
            self.record(EventKind.CHANNEL_CREATED, channel.id, creator, detail=name)
        return channel

    def ensure_im(self, user_id: str) -> Channel:
        """The app's DM channel with a user, opened on first use."""
        for channel in self.channels.values():
            if channel.is_im and channel.members == [self.bot_user_id, user_id]:
                return channel
        channel = Channel(
            id=self.next_id("D"),
            name=user_id,
            creator=self.bot_user_id,
            created=self.now(),
            is_im=True,
            is_private=True,
            members=[self.bot_user_id, user_id],
        )
        self.channels[channel.id] = channel
        self.messages[channel.id] = []
        return channel

    def add_message(
        self,
        channel_id: str,
        *,
        user: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        reply_broadcast: bool = False,
        via: str | None = None,
    ) -> Message:
        """Store a message from the bot or a human and put it on the timeline."""
        is_bot = user == self.bot_user_id
        message = Message(
            ts=self.new_ts(),
            channel_id=channel_id,
            user=user,
            text=text,
            blocks=list(blocks or []),
            thread_ts=thread_ts,
            reply_broadcast=reply_broadcast,
            bot_id=self.bot_id if is_bot else None,
            app_id=self.app_id if is_bot else None,
        )
        self.messages.setdefault(channel_id, []).append(message)
        self.record(
            EventKind.MESSAGE,
            channel_id,
            user,
            text=text,
            blocks=message.blocks,
            ts=message.ts,
            thread_ts=thread_ts,
            via=via,
        )
        return message

    def edit_message(
        self,
        message: Message,
        *,
        text: str | None,
        blocks: list[dict[str, Any]] | None,
        actor: str,
        via: str | None = None,
    ) -> None:
        """Replace a message's content and count the edit."""
        if text is not None:
            message.text = text
        if blocks is not None:
            message.blocks = list(blocks)
        message.edits += 1
        message.edited_ts = self.new_ts()
        self.record(
            EventKind.MESSAGE_EDITED,
            message.channel_id,
            actor,
            text=message.text,
            blocks=message.blocks,
            ts=message.ts,
            via=via,
        )

    def delete_message(self, message: Message, *, actor: str, via: str | None = None) -> None:
        """Remove a message from its channel."""
        self.messages[message.channel_id].remove(message)
        self.pins[message.channel_id] = [
            p for p in self.pins.get(message.channel_id, []) if p.ts != message.ts
        ]
        self.record(
            EventKind.MESSAGE_DELETED, message.channel_id, actor, text=message.text, via=via
        )

    def add_ephemeral(
        self,
        channel_id: str,
        *,
        visible_to: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        via: str | None = None,
    ) -> EphemeralMessage:
        """Store a message only one user sees."""
        message = EphemeralMessage(
            ts=self.new_ts(),
            channel_id=channel_id,
            user=self.bot_user_id,
            visible_to=visible_to,
            text=text,
            blocks=list(blocks or []),
            thread_ts=thread_ts,
        )
        self.ephemerals.append(message)
        self.record(
            EventKind.EPHEMERAL,
            channel_id,
            self.bot_user_id,
            text=text,
            blocks=message.blocks,
            users=(visible_to,),
            ts=message.ts,
            via=via,
        )
        return message

    def add_reaction(self, message: Message, *, user: str, name: str) -> bool:
        """Add a reaction; False when the user already reacted with it."""
        users = message.reactions.setdefault(name, [])
        if user in users:
            return False
        users.append(user)
        self.record(
            EventKind.REACTION,
            message.channel_id,
            user,
            text=message.text,
            blocks=message.blocks,
            ts=message.ts,
            detail=name,
        )
        return True

    def new_trigger(self, user_id: str) -> Trigger:
        """Issue a trigger_id as Slack does with each interaction."""
        self._ids += 1
        trigger = Trigger(
            id=f"{self._ids}.{self._ids * 7919}.{self._ids:032x}",
            user_id=user_id,
            issued_at=self.clock(),
        )
        self.triggers[trigger.id] = trigger
        return trigger
