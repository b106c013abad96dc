"""A mention answered through the model in the live Slack flow, and every way it falls back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlmodel import select

from bot.chat.conversation import TOKENS_PER_INCIDENT
from bot.chat.views import LOOKING
from bot.domain.clock import VirtualTime
from bot.domain.events import EventKind
from bot.eventlog import service as eventlog
from bot.ports.remediation import ActionPlan, ActionRequest
from bot.store.models import ActionRow
from integrations.slack.emulator import SlackEmulator
from tests.actions.support import CountingRemediator, fake_adapters
from tests.chat.support import ALICE, chat_events, deploy, message_text, open_incident
from tests.chat.support import thread_replies as replies_in
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, start_harness, stop_harness, wait_until
from tests.support.openai_server import OpenAIServer, Scenario

KEY = "sk-chat-flow-0123456789"
MODEL = "gpt-tools"


class SlowDryRun(CountingRemediator):
    """A remediator whose dry run takes `seconds` on the app's (virtual) clock."""

    def __init__(self, time: VirtualTime) -> None:
        super().__init__()
        self.time = time
        self.seconds = 0.0

    async def describe(self, request: ActionRequest) -> ActionPlan:
        await self.time.sleep(self.seconds)
        return await super().describe(request)


@dataclass
class Rig:
    harness: Harness
    server: OpenAIServer
    remediator: SlowDryRun


@pytest.fixture
async def rig(
    database: DatabaseTarget, emulator: SlackEmulator, virtual_time: VirtualTime
) -> AsyncIterator[Rig]:
    server = OpenAIServer(api_key=KEY, models=(MODEL,))
    await server.start()
    adapters, _, _ = fake_adapters()
    remediator = SlowDryRun(virtual_time)
    adapters.remediators = [remediator]
    h = await start_harness(
        database,
        emulator,
        time=virtual_time,
        adapters=adapters,
        openai_api_key=KEY,
        openai_base_url=server.base_url,
        llm_model=MODEL,
        llm_max_retries=0,
        llm_timeout_seconds=5,
    )
    yield Rig(h, server, remediator)
    await stop_harness(h)
    await server.stop()


def tool_requests(server: OpenAIServer) -> list[dict[str, object]]:
    return [r.body for r in server.chat_requests() if r.body.get("tools")]


async def ask_model(harness: Harness, channel: str, text: str) -> object:
    """Mention the bot; the reply is the "looking…" message once it has been edited."""
    await harness.driver.app_mention(ALICE, channel, text)
    asked = harness.emulator.state.messages_in(channel)[-1]
    await wait_until(
        lambda: any(m.edits for m in replies_in(harness, channel, asked.ts)), timeout=10
    )
    [reply] = replies_in(harness, channel, asked.ts)
    return reply


async def test_looking_is_posted_first_then_edited_with_the_models_answer(rig: Rig) -> None:
    harness, server = rig.harness, rig.server
    incident, channel = await open_incident(harness, deploy(9))
    # Hold the model's first turn: the thread must already show "looking…".
    server.slow_seconds = 30
    server.queue.append(Scenario.SLOW)
    await harness.driver.app_mention(ALICE, channel, "what changed?")
    asked = harness.emulator.state.messages_in(channel)[-1]
    await wait_until(lambda: bool(replies_in(harness, channel, asked.ts)))
    [looking] = replies_in(harness, channel, asked.ts)
    assert looking.text == LOOKING and looking.edits == 0
    server.release()
    await wait_until(lambda: looking.edits == 1, timeout=10)

    text = message_text(looking)
    assert "From the record" in text and "v2.14.0" in text
    assert "change:" in text or "argocd.example.com" in text  # its sources
    assert len(replies_in(harness, channel, asked.ts)) == 1  # edited, not a second post
    _first, second = tool_requests(server)
    assert second["messages"][-1]["role"] == "tool"  # type: ignore[index]
    [parsed] = await chat_events(harness, incident.id, EventKind.CHAT_PARSED)
    assert parsed.data["parsed"]["source"] == "model"
    assert parsed.data["model"]["tokens"] > 0 and parsed.data["model"]["tools"] == ["get_changes"]
    [answered] = await chat_events(harness, incident.id, EventKind.CHAT_ANSWERED)
    assert answered.data["source"] == "model" and not answered.data["refused"]


async def test_an_answer_that_breaks_the_rules_is_replaced_and_the_log_says_why(
    rig: Rig,
) -> None:
    harness, server = rig.harness, rig.server
    incident, channel = await open_incident(harness, deploy(9))
    # The tool call is fine; the answer broadcasts and carries a link from nowhere.
    server.queue.extend([Scenario.VALID, Scenario.OBEDIENT])
    reply = await ask_model(harness, channel, "what changed?")
    text = message_text(reply)
    assert "<!channel>" not in text and "attacker.example" not in text
    assert "v2.14.0" in text and "From the record" not in text  # the parser's answer
    [rejected] = await chat_events(harness, incident.id, EventKind.CHAT_MODEL_REJECTED)
    reasons = " ".join(rejected.data["reasons"])
    assert "broadcast" in reasons and "link" in reasons
    assert len(rejected.data["output_sha256"]) == 64
    [answered] = await chat_events(harness, incident.id, EventKind.CHAT_ANSWERED)
    assert answered.data["source"] == "parser"


async def test_a_failing_model_leaves_the_answer_to_the_parser(rig: Rig) -> None:
    harness, server = rig.harness, rig.server
    incident, channel = await open_incident(harness, deploy(9))
    server.queue.append(Scenario.SERVER_ERROR)
    reply = await ask_model(harness, channel, "what changed?")
    assert "v2.14.0" in message_text(reply)
    [parsed] = await chat_events(harness, incident.id, EventKind.CHAT_PARSED)
    assert parsed.data["parsed"]["source"] == "parser"
    assert parsed.data["model"]["failure"].startswith("model_error")


async def test_a_request_read_by_the_model_gets_a_dry_run_and_becomes_a_proposal(
    rig: Rig,
) -> None:
    harness, server, remediator = rig.harness, rig.server, rig.remediator
    incident, channel = await open_incident(harness)
    reply = await ask_model(harness, channel, "restart checkout")
    assert "Proposed for <@U0ALICE>" in message_text(reply)
    # The model saw the adapter's dry run as the tool's result, delimited as data.
    tool_turn = tool_requests(server)[-1]["messages"][-1]  # type: ignore[index]
    assert tool_turn["role"] == "tool" and "Dry run (kubernetes)" in tool_turn["content"]
    assert any(
        r.idempotency_key.endswith(":chat-preview:restart_deployment") for r in remediator.described
    )
    async with harness.sessions() as session:
        rows = list((await session.exec(select(ActionRow))).all())
    [row] = [r for r in rows if r.proposed_by == ALICE]
    assert row.state == "awaiting_approval" and remediator.execute_calls == 0
    [parsed] = await chat_events(harness, incident.id, EventKind.CHAT_PARSED)
    assert parsed.data["parsed"] == {"intent": "restart", "entities": {}, "source": "model"}


async def test_a_slow_dry_run_spends_the_time_budget_and_the_parser_answers(rig: Rig) -> None:
    harness, remediator = rig.harness, rig.remediator
    incident, channel = await open_incident(harness)
    remediator.seconds = 60  # on the virtual clock: nothing waits
    reply = await ask_model(harness, channel, "restart checkout")
    assert "Proposed for <@U0ALICE>" in message_text(reply)
    [parsed] = await chat_events(harness, incident.id, EventKind.CHAT_PARSED)
    assert parsed.data["model"]["failure"] == "time_budget"
    assert parsed.data["parsed"]["source"] == "parser"


async def test_an_incident_that_spent_its_tokens_is_answered_without_the_model(
    rig: Rig,
) -> None:
    harness, server = rig.harness, rig.server
    incident, channel = await open_incident(harness, deploy(9))
    assert incident.id is not None
    async with harness.sessions() as session, session.begin():
        eventlog.record(
            session,
            kind=EventKind.CHAT_PARSED,
            summary="an earlier conversation",
            actor="smokejumper",
            correlation_id=incident.correlation_id,
            at=harness.app.runtime.clock(),
            incident_id=incident.id,
            data={"model": {"used": True, "tokens": TOKENS_PER_INCIDENT}},
        )
    before = len(tool_requests(server))
    reply = await ask_model(harness, channel, "what changed?")
    assert "v2.14.0" in message_text(reply)
    assert len(tool_requests(server)) == before
    parsed = (await chat_events(harness, incident.id, EventKind.CHAT_PARSED))[-1]
    assert parsed.data["model"]["failure"] == "incident_token_budget"
