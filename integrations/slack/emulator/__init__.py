"""A stateful Slack workspace emulator and a driver that plays Slack's inbound side."""

from .driver import DriverResponse, SlackDriver
from .errors import SlackError
from .faults import Fault
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
    ResponseUrlPost,
    TimelineEvent,
)
from .ratelimit import Limit, RateLimits, Tier
from .server import SlackEmulator
from .state import WorkspaceState
from .transcript import render_transcript

__all__ = [
    "Bookmark",
    "Channel",
    "DriverResponse",
    "EmulatedUser",
    "EmulatedUsergroup",
    "EphemeralMessage",
    "EventKind",
    "Fault",
    "Limit",
    "Message",
    "Pin",
    "RateLimits",
    "RecordedCall",
    "ResponseUrlPost",
    "SlackDriver",
    "SlackEmulator",
    "SlackError",
    "Tier",
    "TimelineEvent",
    "WorkspaceState",
    "render_transcript",
]
