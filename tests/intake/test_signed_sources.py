"""Generic and PagerDuty v3 intake: signatures, replay windows, malformed bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.harness import GENERIC_SECRET, PAGERDUTY_SECRET, Harness, sign_body


def generic_alert(**overrides: Any) -> dict[str, Any]:
    body = {
        "timestamp": datetime.now(UTC).isoformat(),
        "dedup_key": "checkout-5xx",
        "status": "firing",
        "service": "checkout",
        "summary": "Checkout 5xx rate above 5%",
        "severity": "critical",
        "labels": {"alertname": "Checkout5xx", "region": "eu-west-1"},
        "annotations": {"description": "error ratio 7.3% over 5m"},
        "links": [{"title": "Dashboard", "url": "https://grafana.example.com/d/checkout"}],
    }
    body.update(overrides)
    return body


async def post_generic(harness: Harness, body: dict[str, Any], signature: str | None = None):  # type: ignore[no-untyped-def]
    raw = json.dumps(body).encode()
    headers = {}
    if signature != "":
        headers["X-Smokejumper-Signature"] = signature or f"sha256={sign_body(GENERIC_SECRET, raw)}"
    return await harness.post("/alerts/generic", raw, headers=headers)


async def test_generic_signed_alert_opens_an_incident(harness: Harness) -> None:
    reply = await post_generic(harness, generic_alert())
    assert reply.status == 202 and reply.body["outcomes"] == {"opened": 1}
    await harness.drain()
    [incident] = await harness.incidents()
    assert incident.service == "checkout" and incident.severity == "critical"
    resolved = await post_generic(harness, generic_alert(status="resolved"))
    assert resolved.body["outcomes"] == {"resolved": 1}


async def test_generic_wrong_or_missing_signature_is_401(harness: Harness) -> None:
    wrong = await post_generic(harness, generic_alert(), signature="sha256=" + "0" * 64)
    assert wrong.status == 401 and wrong.body["error"] == "invalid_signature"
    missing = await post_generic(harness, generic_alert(), signature="")
    assert missing.status == 401 and missing.body["error"] == "missing_signature"
    malformed = await post_generic(harness, generic_alert(), signature="md5=abc")
    assert malformed.status == 401 and "sha256=<hex>" in malformed.body["message"]
    # Signed with the right key but the body changed in transit.
    body = generic_alert()
    good = sign_body(GENERIC_SECRET, json.dumps(body).encode())
    tampered = await post_generic(harness, {**body, "severity": "info"}, f"sha256={good}")
    assert tampered.status == 401
    assert await harness.counts() == {"signals": 0, "incidents": 0, "events": 0, "outbox": 0}


async def test_generic_stale_or_future_timestamp_is_refused(harness: Harness) -> None:
    old = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    stale = await post_generic(harness, generic_alert(timestamp=old))
    assert stale.status == 401 and stale.body["error"] == "stale_timestamp"
    ahead = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    future = await post_generic(harness, generic_alert(timestamp=ahead))
    assert future.status == 401
    assert (await harness.counts())["signals"] == 0


async def test_generic_missing_fields_are_named(harness: Harness) -> None:
    body = generic_alert()
    del body["dedup_key"]
    reply = await post_generic(harness, body)
    assert reply.status == 422 and "dedup_key" in reply.body["message"]
    unknown = await post_generic(harness, generic_alert(colour="red"))
    assert unknown.status == 422 and "colour" in unknown.body["message"]
    bad_status = await post_generic(harness, generic_alert(status="exploded"))
    assert bad_status.status == 422 and "status" in bad_status.body["message"]


def pagerduty_event(event_type: str = "incident.triggered", **overrides: Any) -> dict[str, Any]:
    event = {
        "id": "01DEN4HPBQAAAG05V5QQSWI4RE",
        "event_type": event_type,
        "resource_type": "incident",
        "occurred_at": datetime.now(UTC).isoformat(),
        "agent": {"id": "PLH1HKV", "type": "user_reference", "summary": "Tenex Engineer"},
        "client": None,
        "data": {
            "id": "PGR0VU2",
            "type": "incident",
            "number": 2,
            "status": "triggered",
            "incident_key": "d3640fbd41094207a1c11e58e46b1662",
            "title": "A little bump in the road",
            "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2",
            "urgency": "high",
            "service": {"id": "PF9KMXH", "summary": "API Service", "type": "service_reference"},
            "priority": {"id": "PSO75BM", "summary": "P1", "type": "priority_reference"},
        },
    }
    event.update(overrides)
    return {"event": event}


async def post_pagerduty(harness: Harness, body: dict[str, Any], header: str | None = None):  # type: ignore[no-untyped-def]
    raw = json.dumps(body).encode()
    headers = {"X-Webhook-Id": "a-webhook-id"}
    if header != "":
        headers["X-PagerDuty-Signature"] = header or f"v1={sign_body(PAGERDUTY_SECRET, raw)}"
    return await harness.post("/alerts/pagerduty", raw, headers=headers)


async def test_pagerduty_signed_event_opens_an_incident(harness: Harness) -> None:
    triggered = pagerduty_event()
    reply = await post_pagerduty(harness, triggered)
    assert reply.status == 202 and reply.body["outcomes"] == {"opened": 1}
    [incident] = await harness.incidents()
    assert incident.service == "API Service" and incident.severity == "critical"
    # Redelivery of the same event is a duplicate; the resolve event resolves the signal.
    again = await post_pagerduty(harness, triggered)
    assert again.body["outcomes"] == {"duplicate": 1}
    resolved = pagerduty_event("incident.resolved", id="01DEN4HPBQAAAG05V5QQSWI4RF")
    assert (await post_pagerduty(harness, resolved)).body["outcomes"] == {"resolved": 1}


async def test_pagerduty_accepts_any_signature_during_secret_rotation(harness: Harness) -> None:
    body = pagerduty_event()
    raw = json.dumps(body).encode()
    header = f"v1={'ab' * 32},v1={sign_body(PAGERDUTY_SECRET, raw)}"
    reply = await post_pagerduty(harness, body, header)
    assert reply.status == 202


async def test_pagerduty_wrong_missing_or_stale_is_refused(harness: Harness) -> None:
    wrong = await post_pagerduty(harness, pagerduty_event(), f"v1={'0' * 64}")
    assert wrong.status == 401 and wrong.body["error"] == "invalid_signature"
    missing = await post_pagerduty(harness, pagerduty_event(), "")
    assert missing.status == 401 and missing.body["error"] == "missing_signature"
    old = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    stale = await post_pagerduty(harness, pagerduty_event(occurred_at=old))
    assert stale.status == 401 and stale.body["error"] == "stale_event"
    assert await harness.counts() == {"signals": 0, "incidents": 0, "events": 0, "outbox": 0}


async def test_pagerduty_events_dated_in_the_future_are_refused_past_a_small_skew(
    harness: Harness,
) -> None:
    now = harness.time.now()
    next_year = await post_pagerduty(
        harness, pagerduty_event(occurred_at=(now + timedelta(days=365)).isoformat())
    )
    assert next_year.status == 401 and next_year.body["error"] == "future_event"
    assert await harness.counts() == {"signals": 0, "incidents": 0, "events": 0, "outbox": 0}
    # A clock a minute fast is skew, not forgery.
    skewed = await post_pagerduty(
        harness, pagerduty_event(occurred_at=(now + timedelta(minutes=1)).isoformat())
    )
    assert skewed.status == 202


async def test_pagerduty_ids_longer_than_their_columns_are_refused(harness: Harness) -> None:
    reply = await post_pagerduty(harness, pagerduty_event(id="E" * 256))

    assert reply.status == 422 and "event.id" in reply.body["message"]
    assert await harness.counts() == {"signals": 0, "incidents": 0, "events": 0, "outbox": 0}


async def test_pagerduty_non_alert_events_are_accepted_and_ignored(harness: Harness) -> None:
    reply = await post_pagerduty(harness, pagerduty_event("incident.annotated"))
    assert reply.status == 202 and reply.body["signals"] == 0
    assert (await harness.counts())["signals"] == 0


async def test_pagerduty_malformed_event_is_422_and_names_the_field(harness: Harness) -> None:
    body = pagerduty_event()
    del body["event"]["occurred_at"]
    reply = await post_pagerduty(harness, body)
    assert reply.status == 422 and "occurred_at" in reply.body["message"]
