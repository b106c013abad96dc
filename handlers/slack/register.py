"""Every Slack listener and middleware, attached in one place."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.approvals.directory import GroupDirectory
from bot.chat.flows import ChatService
from bot.chat.setup import chat_model
from bot.runtime import Runtime
from handlers.slack.actions import register_actions
from handlers.slack.commands import register_commands
from handlers.slack.console import register_console
from handlers.slack.dedup import DeduplicateEvents
from handlers.slack.events import register_events
from handlers.slack.paging import register_paging
from handlers.slack.quiet import QuietBolt
from handlers.slack.reactions import register_reactions
from handlers.slack.storms import register_storm_actions
from handlers.slack.work import WorkPool, pool_listeners
from integrations.slack.threads import SlackThreads


def register_slack(app: AsyncApp, rt: Runtime, work: WorkPool) -> None:
    app.logger.addFilter(QuietBolt())
    # Every listener's work after its ack goes through the one work pool.
    pool_listeners(app, work)
    app.use(DeduplicateEvents(rt.sessions, rt.clock))
    # One directory per process, so user-group lookups are shared by commands and clicks.
    directory = GroupDirectory(rt.chat, rt.clock)
    register_commands(app, rt, directory)
    register_actions(app, rt, directory)
    register_console(app, rt, directory)
    register_paging(app, rt)
    chat = ChatService(rt, SlackThreads(app.client), chat_model(rt.settings))
    register_events(app, rt, chat)
    register_reactions(app, rt)
    register_storm_actions(app, rt)
