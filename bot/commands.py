"""`/incident` subcommands as flows, independent of Slack's request handling."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.domain.events import EventKind
from bot.domain.lifecycle import LifecycleAction, TransitionRefused
from bot.eventlog import service as eventlog
from bot.incidents import jobs
from bot.incidents import service as incidents
from bot.outbox import service as outbox
from bot.runtime import Runtime
from bot.slack_text import clip, escape

HELP = """*`/incident` commands*
• `status` — this incident, or the open incidents
• `ack` — acknowledge this incident
• `mitigated` — mark it mitigated
• `resolve` — mark it resolved
• `close` — close a resolved incident
• `note TEXT` — add a line to the timeline
• `timeline` — show the timeline
• `help` — this list"""


@dataclass(frozen=True)
class CommandReply:
    text: str
    public: bool = False


Subcommand = Callable[[Runtime, str, str, str], Awaitable[CommandReply]]


async def _status(rt: Runtime, args: str, user: str, channel: str) -> CommandReply:
    async with rt.sessions() as session:
        here = await incidents.find_by_channel(session, channel)
        if here is not None:
            flag = " · signal resolved" if here.signal_resolved else ""
            return CommandReply(
                f"*#{here.id} {escape(here.title)}*\n{here.severity} · {here.status}{flag} · "
                f"{escape(here.service)} · {here.signal_count} signal(s)"
            )
        open_now = await incidents.list_open(session, limit=20)
    if not open_now:
        return CommandReply("No open incidents.")
    lines = [
        f"• #{i.id} {escape(clip(i.title, 80))} — {i.severity}, {i.status}"
        + (f" <#{i.channel_id}>" if i.channel_id else "")
        for i in open_now
    ]
    return CommandReply("*Open incidents*\n" + "\n".join(lines))


def _lifecycle(action: LifecycleAction) -> Subcommand:
    async def run(rt: Runtime, args: str, user: str, channel: str) -> CommandReply:
        now = rt.clock()
        correlation_id = uuid.uuid4().hex
        async with rt.sessions() as session, session.begin():
            incident = await incidents.find_by_channel(session, channel)
            if incident is None or incident.id is None:
                return CommandReply("Run this in an incident channel.")
            try:
                old, new = await incidents.transition(session, incident.id, action, now)
            except TransitionRefused as refused:
                eventlog.record(
                    session,
                    kind=EventKind.INCIDENT_TRANSITION_REFUSED,
                    actor=f"slack:{user}",
                    summary=str(refused),
                    correlation_id=correlation_id,
                    at=now,
                    incident_id=incident.id,
                    data={"action": action.value},
                )
                return CommandReply(f"Not done: {refused}.")
            eventlog.record(
                session,
                kind=EventKind.INCIDENT_TRANSITIONED,
                actor=f"slack:{user}",
                summary=f"<@{user}> moved the incident from {old.value} to {new.value}",
                correlation_id=correlation_id,
                at=now,
                incident_id=incident.id,
                data={"from": old.value, "to": new.value, "action": action.value},
            )
            await outbox.enqueue(
                session,
                kind=jobs.REFRESH_CARD,
                incident_id=incident.id,
                correlation_id=correlation_id,
                now=now,
                coalesce=True,
            )
        rt.wake_outbox()
        return CommandReply(f"<@{user}> set incident #{incident.id} to *{new.value}*.", public=True)

    return run


async def _note(rt: Runtime, args: str, user: str, channel: str) -> CommandReply:
    if not args.strip():
        return CommandReply("Usage: `/incident note TEXT`")
    now = rt.clock()
    async with rt.sessions() as session, session.begin():
        incident = await incidents.find_by_channel(session, channel)
        if incident is None:
            return CommandReply("Run this in an incident channel.")
        eventlog.record(
            session,
            kind=EventKind.NOTE_ADDED,
            actor=f"slack:{user}",
            summary=args.strip()[:3000],
            correlation_id=uuid.uuid4().hex,
            at=now,
            incident_id=incident.id,
        )
    return CommandReply(f"📝 <@{user}> noted: {escape(clip(args.strip(), 2800))}", public=True)


async def _timeline(rt: Runtime, args: str, user: str, channel: str) -> CommandReply:
    async with rt.sessions() as session:
        incident = await incidents.find_by_channel(session, channel)
        if incident is None or incident.id is None:
            return CommandReply("Run this in an incident channel.")
        entries = await eventlog.timeline(session, incident.id)
    lines = [
        f"`{e.at.strftime('%H:%M:%S')}Z` {escape(clip(e.summary, 200))} — _{escape(e.actor)}_"
        for e in entries[-40:]
    ]
    return CommandReply(clip(f"*Timeline of #{incident.id}*\n" + "\n".join(lines), 3900))


async def _help(rt: Runtime, args: str, user: str, channel: str) -> CommandReply:
    return CommandReply(HELP)


SUBCOMMANDS: dict[str, Subcommand] = {
    "help": _help,
    "status": _status,
    "ack": _lifecycle(LifecycleAction.ACKNOWLEDGE),
    "mitigated": _lifecycle(LifecycleAction.MITIGATE),
    "resolve": _lifecycle(LifecycleAction.RESOLVE),
    "close": _lifecycle(LifecycleAction.CLOSE),
    "note": _note,
    "timeline": _timeline,
}


async def run_incident_command(
    rt: Runtime, *, text: str, user_id: str, channel_id: str
) -> CommandReply:
    """Dispatch `/incident <subcommand> [args]`; unknown input gets help, never a trace."""
    name, _, args = text.strip().partition(" ")
    handler = SUBCOMMANDS.get(name.lower() or "help")
    if handler is None:
        known = ", ".join(f"`{n}`" for n in SUBCOMMANDS)
        return CommandReply(f"Unknown subcommand `{escape(clip(name, 40))}`. Try: {known}.")
    return await handler(rt, args, user_id, channel_id)
