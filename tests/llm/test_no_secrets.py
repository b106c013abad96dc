"""The API key never reaches an outcome, a log line or a probe error."""

from __future__ import annotations

import logging

import pytest

from bot.ports.adapters import NotReady
from integrations.llm.adapter import OpenAITriager
from integrations.llm.client import build_client
from integrations.llm.summary import OpenAISummaryWriter
from tests.llm.conftest import API_KEY, config_for
from tests.support.openai_server import OpenAIServer, Scenario
from tests.triage.factories import context_for, crash_signal, shipped_runbooks

WRONG_KEY = "sk-wrong-7c3e1b2a9d8f4e6a-KvTy"


def _leaks(text: str, key: str) -> bool:
    # A masked echo keeps the ends of a key, so its last four characters count as a leak.
    return key in text or key[-4:] in text


@pytest.mark.parametrize("key", [API_KEY, WRONG_KEY])
async def test_no_outcome_or_log_line_carries_the_key(
    openai_server: OpenAIServer, caplog: pytest.LogCaptureFixture, key: str
) -> None:
    caplog.set_level(logging.DEBUG)
    config = config_for(openai_server, api_key=key)
    triager = OpenAITriager(build_client(config), config)
    writer = OpenAISummaryWriter(build_client(config), config)
    context = context_for([crash_signal()])
    details = []
    for scenario in Scenario:
        if scenario in (Scenario.SLOW, Scenario.RATE_LIMITED_LONG_WAIT):
            continue
        openai_server.scenario = scenario
        outcome = await triager.triage(context, shipped_runbooks())
        details.append(outcome.detail)
        details.append(repr(outcome))
        details.append(str(await writer.write("Checkout is down since 07:43.")))
    try:
        await triager.probe()
    except NotReady as exc:
        details.append(str(exc))
    await triager.aclose()
    await writer.aclose()

    assert caplog.records, "the adapter should have logged its outcomes"
    everything = "\n".join([*details, caplog.text, *(r.getMessage() for r in caplog.records)])
    assert not _leaks(everything, key)
    # The requests did carry the key, so its absence above is not for lack of use.
    assert all(r.headers["Authorization"] == f"Bearer {key}" for r in openai_server.requests)
