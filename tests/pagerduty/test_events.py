"""Trigger, acknowledge and resolve through the real client against the local Events API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.ports.adapters import AdapterError
from bot.ports.pager import Page
from integrations.pagerduty.emulator import PagerDutyServer
from integrations.pagerduty.pager import PagerDutyPager
from tests.pagerduty.conftest import ROUTING_KEY, MakePager

T0 = datetime(2026, 3, 1, 12, 30, 15, 250000, tzinfo=UTC)


def make_page(dedup_key: str = "smokejumper-inc-42", **changes: object) -> Page:
    fields: dict[str, object] = {
        "dedup_key": dedup_key,
        "summary": "checkout-api error rate above 5%",
        "severity": "critical",
        "source": "checkout-api.prod",
        "timestamp": T0,
        "links": (("https://slack.example.com/archives/C1", "Incident channel"),),
        "details": {"service": "checkout-api", "environment": "prod"},
    }
    fields.update(changes)
    return Page(**fields)  # type: ignore[arg-type]


async def test_trigger_sends_the_documented_event(
    pager: PagerDutyPager, pd_server: PagerDutyServer
) -> None:
    assert await pager.trigger(make_page()) == "smokejumper-inc-42"

    [request] = pd_server.requests
    assert (request.method, request.path) == ("POST", "/v2/enqueue")
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == {
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": "smokejumper-inc-42",
        "payload": {
            "summary": "checkout-api error rate above 5%",
            "source": "checkout-api.prod",
            "severity": "critical",
            "timestamp": "2026-03-01T12:30:15.250+00:00",
            "custom_details": {"service": "checkout-api", "environment": "prod"},
        },
        "links": [{"href": "https://slack.example.com/archives/C1", "text": "Incident channel"}],
    }
    [incident] = pd_server.incidents
    assert (incident.incident_key, incident.status) == ("smokejumper-inc-42", "triggered")


async def test_repeated_triggers_keep_one_incident(
    pager: PagerDutyPager, pd_server: PagerDutyServer
) -> None:
    keys = [await pager.trigger(make_page(summary=f"still failing ({n})")) for n in range(3)]

    assert keys == ["smokejumper-inc-42"] * 3
    assert {e["dedup_key"] for e in pd_server.events("trigger")} == {"smokejumper-inc-42"}
    [incident] = pd_server.incidents
    assert incident.triggers == 3


@pytest.mark.parametrize(
    ("moment", "sent"),
    [
        # A naive time is taken as UTC rather than the machine's local zone.
        (datetime(2026, 3, 1, 9, 0), "2026-03-01T09:00:00.000+00:00"),
        (
            datetime(2026, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=-5))),
            "2026-03-01T09:00:00.000-05:00",
        ),
    ],
)
async def test_trigger_always_carries_an_iso_timestamp(
    pager: PagerDutyPager, pd_server: PagerDutyServer, moment: datetime, sent: str
) -> None:
    await pager.trigger(make_page(timestamp=moment, details={}, links=()))

    [event] = pd_server.events("trigger")
    assert event["payload"]["timestamp"] == sent
    # Empty details and links are left out rather than sent empty.
    assert "custom_details" not in event["payload"]
    assert "links" not in event


async def test_acknowledge_then_resolve_follow_the_alert(
    pager: PagerDutyPager, pd_server: PagerDutyServer
) -> None:
    await pager.trigger(make_page())
    await pager.acknowledge("smokejumper-inc-42", T0 + timedelta(minutes=2))
    assert pd_server.incidents[0].status == "acknowledged"
    await pager.resolve("smokejumper-inc-42", T0 + timedelta(minutes=9))
    assert pd_server.incidents[0].status == "resolved"

    # Follow-up events carry only the documented fields.
    assert pd_server.events("acknowledge") == [
        {
            "event_action": "acknowledge",
            "dedup_key": "smokejumper-inc-42",
            "routing_key": ROUTING_KEY,
        }
    ]
    assert pd_server.events("resolve") == [
        {"event_action": "resolve", "dedup_key": "smokejumper-inc-42", "routing_key": ROUTING_KEY}
    ]
    assert pd_server.dropped == []


async def test_trigger_after_resolve_opens_a_new_incident(
    pager: PagerDutyPager, pd_server: PagerDutyServer
) -> None:
    await pager.trigger(make_page())
    await pager.resolve("smokejumper-inc-42", T0)
    await pager.trigger(make_page())

    statuses = [i.status for i in pd_server.incidents_for("smokejumper-inc-42")]
    assert statuses == ["resolved", "triggered"]


async def test_acknowledge_without_an_open_alert_is_accepted_and_dropped(
    pager: PagerDutyPager, pd_server: PagerDutyServer
) -> None:
    await pager.acknowledge("never-triggered", T0)

    assert pd_server.count("enqueue") == 1
    assert [e["dedup_key"] for e in pd_server.dropped] == ["never-triggered"]


async def test_long_summary_is_cut_to_the_events_api_limit(
    pager: PagerDutyPager, pd_server: PagerDutyServer
) -> None:
    await pager.trigger(make_page(summary="x" * 5000))

    [event] = pd_server.events("trigger")
    assert len(event["payload"]["summary"]) == 1024
    assert event["payload"]["summary"].endswith("…")


@pytest.mark.parametrize(
    "page",
    [
        make_page(severity="page-everyone"),
        make_page(dedup_key=""),
        make_page(dedup_key="k" * 256),
    ],
    ids=["bad-severity", "empty-dedup-key", "long-dedup-key"],
)
async def test_invalid_pages_are_refused_before_sending(
    pager: PagerDutyPager, pd_server: PagerDutyServer, page: Page
) -> None:
    with pytest.raises(AdapterError) as caught:
        await pager.trigger(page)

    assert (caught.value.code, caught.value.retryable) == ("invalid_page", False)
    assert pd_server.requests == []


async def test_unknown_routing_key_is_a_permanent_failure(
    make_pager: MakePager, pd_server: PagerDutyServer
) -> None:
    pager = await make_pager(routing_key="Z" * 32)

    with pytest.raises(AdapterError) as caught:
        await pager.trigger(make_page())

    assert caught.value.code == "bad_request"
    assert caught.value.retryable is False
    assert "Invalid routing key" in caught.value.message
    assert pd_server.count("enqueue") == 1
