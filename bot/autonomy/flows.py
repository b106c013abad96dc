"""Freeze, unfreeze and mode changes: stored, logged, and told to the incidents they touch."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions.common import tell_channel
from bot.actions.states import ActionState
from bot.approvals.directory import GroupDirectory
from bot.approvals.permissions import admit, human_only_approvers, mentions
from bot.autonomy import service as autonomy
from bot.autonomy.duration import describe_duration
from bot.autonomy.scope import FLEET, label
from bot.autonomy.views import freeze_summary, when
from bot.domain.events import EventKind
from bot.eventlog import service as eventlog
from bot.incidents import service as incidents
from bot.runtime import Runtime
from bot.slack_text import clip, escape
from bot.store.models import ActionRow, IncidentRow
from policies.decisions import Outcome
from policies.policy_schema import AutonomyMode

# Incident channels told about a change; beyond this the change is still logged and stored.
MAX_CHANNELS_TOLD = 50


@dataclass(frozen=True, slots=True)
class ChangeReply:
    """What to answer: the text, and whether it is announced to the channel."""

    text: str
    public: bool


async def freeze_flow(
    rt: Runtime,
    *,
    scope: str,
    duration: timedelta | None,
    reason: str,
    user_id: str,
    channel_id: str,
) -> ChangeReply:
    """Freeze autonomy for a scope; from the next decision on, nothing runs by itself there."""
    now = rt.clock()
    until = now + duration if duration is not None else None
    span = "until lifted"
    if until is not None and duration is not None:
        span = f"until {when(until)} ({describe_duration(duration)})"
    why = f": {clip(reason, 500)}" if reason else ""
    async with rt.sessions() as session, session.begin():
        await autonomy.freeze(
            session, scope, until=until, reason=reason[:1000], set_by=user_id, now=now
        )
        held = await _waiting_autonomous(session, scope)
        notice = _Notice(
            EventKind.AUTONOMY_FROZEN,
            scope,
            f"🧊 <@{user_id}> froze autonomy for {label(scope)} {span}{escape(why)}."
            " Meanwhile nothing runs by itself; approvals by hand still work.",
            f"{_scope_words(scope)} {span} by <@{user_id}>{why}",
            {
                "scope": scope,
                "until": until.isoformat() if until else None,
                "duration_minutes": int(duration.total_seconds() // 60) if duration else None,
                "reason": reason[:1000],
                "set_by": user_id,
                "waiting_autonomous_actions": held,
            },
        )
        await _publish(session, rt, notice, user_id, channel_id, now)
    rt.wake_outbox()
    waiting = (
        f" {held} autonomous action(s) approved by policy and not yet started will not start."
        if held
        else ""
    )
    return ChangeReply(
        f"🧊 <@{user_id}> froze autonomy for {label(scope)} {span}{escape(why)}.\n"
        "From the next decision on, on every replica, nothing runs by itself: what would have"
        f" run asks for approval instead, and approvals by hand still work.{waiting}\n"
        f"Lift it with `/incident unfreeze{'' if scope == FLEET else ' ' + escape(scope)}`.",
        public=True,
    )


async def unfreeze_flow(
    rt: Runtime, directory: GroupDirectory, *, scope: str, user_id: str, channel_id: str
) -> ChangeReply:
    """Lift a freeze; whoever set it may, and so may the approvers of human_only actions."""
    now = rt.clock()
    async with rt.sessions() as session:
        row = await autonomy.get(session, scope)
        held = autonomy.freeze_of(row, now) if row is not None else None
        state = await autonomy.load_freeze(session, now)
    if held is None:
        return ChangeReply(
            f"Nothing to lift: {label(scope)} is not frozen.\n{freeze_summary(state, now)}",
            public=False,
        )
    if held.set_by != user_id:
        approvers = human_only_approvers(rt.policy)
        admission = await admit(directory, approvers, user_id)
        if not admission.admitted:
            return ChangeReply(
                f"Not lifted: only <@{escape(held.set_by)}>, who set this freeze, or the"
                f" approvers of human_only actions ({mentions(approvers)}) may lift it."
                f"{admission.note()}",
                public=False,
            )
    async with rt.sessions() as session, session.begin():
        if not await autonomy.unfreeze(session, scope, set_by=user_id, now=now):
            return ChangeReply(f"Nothing to lift: {label(scope)} is not frozen.", public=False)
        notice = _Notice(
            EventKind.AUTONOMY_UNFROZEN,
            scope,
            f"▶️ <@{user_id}> lifted the freeze of {label(scope)}; autonomy follows the policy"
            " again.",
            f"{_scope_words(scope)} unfrozen by <@{user_id}>",
            {
                "scope": scope,
                "set_by": user_id,
                "was_set_by": held.set_by,
                "was_reason": held.reason,
                "was_until": held.until.isoformat() if held.until else None,
            },
        )
        await _publish(session, rt, notice, user_id, channel_id, now)
        remaining = await autonomy.load_freeze(session, now)
    rt.wake_outbox()
    still = freeze_summary(remaining, now) if remaining.fleet or remaining.services else ""
    return ChangeReply(
        f"▶️ <@{user_id}> lifted the freeze of {label(scope)}; autonomy follows the policy"
        " again from the next decision on." + (f"\nStill in force:\n{still}" if still else ""),
        public=True,
    )


async def mode_flow(
    rt: Runtime,
    directory: GroupDirectory,
    *,
    scope: str,
    mode: AutonomyMode | None,
    user_id: str,
    channel_id: str,
) -> ChangeReply:
    """Set or drop the mode cap of a scope; only approvers of human_only actions may."""
    approvers = human_only_approvers(rt.policy)
    admission = await admit(directory, approvers, user_id)
    if not admission.admitted:
        return ChangeReply(
            "Not changed: only the approvers of human_only actions"
            f" ({mentions(approvers)}) may change the autonomy mode. Anyone may"
            f" `/incident freeze` to stop autonomy at once.{admission.note()}",
            public=False,
        )
    now = rt.clock()
    file_mode = _file_mode(rt, scope)
    if mode is None:
        words = f"dropped the mode set from Slack for {label(scope)}; the policy file decides"
    else:
        words = f"set the autonomy mode of {label(scope)} to `{mode.value}`"
    async with rt.sessions() as session, session.begin():
        await autonomy.set_mode(session, scope, mode, set_by=user_id, now=now)
        notice = _Notice(
            EventKind.AUTONOMY_MODE_SET,
            scope,
            f"⚙️ <@{user_id}> {words}.",
            f"<@{user_id}> {words}",
            {
                "scope": scope,
                "mode": mode.value if mode else None,
                "file_mode": file_mode.value,
                "set_by": user_id,
            },
        )
        await _publish(session, rt, notice, user_id, channel_id, now)
    rt.wake_outbox()
    note = ""
    if mode is not None and mode.rank >= file_mode.rank:
        note = (
            f"\nThe policy file allows `{file_mode.value}` here, and a mode set from Slack only"
            f" ever lowers autonomy, so `{file_mode.value}` stays in force until the file"
            " allows more."
        )
    return ChangeReply(f"⚙️ <@{user_id}> {words}, from the next decision on.{note}", public=True)


def _file_mode(rt: Runtime, scope: str) -> AutonomyMode:
    if scope == FLEET:
        return rt.policy.rules.autonomy.mode
    return rt.policy.mode_for(scope, rt.settings.environment)


def _scope_words(scope: str) -> str:
    return "All services" if scope == FLEET else f"Service {scope}"


@dataclass(frozen=True, slots=True)
class _Notice:
    """A change of autonomy: what the incidents in scope are told and what the log keeps."""

    kind: EventKind
    scope: str
    announcement: str
    summary: str
    data: dict[str, Any]


async def _publish(
    session: AsyncSession,
    rt: Runtime,
    notice: _Notice,
    user_id: str,
    channel_id: str,
    now: datetime,
) -> None:
    """Tell the incidents in scope, then log the change once with whom it was told to."""
    correlation_id = uuid.uuid4().hex
    here, told = await _announce(
        session, rt, notice.scope, channel_id, notice.announcement, correlation_id, now
    )
    eventlog.record(
        session,
        kind=notice.kind,
        actor=f"slack:{user_id}",
        summary=notice.summary,
        correlation_id=correlation_id,
        at=now,
        incident_id=here,
        data={**notice.data, "incidents_told": told},
    )


async def _announce(
    session: AsyncSession,
    rt: Runtime,
    scope: str,
    channel_id: str,
    text: str,
    correlation_id: str,
    now: datetime,
) -> tuple[int | None, list[int]]:
    """Tell the open incidents in scope; the channel the command ran in gets the reply."""
    here = await incidents.find_by_channel(session, channel_id)
    told: list[int] = []
    for incident in await incidents.list_open(session, limit=MAX_CHANNELS_TOLD):
        if incident.id is None or not _in_scope(incident, scope):
            continue
        if here is not None and incident.id == here.id:
            continue
        if incident.channel_id:
            await tell_channel(session, incident.id, text, correlation_id, now)
            told.append(incident.id)
    return (here.id if here is not None else None), told


def _in_scope(incident: IncidentRow, scope: str) -> bool:
    return scope == FLEET or incident.service == scope


async def _waiting_autonomous(session: AsyncSession, scope: str) -> int:
    """Actions the policy let run by themselves that have not started yet."""
    query: Any = (
        select(func.count())
        .select_from(ActionRow)
        .where(
            col(ActionRow.state) == ActionState.APPROVED.value,
            col(ActionRow.decision) == Outcome.AUTO_EXECUTE.value,
        )
    )
    if scope != FLEET:
        query = query.where(col(ActionRow.service) == scope)
    result = await session.exec(query)
    return int(result.one())
