"""`/incident status`: the incident, the policy in force, autonomy, approvals waiting."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions.states import ActionState
from bot.autonomy.service import load_freeze
from bot.autonomy.views import (
    freeze_summary,
    modes_summary,
    policy_alarm,
    policy_line,
    service_autonomy,
)
from bot.commands.reply import CommandContext, CommandReply
from bot.incidents import service as incidents
from bot.slack_text import clip, escape
from bot.store.models import ActionRow, IncidentRow

MAX_PENDING_SHOWN = 10
MAX_OPEN_SHOWN = 20
MAX_REPLY = 3900


async def status(ctx: CommandContext) -> CommandReply:
    rt = ctx.rt
    now = rt.clock()
    async with rt.sessions() as session:
        here = await incidents.find_by_channel(session, ctx.channel_id)
        freeze = await load_freeze(session, now)
        pending = await _pending(session, here) if here is not None else []
        open_now = [] if here is not None else await incidents.list_open(session, MAX_OPEN_SHOWN)
    parts: list[str] = []
    alarm = policy_alarm(rt.policy, rt.policy_problem)
    if alarm is not None:
        parts.append(alarm)
    if here is not None:
        flag = " · signal resolved" if here.signal_resolved else ""
        parts += [
            f"*#{here.id} {escape(here.title)}*\n{here.severity} · {here.status}{flag} · "
            f"{escape(here.service)} ({escape(here.environment)}) · {here.signal_count} signal(s)",
            service_autonomy(rt.policy, freeze, here.service, here.environment, now),
            policy_line(rt.policy),
            _pending_text(pending, now),
        ]
    else:
        parts += [
            _open_text(open_now),
            freeze_summary(freeze, now),
            modes_summary(rt.policy, freeze),
            policy_line(rt.policy),
        ]
    return CommandReply(clip("\n\n".join(parts), MAX_REPLY))


async def _pending(session: AsyncSession, incident: IncidentRow) -> list[ActionRow]:
    result = await session.exec(
        select(ActionRow)
        .where(
            col(ActionRow.incident_id) == incident.id,
            col(ActionRow.state) == ActionState.AWAITING_APPROVAL.value,
        )
        .order_by(col(ActionRow.id))
    )
    return list(result.all())


def _pending_text(rows: list[ActionRow], now: datetime) -> str:
    if not rows:
        return "*Waiting for approval:* nothing."
    lines = []
    for row in rows[:MAX_PENDING_SHOWN]:
        given = len(set(row.approvers))
        by = f" ({', '.join(f'<@{escape(a)}>' for a in row.approvers)})" if row.approvers else ""
        expiry = (
            f"expired at {row.expires_at:%H:%M} UTC"
            if row.expires_at <= now
            else f"expires {row.expires_at:%H:%M} UTC"
        )
        lines.append(
            f"• `{escape(row.action)}` → `{escape(clip(row.target, 120))}` — "
            f"{given} of {max(row.approvals_needed, 1)} approval(s){by} · {row.risk_class} · "
            f"{expiry}"
        )
    more = len(rows) - MAX_PENDING_SHOWN
    if more > 0:
        lines.append(f"…and {more} more")
    return "*Waiting for approval:*\n" + "\n".join(lines)


def _open_text(open_now: list[IncidentRow]) -> str:
    if not open_now:
        return "No open incidents."
    lines = [
        f"• #{i.id} {escape(clip(i.title, 80))} — {i.severity}, {i.status}"
        + (f" <#{i.channel_id}>" if i.channel_id else "")
        for i in open_now
    ]
    return "*Open incidents*\n" + "\n".join(lines)
