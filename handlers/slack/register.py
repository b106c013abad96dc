"""Every Slack listener and middleware, attached in one place."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.runtime import Runtime
from handlers.slack.commands import register_commands
from handlers.slack.dedup import DeduplicateEvents
from handlers.slack.events import register_events


def register_slack(app: AsyncApp, rt: Runtime) -> None:
    app.use(DeduplicateEvents(rt.sessions, rt.clock))
    register_commands(app, rt)
    register_events(app, rt)
