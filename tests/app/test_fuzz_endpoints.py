"""Property: no request to an intake or Slack endpoint gets a 5xx, and a refused one
(4xx) writes no row in any table. Bodies are mutated valid payloads or noise, sent
signed (so validation is reached) and unsigned (so authentication is)."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlmodel import SQLModel

from tests.conftest import fixture_json
from tests.intake.test_signed_sources import generic_alert, pagerduty_event
from tests.support.harness import GENERIC_SECRET, PAGERDUTY_SECRET, Harness

ENDPOINTS = ["/alerts/alertmanager", "/alerts/generic", "/alerts/pagerduty", "/changes"]
SLACK_KINDS = ["command", "click", "event", "raw"]

# Text as senders might write it: any code point, lone surrogates and NUL included.
text = st.text(st.characters(codec=None), max_size=40) | st.sampled_from(
    ["", "\x00", "\ud800", "x" * 300, "1" * 5000, "firing", "resolved", "4"]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | text
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)
noise = st.binary(max_size=200) | st.sampled_from(
    [b"[" * 2000, b"1" * 100_000, b'{"a":' * 500 + b"1" + b"}" * 500, b"\xff\xfe", b"{}"]
)


def template(path: str, now_iso: str) -> Any:
    if path == "/alerts/alertmanager":
        return fixture_json("alertmanager/alertmanager_0.25_firing.json")
    if path == "/alerts/generic":
        return generic_alert(timestamp=now_iso)
    if path == "/alerts/pagerduty":
        return pagerduty_event(occurred_at=now_iso)
    return {
        "timestamp": now_iso,
        "changes": [
            {
                "id": "rev-1",
                "source": "argocd",
                "service": "checkout",
                "kind": "deploy",
                "description": "checkout v2",
                "at": now_iso,
            }
        ],
    }


def mutate(data: st.DataObject, document: Any) -> Any:
    """`document` with up to three values somewhere in it replaced or removed."""
    document = copy.deepcopy(document)
    for _ in range(data.draw(st.integers(0, 3))):
        parent, key = document, None
        while isinstance(parent, dict | list) and parent:
            keys = list(parent) if isinstance(parent, dict) else list(range(len(parent)))
            key = data.draw(st.sampled_from(keys))
            if not isinstance(parent[key], dict | list) or not parent[key]:
                break
            if data.draw(st.booleans()):
                break
            parent, key = parent[key], None
        if key is None or not isinstance(parent, dict | list):
            continue
        if isinstance(parent, dict) and data.draw(st.booleans()):
            del parent[key]
        else:
            parent[key] = data.draw(json_values)
    return document


def sign(path: str, raw: bytes) -> dict[str, str]:
    if path == "/alerts/pagerduty":
        digest = hmac.new(PAGERDUTY_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        return {"X-PagerDuty-Signature": f"v1={digest}"}
    if path in ("/alerts/generic", "/changes"):
        digest = hmac.new(GENERIC_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        return {"X-Smokejumper-Signature": f"sha256={digest}"}
    return {}


garbage_headers = st.dictionaries(
    st.sampled_from(
        [
            "Authorization",
            "X-Smokejumper-Signature",
            "X-PagerDuty-Signature",
            "X-Slack-Signature",
            "X-Slack-Request-Timestamp",
        ]
    ),
    st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_characters="\x7f"))
    | st.sampled_from(["v0=zz", "sha256=é", "v1=", "Bearer \u00ff", "12ab", "-1", "9" * 30]),
    max_size=3,
)


async def rows(harness: Harness) -> dict[str, int]:
    async with harness.sessions() as session:
        counts = {}
        for table in SQLModel.metadata.sorted_tables:
            result = await session.exec(select(func.count()).select_from(table))  # type: ignore[call-overload]
            counts[table.name] = int(result.one()[0])
        return counts


async def settled_rows(harness: Harness) -> dict[str, int]:
    """Row counts once the work of earlier accepted requests (Bolt runs it after the
    ack) has finished: two readings in a row agree."""
    previous = await rows(harness)
    for _ in range(50):
        await asyncio.sleep(0.01)
        current = await rows(harness)
        if current == previous:
            return current
        previous = current
    return previous


async def check(
    harness: Harness, path: str, raw: bytes, headers: dict[str, str], content_type: str
) -> None:
    # Only Slack work goes on after the answer (the outbox does not run here).
    before = await (settled_rows(harness) if path == "/slack/events" else rows(harness))
    reply = await harness.post(path, raw, headers=headers, content_type=content_type)
    assert reply.status < 500, (path, reply.status, reply.body, raw[:300])
    if reply.status >= 400:
        assert set(reply.body) >= {"error", "message"}, reply.body
        assert await rows(harness) == before, (path, reply.status, reply.body, raw[:300])


FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.both_databases
@FUZZ
@given(data=st.data())
async def test_alert_intake_never_fails_and_refusals_write_nothing(
    harness: Harness, data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from(ENDPOINTS))
    now = harness.time.now() + timedelta(seconds=data.draw(st.integers(-10, 10)))
    if data.draw(st.booleans()):
        raw = json.dumps(mutate(data, template(path, now.isoformat()))).encode()
    else:
        raw = data.draw(noise)
    headers = sign(path, raw) if data.draw(st.booleans()) else data.draw(garbage_headers)
    content_type = data.draw(st.sampled_from(["application/json", "text/plain", ""]))
    await check(harness, path, raw, headers, content_type)


def slack_body(harness: Harness, data: st.DataObject, kind: str) -> tuple[str, str]:
    team = harness.emulator.state.team_id
    if kind == "command":
        fields = {
            "team_id": team,
            "channel_id": "C0GENERAL",
            "user_id": "U0ALICE",
            "command": data.draw(st.sampled_from(["/incident", "/other"])),
            "text": data.draw(text),
            "response_url": harness.emulator.response_url(
                "commands", channel_id="C0GENERAL", user_id="U0ALICE"
            ),
            "trigger_id": data.draw(text),
        }
        mutated = mutate(data, fields)
        # surrogatepass: a lone surrogate goes out as the bytes a careless encoder writes.
        form = urlencode({k: str(v) for k, v in mutated.items()}, errors="surrogatepass")
        return form, "application/x-www-form-urlencoded"
    if kind == "click":
        payload = {
            "type": "block_actions",
            "team": {"id": team},
            "user": {"id": "U0ALICE"},
            "channel": {"id": "C0GENERAL"},
            "container": {"type": "message", "message_ts": "1.2", "channel_id": "C0GENERAL"},
            "actions": [{"action_id": "approve", "value": "1", "type": "button"}],
            "trigger_id": "t",
        }
        return urlencode({"payload": json.dumps(mutate(data, payload))}), (
            "application/x-www-form-urlencoded"
        )
    if kind == "event":
        envelope = {
            "type": "event_callback",
            "team_id": team,
            "event_id": "Ev" + data.draw(st.text("ABC123", min_size=1, max_size=8)),
            "event": {"type": "app_mention", "user": "U0ALICE", "text": "hi", "channel": "C1"},
        }
        return json.dumps(mutate(data, envelope)), "application/json"
    raw = data.draw(noise)
    return raw.decode("utf-8", "replace"), data.draw(
        st.sampled_from(["application/json", "application/x-www-form-urlencoded", ""])
    )


@pytest.mark.both_databases
@FUZZ
@given(data=st.data())
async def test_slack_endpoint_never_fails_and_refusals_write_nothing(
    harness: Harness, data: st.DataObject
) -> None:
    body, content_type = slack_body(harness, data, data.draw(st.sampled_from(SLACK_KINDS)))
    if data.draw(st.booleans()):
        timestamp = int(harness.time.now().timestamp())
        headers = {
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": harness.driver.sign(body, timestamp),
        }
    else:
        headers = data.draw(garbage_headers)
    await check(harness, "/slack/events", body.encode(), headers, content_type)
