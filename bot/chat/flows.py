"""A responder's message in, a threaded reply out: parse, plan or answer, check, post.

Bolt has acked the event before any of this runs. A reply (or a "looking…" edited later)
goes out first; the record is read once; every step is written to the event log.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.autonomy.flows import freeze_flow
from bot.chat import answers, audit, copies, strategist, views
from bot.chat.answers import Finding
from bot.chat.conversation import Conversation, converse
from bot.chat.intents import QUESTIONS, Intent, Parsed
from bot.chat.model_reply import model_facts, model_reply
from bot.chat.parser import incident_reference, parse
from bot.chat.ports import ChatModel, OnCallLookup, ThreadReplies
from bot.chat.record import IncidentRecord, load_record
from bot.chat.reply import Reply
from bot.chat.safety import problems
from bot.domain.events import EventKind
from bot.domain.lifecycle import OPEN_STATUSES
from bot.eventlog import service as eventlog
from bot.incidents import service as incidents
from bot.ports.adapters import AdapterError
from bot.ports.chat import ChatError
from bot.runtime import Runtime
from bot.slack_text import escape
from bot.store.models import ActionRow, IncidentRow
from bot.triage import card
from bot.triage import service as triages

log = logging.getLogger(__name__)

# What one responder message may put into the timeline (and so into prompts and tickets).
MAX_MESSAGE_CHARS = 500
FAILED = "⚠️ I could not answer that just now; nothing changed. Try again in a moment."
UNSAFE = (
    "I put together an answer but it would have mentioned people or links that are not in"
    " this incident's record, so I am not posting it. The incident card has the facts."
)


@dataclass(frozen=True, slots=True)
class Incoming:
    """One human message addressed to the bot, or said in an incident channel."""

    user: str
    channel: str
    channel_type: str
    text: str
    ts: str
    thread_ts: str | None = None
    mention: bool = False

    @property
    def thread(self) -> str:
        return self.thread_ts or self.ts

    @property
    def is_dm(self) -> bool:
        return self.channel_type == "im"


class ChatService:
    """Answers mentions, thread replies on the bot's cards and DMs naming an incident."""

    def __init__(self, rt: Runtime, threads: ThreadReplies, model: ChatModel | None = None) -> None:
        self.rt = rt
        self.threads = threads
        # With a model, questions are read through its tool calls; the parser stands in.
        self.model = model
        self._bot_user: str | None = None

    async def bot_mention(self) -> str:
        if self._bot_user is None:
            self._bot_user = await self.rt.chat.bot_user_id()
        return f"<@{self._bot_user}>"

    async def on_mention(self, message: Incoming) -> None:
        incident = await self._incident_of(message)
        if incident is not None and incident.channel_id == message.channel:
            await self._remember(incident, message)
        await self._answer(message, incident)

    async def on_message(self, message: Incoming) -> None:
        """Channel chatter joins the timeline; DMs and replies on our cards get answers."""
        if message.is_dm:
            await self._answer(message, await self._incident_of(message))
            return
        # Slack sends an app_mention for these too; that delivery answers.
        if (await self.bot_mention()) in message.text:
            return
        async with self.rt.sessions() as session:
            incident = await incidents.find_by_channel(session, message.channel)
        if incident is None:
            return
        await self._remember(incident, message)
        cards = {incident.card_ts, incident.triage_card_ts} - {None}
        if message.thread_ts is not None and message.thread_ts in cards:
            await self._answer(message, incident)

    async def _incident_of(self, message: Incoming) -> IncidentRow | None:
        async with self.rt.sessions() as session:
            if not message.is_dm:
                found = await incidents.find_by_channel(session, message.channel)
                if found is not None:
                    return found
            number = incident_reference(message.text)
            if number is None:
                return None
            return await incidents.get(session, int(number))

    async def _remember(self, incident: IncidentRow, message: Incoming) -> None:
        """The responder's words, bounded, as untrusted text on the timeline."""
        assert incident.id is not None
        text = re.sub(r"<@[A-Z0-9]+>", "", message.text).strip()[:MAX_MESSAGE_CHARS]
        if not text:
            return
        async with self.rt.sessions() as session, session.begin():
            eventlog.record(
                session,
                kind=EventKind.CHAT_MESSAGE,
                summary=f"<@{message.user}> said: {text[:200]}",
                actor=f"slack:{message.user}",
                correlation_id=incident.correlation_id,
                at=self.rt.clock(),
                incident_id=incident.id,
                data={
                    "user": message.user,
                    "ts": message.ts,
                    "thread_ts": message.thread_ts,
                    "text": text,
                    "truncated": len(message.text) > MAX_MESSAGE_CHARS,
                    "untrusted": True,
                },
            )

    async def _answer(self, message: Incoming, incident: IncidentRow | None) -> None:
        correlation_id = uuid.uuid4().hex
        # A model takes seconds: the thread sees "looking…" at once, edited with the answer.
        looking = await self._looking(message) if self.model and incident is not None else None
        try:
            reply = await self._reply_for(message, incident, correlation_id)
        except Exception:
            # The user gets a sentence, never a traceback; the log keeps the detail.
            log.exception("chat reply to %s in %s failed", message.user, message.channel)
            reply = Reply(FAILED, [views.section(FAILED)])
        await self._post(message, reply, looking, correlation_id)

    async def _looking(self, message: Incoming) -> str | None:
        try:
            return await self.threads.reply(
                message.channel, message.thread, views.LOOKING, [views.section(views.LOOKING)]
            )
        except ChatError as exc:
            log.warning("looking… in %s not posted: %s", message.channel, exc.code)
            return None

    async def _post(
        self,
        message: Incoming,
        reply: Reply,
        looking: str | None = None,
        correlation_id: str = "",
    ) -> None:
        try:
            if looking is not None:
                await self.threads.edit(message.channel, looking, reply.text, reply.blocks)
                ts = looking
            else:
                ts = await self.threads.reply(
                    message.channel, message.thread, reply.text, reply.blocks
                )
        except ChatError as exc:
            log.warning("chat reply in %s not posted: %s", message.channel, exc.code)
            return
        if reply.proposal is not None:
            await self._remember_copy(message.channel, ts, reply, correlation_id)

    async def _remember_copy(
        self, channel: str, ts: str, reply: Reply, correlation_id: str
    ) -> None:
        assert reply.proposal is not None
        async with self.rt.sessions() as session, session.begin():
            action = await session.get(ActionRow, reply.proposal)
            if action is None:
                return
            copies.record_copy(
                session,
                incident_id=action.incident_id,
                action_id=reply.proposal,
                channel=channel,
                ts=ts,
                text=reply.proposal_text,
                correlation_id=correlation_id or uuid.uuid4().hex,
                at=self.rt.clock(),
            )

    async def _reply_for(
        self, message: Incoming, incident: IncidentRow | None, correlation_id: str
    ) -> Reply:
        if incident is None:
            return await self._which_incident()
        assert incident.id is not None
        async with self.rt.sessions() as session:
            record = await self._record(session, incident)
            known = await self._known_services(session, record)
        parsed = parse(message.text, known)
        talk = None
        if self.model is not None:
            talk = await converse(self.rt, self.model, record, message.text, self.on_call)
        read = talk.reading.parsed if talk is not None else None
        used = read or parsed
        async with self.rt.sessions() as session, session.begin():
            audit.step(
                session,
                EventKind.CHAT_PARSED,
                f"Parsed <@{message.user}>'s message as {used.intent.value} ({used.source})",
                incident_id=incident.id,
                correlation_id=correlation_id,
                at=self.rt.clock(),
                given=message.text,
                produced=used.as_dict(),
                parsed=used.as_dict(),
                parser=parsed.as_dict(),
                model=model_facts(self.model, talk),
                user=message.user,
                ts=message.ts,
            )
        if talk is not None and read is not None and talk.reading.answer and not read.is_request:
            reply = await self._model_answer(message, record, talk, parsed, correlation_id)
        else:
            reply = await self._respond(message, record, used, correlation_id)
        return await self._checked(message, record, reply, correlation_id)

    async def _model_answer(
        self,
        message: Incoming,
        record: IncidentRecord,
        talk: Conversation,
        parsed: Parsed,
        correlation_id: str,
    ) -> Reply:
        """The model's answer if it passes the safety check; else the parser's, and why."""
        reply = model_reply(talk)
        users = record.allowed_users() | {message.user}
        found = problems(views.all_text(reply.text, reply.blocks), users, record.allowed_links())
        if not found:
            return reply
        async with self.rt.sessions() as session, session.begin():
            audit.step(
                session,
                EventKind.CHAT_MODEL_REJECTED,
                f"The model's answer to <@{message.user}> was replaced: {'; '.join(found)}",
                incident_id=record.number,
                correlation_id=correlation_id,
                at=self.rt.clock(),
                given={"message": message.text, "tools": list(talk.reading.tools)},
                produced=talk.reading.answer,
                reasons=found,
                model=getattr(self.model, "model", ""),
            )
        return await self._respond(message, record, parsed, correlation_id)

    async def _respond(
        self, message: Incoming, record: IncidentRecord, parsed: Parsed, correlation_id: str
    ) -> Reply:
        if parsed.is_request:
            return await self._request(message.user, message.ts, record, parsed, correlation_id)
        findings = await self._findings(record, parsed)
        return Reply(
            views.answer_text(findings),
            views.answer_blocks(findings),
            tuple(c for f in findings for c in f.citations),
        )

    async def _request(
        self,
        asker: str,
        request_key: str,
        record: IncidentRecord,
        parsed: Parsed,
        correlation_id: str,
    ) -> Reply:
        """Strategist, then the reply: the proposal with its buttons, a question, a refusal."""
        async with self.rt.sessions() as session, session.begin():
            made = await strategist.plan(
                self.rt, session, record, parsed, asker, request_key, correlation_id
            )
            audit.step(
                session,
                EventKind.CHAT_PLANNED,
                f"Planned <@{asker}>'s request ({parsed.intent.value}): {made.kind}",
                incident_id=record.number,
                correlation_id=correlation_id,
                at=self.rt.clock(),
                given=parsed.as_dict(),
                produced=made.as_dict(),
                plan=made.as_dict(),
            )
        self.rt.wake_outbox()
        blocks: list[dict[str, Any]]
        if made.action is not None and made.kind == "proposed":
            view = triages.view_of(made.action)
            blocks = [views.section(made.text), *card.action_blocks(record.number, 1, view)]
        elif made.choices:
            blocks = views.choice_blocks(made.text, made.choices)
        else:
            blocks = [views.section(made.text)]
        citations = (f"action:{made.action.id}",) if made.action is not None else ()
        shown = made.action.id if made.action is not None and made.kind == "proposed" else None
        return Reply(
            made.text[:150],
            blocks,
            citations,
            source=parsed.source,
            proposal=shown,
            proposal_text=made.text if shown is not None else "",
        )

    async def on_choice(self, user: str, channel: str, thread_ts: str, value: str) -> None:
        """A click on a question's button: the request, completed, planned for the clicker."""
        chosen = strategist.read_choice(value)
        message = Incoming(user, channel, "", "", thread_ts, thread_ts)
        if chosen is None:
            await self._post(message, Reply(FAILED, [views.section(FAILED)]))
            return
        number, parsed = chosen
        correlation_id = uuid.uuid4().hex
        try:
            async with self.rt.sessions() as session:
                incident = await incidents.get(session, number)
                if incident is None:
                    return
                record = await self._record(session, incident)
            if parsed.intent is Intent.FREEZE:
                reply = await self._freeze(user, channel, record, parsed)
            else:
                key = f"{thread_ts}:{audit.digest(value)[:16]}"
                reply = await self._request(user, key, record, parsed, correlation_id)
            reply = await self._checked(message, record, reply, correlation_id)
        except Exception:
            log.exception("chat choice by %s failed", user)
            reply = Reply(FAILED, [views.section(FAILED)])
        await self._post(message, reply, correlation_id=correlation_id)

    async def _freeze(
        self, user: str, channel: str, record: IncidentRecord, parsed: Parsed
    ) -> Reply:
        minutes = int(parsed.entities.get("duration_minutes", strategist.DEFAULT_FREEZE_MINUTES))
        done = await freeze_flow(
            self.rt,
            scope=record.incident.service,
            duration=timedelta(minutes=minutes),
            reason=f"asked for in chat on incident #{record.number}",
            user_id=user,
            channel_id=channel,
        )
        return Reply(done.text[:150], [views.section(done.text)])

    async def _findings(self, record: IncidentRecord, parsed: Parsed) -> list[Finding]:
        if parsed.intent is Intent.ONCALL:
            return [await self.on_call(record)]
        topic = answers.TOPICS.get(parsed.intent)
        if topic is not None and parsed.intent in QUESTIONS:
            return [topic(record)]
        return [answers.status(record), answers.help_text()]

    async def on_call(self, record: IncidentRecord) -> Finding:
        pager = self.rt.adapters.pager
        if not isinstance(pager, OnCallLookup):
            return answers.oncall(record, None)
        team = record.triage.report.recommended_team if record.triage else record.subject.team
        try:
            people = await pager.on_call(team or record.incident.service)
        except AdapterError as exc:
            log.warning("on-call lookup failed: %s", exc.code)
            return answers.oncall(record, None)
        return answers.oncall(record, people)

    async def _checked(
        self, message: Incoming, record: IncidentRecord, reply: Reply, correlation_id: str
    ) -> Reply:
        """The last gate: a reply that would break the rules is not posted as it is."""
        users = record.allowed_users() | {message.user}
        found = problems(views.all_text(reply.text, reply.blocks), users, record.allowed_links())
        if found:
            log.warning("deterministic chat reply refused by the safety check: %s", found)
            reply = Reply(UNSAFE, [views.section(UNSAFE)], source=reply.source)
        async with self.rt.sessions() as session, session.begin():
            audit.step(
                session,
                EventKind.CHAT_ANSWERED,
                f"Answered <@{message.user}> in a thread ({reply.source})",
                incident_id=record.number,
                correlation_id=correlation_id,
                at=self.rt.clock(),
                given={"message": message.text, "citations": list(reply.citations)},
                produced={"text": reply.text, "blocks": reply.blocks},
                source=reply.source,
                citations=list(reply.citations)[:40],
                refused=found,
            )
        return reply

    async def _record(self, session: AsyncSession, incident: IncidentRow) -> IncidentRecord:
        settings = self.rt.settings
        return await load_record(
            session,
            incident,
            runbooks=self.rt.runbooks,
            runbooks_version=self.rt.runbooks_version,
            responders=list(settings.responders),
            lookback=timedelta(minutes=settings.triage_change_lookback_minutes),
            now=self.rt.clock(),
        )

    async def _known_services(self, session: AsyncSession, record: IncidentRecord) -> set[str]:
        """Names a message may use for a service: this incident's and other open ones'."""
        names = {record.incident.service, record.subject.service}
        if record.subject.name:
            names.add(record.subject.name)
        for other in await incidents.list_open(session):
            names.add(other.service)
        return {n.lower() for n in names if n and n != "unknown"}

    async def _which_incident(self) -> Reply:
        async with self.rt.sessions() as session:
            open_ones = await incidents.list_open(session, limit=10)
        lines = [
            f"• #{i.id} {escape(i.title[:80])} ({i.status})"
            + (f" in <#{i.channel_id}>" if i.channel_id else "")
            for i in open_ones
            if i.status in {s.value for s in OPEN_STATUSES}
        ]
        text = "Which incident? Name it like `#12` (or ask in its channel)."
        if lines:
            text += "\nOpen now:\n" + "\n".join(lines)
        else:
            text += "\nNo incident is open right now."
        return Reply("Which incident?", [views.section(text)])
