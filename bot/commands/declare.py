"""`/incident declare`: open an incident by hand, with its channel, card and triage."""

from __future__ import annotations

from bot.autonomy.scope import SERVICE_NAME, explicit_service
from bot.commands.reply import CommandContext, CommandReply
from bot.domain.signals import Severity
from bot.incidents import service as incidents
from bot.incidents.opened import incident_opened
from bot.slack_text import clip, escape

USAGE = "Usage: `/incident declare [service:NAME] [sev:critical|error|warning|info] TITLE`"
DEFAULT_SERVICE = "unspecified"
DEFAULT_SEVERITY = Severity.ERROR
MAX_TITLE = 500
SEVERITY_PREFIXES = ("sev:", "sev=", "severity:", "severity=")


async def declare(ctx: CommandContext) -> CommandReply:
    tokens = ctx.args.split()
    service, severity = DEFAULT_SERVICE, DEFAULT_SEVERITY
    while tokens:
        named = explicit_service(tokens[0])
        level = _severity_word(tokens[0])
        if named is not None:
            if not SERVICE_NAME.match(named):
                return CommandReply(
                    f"`{escape(clip(named, 64))}` is not a service name"
                    f" (letters, digits, `.`, `_`, `-`).\n{USAGE}"
                )
            service = named
        elif level is not None:
            try:
                severity = Severity(level.lower())
            except ValueError:
                return CommandReply(
                    f"`{escape(clip(level, 20))}` is not a severity: use critical, error,"
                    f" warning or info.\n{USAGE}"
                )
        else:
            break
        tokens = tokens[1:]
    title = " ".join(tokens).strip()
    if not title:
        return CommandReply(f"Give the incident a title.\n{USAGE}")
    rt = ctx.rt
    now = rt.clock()
    async with rt.sessions() as session, session.begin():
        incident = await incidents.declare(
            session,
            title=title[:MAX_TITLE],
            service=service,
            environment=rt.settings.environment,
            severity=severity.value,
            now=now,
        )
        assert incident.id is not None
        await incident_opened(
            session,
            incident,
            actor=ctx.actor,
            summary=f"Incident declared by <@{ctx.user_id}>: {title[:200]}",
            correlation_id=incident.correlation_id,
            now=now,
            data={
                "title": incident.title,
                "service": service,
                "environment": incident.environment,
                "severity": severity.value,
                "source": "manual",
                "declared_by": ctx.user_id,
                "declared_in": ctx.channel_id,
            },
        )
    rt.wake_outbox()
    return CommandReply(
        f"🚨 <@{ctx.user_id}> declared incident #{incident.id}: *{escape(clip(title, 300))}*"
        f" ({severity.value}, `{escape(service)}`). Its channel is being opened.",
        public=True,
    )


def _severity_word(token: str) -> str | None:
    for prefix in SEVERITY_PREFIXES:
        if token.lower().startswith(prefix):
            return token[len(prefix) :]
    return None
