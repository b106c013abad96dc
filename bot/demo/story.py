"""The scripted story `smokejumper sandbox` prints: one alert through the whole loop, twice.

Every step goes through the bot's real entry points (webhooks, signed slash commands and
button clicks) and every side effect lands in a local peer speaking the vendor's protocol;
the story only reads the store to know which button belongs to which action, as a
responder reads the card.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NoReturn

import aiohttp
from sqlmodel import col, select

from bot.app import Smokejumper
from bot.demo.alerts import checkout_crash, webhook_body
from bot.demo.peers import SandboxPeers
from bot.demo.rig import checkout_deploy, post_alert, post_changes
from bot.domain.clock import VirtualTime
from bot.store.models import ActionRow, IncidentRow
from bot.triage.card import APPROVE_ACTION_ID
from integrations.slack.emulator import SlackDriver

ALICE, BOB = "U0ALICE", "U0BOB"
NOTE_LINES_SHOWN = 4


@dataclass
class Story:
    """Runs the steps and keeps the log of what was sent and what the peers received."""

    bot: Smokejumper
    peers: SandboxPeers
    driver: SlackDriver
    time: VirtualTime
    http: aiohttp.ClientSession
    log: list[str] = field(default_factory=list)

    async def run(self) -> None:
        await self.first_incident()
        # A day later the same alert fires again: outcome memory and the past incident.
        self.time.advance(days=1)
        await self.second_incident()

    async def first_incident(self) -> None:
        now = self.time.now()
        result = await post_changes(self.http, self.bot, [checkout_deploy(now)], now)
        self.log.append(f"POST /changes (checkout v2.14.0 deployed) → {result['http_status']}")
        starts_at = now - timedelta(minutes=3)
        firing = webhook_body([checkout_crash()], status="firing", starts_at=starts_at)
        for label in ("KubePodCrashLooping shop/checkout", "the same, Alertmanager HA peer"):
            result = await post_alert(self.http, self.bot, firing)
            self.log.append(
                f"POST /alerts/alertmanager ({label}) → {result['http_status']} "
                f"{json.dumps(result.get('outcomes', result))}"
            )
        await self.bot.worker.drain(due_only=True)
        incident = await self._latest_incident()
        restart = await self._action(incident, "restart_deployment")
        self.log.append(
            f"triage proposed restart_deployment → {restart.target} ({restart.decision})"
        )
        # Assist mode leaves the ticket to a human: the triage card says it needs one.
        await self._command(incident, BOB, "ticket")
        await self._click_approve(incident, restart, ALICE)
        await self.bot.worker.drain(due_only=True)
        for write in self.peers.cluster.writes():
            body = write["body"] if isinstance(write["body"], dict) else {}
            noted = sorted((body.get("metadata") or {}).get("annotations") or {})
            self.log.append(
                f"Kubernetes API received {write['method']} {write['path']} "
                f"({write['content_type']}): spec {json.dumps(body.get('spec'))}, "
                f"annotations {', '.join(noted) or 'none'}"
            )
        # The restart worked: the pods stop crashing and Alertmanager sends the resolution.
        self.time.advance(minutes=2)
        resolved = webhook_body(
            [checkout_crash()], status="resolved", starts_at=starts_at, ends_at=self.time.now()
        )
        result = await post_alert(self.http, self.bot, resolved)
        self.log.append(
            f"POST /alerts/alertmanager (resolved) → {result['http_status']} "
            f"{json.dumps(result.get('outcomes', result))}"
        )
        await self.bot.worker.drain()
        restart = await self._action(incident, "restart_deployment")
        self.log.append(f"restart_deployment #{restart.id} is {restart.state}")
        await self._command(incident, BOB, "handoff <@U0ALICE>")
        await self._command(incident, ALICE, "resolve")
        await self.bot.worker.drain()
        self._log_tickets()

    async def second_incident(self) -> None:
        starts_at = self.time.now()
        firing = webhook_body([checkout_crash()], status="firing", starts_at=starts_at)
        result = await post_alert(self.http, self.bot, firing)
        self.log.append(
            f"POST /alerts/alertmanager (KubePodCrashLooping shop/checkout, a day later) → "
            f"{result['http_status']} {json.dumps(result['outcomes'])}"
        )
        await self.bot.worker.drain(due_only=True)

    async def _latest_incident(self) -> IncidentRow:
        async with self.bot.runtime.sessions() as session:
            query = select(IncidentRow).order_by(col(IncidentRow.id).desc())
            return (await session.exec(query)).first() or _missing("an incident")

    async def _action(self, incident: IncidentRow, action: str) -> ActionRow:
        async with self.bot.runtime.sessions() as session:
            query = select(ActionRow).where(
                ActionRow.incident_id == incident.id, ActionRow.action == action
            )
            return (await session.exec(query)).first() or _missing(f"a {action} proposal")

    async def _click_approve(self, incident: IncidentRow, action: ActionRow, user: str) -> None:
        assert incident.channel_id and incident.triage_card_ts
        answered = len(self.peers.slack.state.response_posts)
        reply = await self.driver.click_button(
            user_id=user,
            channel_id=incident.channel_id,
            message_ts=incident.triage_card_ts,
            action_id=APPROVE_ACTION_ID,
            value=f"{action.id}:{action.params_hash}",
        )
        name = self.peers.slack.state.user_name(user)
        self.log.append(f"@{name} clicked Approve on restart_deployment → {reply.status}")
        await self._settle(answered)

    async def _command(self, incident: IncidentRow, user: str, text: str) -> None:
        assert incident.channel_id
        answered = len(self.peers.slack.state.response_posts)
        reply = await self.driver.slash_command(
            user_id=user, channel_id=incident.channel_id, text=text
        )
        name = self.peers.slack.state.user_name(user)
        self.log.append(f"@{name} ran /incident {text} → {reply.status}")
        await self._settle(answered)

    async def _settle(self, answered: int) -> None:
        # Bolt acks first and answers on the response_url a moment later.
        posts = self.peers.slack.state.response_posts
        await wait_for(lambda: len(posts) > answered)
        await self.bot.worker.drain(due_only=True)

    def _log_tickets(self) -> None:
        for ticket in self.peers.servicenow.incidents():
            self.log.append(
                f"ServiceNow {ticket.get('number')}: {ticket.get('short_description')} "
                f"(state {ticket.get('state')}, close code {ticket.get('close_code') or '-'})"
            )
            for note in self.peers.servicenow.journal(ticket["sys_id"]):
                header, *entries = note.splitlines()
                self.log.append(f"    work note {header}")
                for entry in entries[:NOTE_LINES_SHOWN]:
                    self.log.append(f"        {entry[:140]}")
                if len(entries) > NOTE_LINES_SHOWN:
                    self.log.append(f"        … {len(entries) - NOTE_LINES_SHOWN} more lines")
            close_notes = ticket.get("close_notes") or ""
            if close_notes:
                self.log.append(f"    close notes: {close_notes.splitlines()[0][:140]} …")
        pages = self.peers.pagerduty.events()
        self.log.append(f"PagerDuty Events API: {len(pages)} event(s) (the paging gate held)")


def _missing(what: str) -> NoReturn:
    raise LookupError(f"the sandbox expected {what} and found none")


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait (real time: the bot answers on its own task) until `predicate` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("the sandbox conversation did not finish in time")
        await asyncio.sleep(0.02)
