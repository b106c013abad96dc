"""Notes through REST API v2, and the probe, against the local REST API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.ports.adapters import AdapterError, NotReady
from integrations.pagerduty.emulator import REST_ACCEPT, PagerDutyServer, RecordedRequest
from integrations.pagerduty.pager import PagerDutyPager
from tests.pagerduty.conftest import API_TOKEN, FROM_EMAIL, MakePager
from tests.pagerduty.test_events import T0, make_page


def only(server: PagerDutyServer, route: str) -> list[RecordedRequest]:
    return [r for r in server.requests if r.route == route]


async def test_note_lands_on_the_incident_of_the_dedup_key(
    pager: PagerDutyPager, pd_server: PagerDutyServer
) -> None:
    await pager.trigger(make_page())
    await pager.trigger(make_page(dedup_key="another-incident"))

    await pager.add_note("smokejumper-inc-42", "Rolled back checkout-api to v41.")

    ours, other = pd_server.incidents
    assert [n["content"] for n in ours.notes] == ["Rolled back checkout-api to v41."]
    assert other.notes == []
    [lookup] = only(pd_server, "incidents")
    assert lookup.query == {
        "incident_key": "smokejumper-inc-42",
        "date_range": "all",
        "sort_by": "created_at:desc",
        "limit": "1",
    }
    [post] = only(pd_server, "notes")
    assert post.path == f"/incidents/{ours.id}/notes"
    assert post.body == {"note": {"content": "Rolled back checkout-api to v41."}}
    for request in (lookup, post):
        assert request.headers["Authorization"] == f"Token token={API_TOKEN}"
        assert request.headers["Accept"] == REST_ACCEPT
        assert request.headers["From"] == FROM_EMAIL


async def test_note_goes_to_the_newest_incident_after_a_retrigger(
    pager: PagerDutyPager, pd_server: PagerDutyServer
) -> None:
    await pager.trigger(make_page())
    await pager.resolve("smokejumper-inc-42", T0)
    await pager.trigger(make_page())

    await pager.add_note("smokejumper-inc-42", "second wave")

    first, second = pd_server.incidents_for("smokejumper-inc-42")
    assert first.notes == []
    assert [n["content"] for n in second.notes] == ["second wave"]


async def test_note_finds_an_incident_older_than_the_default_window(
    pager: PagerDutyPager, pd_server: PagerDutyServer
) -> None:
    await pager.trigger(make_page())
    pd_server.incidents[0].created_at = datetime.now(UTC) - timedelta(days=45)

    await pager.add_note("smokejumper-inc-42", "still on it")

    assert [n["content"] for n in pd_server.incidents[0].notes] == ["still on it"]


async def test_note_before_pagerduty_opened_the_incident_is_retryable(
    pager: PagerDutyPager, pd_server: PagerDutyServer
) -> None:
    pd_server.create_incidents = False
    await pager.trigger(make_page())

    with pytest.raises(AdapterError) as caught:
        await pager.add_note("smokejumper-inc-42", "early note")
    assert (caught.value.code, caught.value.retryable) == ("incident_not_found", True)
    assert only(pd_server, "notes") == []

    pd_server.process_events()
    await pager.add_note("smokejumper-inc-42", "early note")
    assert [n["content"] for n in pd_server.incidents[0].notes] == ["early note"]


async def test_note_without_an_api_token_is_not_configured(
    make_pager: MakePager, pd_server: PagerDutyServer
) -> None:
    pager = await make_pager(api_token=None, from_email=None)
    await pager.trigger(make_page())

    with pytest.raises(AdapterError) as caught:
        await pager.add_note("smokejumper-inc-42", "note")

    assert (caught.value.code, caught.value.retryable) == ("not_configured", False)
    assert pd_server.count("enqueue") == 1
    assert pd_server.count("incidents") == pd_server.count("notes") == 0


async def test_empty_note_is_refused_before_sending(
    pager: PagerDutyPager, pd_server: PagerDutyServer
) -> None:
    with pytest.raises(AdapterError) as caught:
        await pager.add_note("smokejumper-inc-42", "   ")

    assert (caught.value.code, caught.value.retryable) == ("invalid_note", False)
    assert pd_server.requests == []


async def test_refused_token_fails_once_without_retry(
    make_pager: MakePager, pd_server: PagerDutyServer
) -> None:
    pager = await make_pager(api_token="u+not-the-token")

    with pytest.raises(AdapterError) as caught:
        await pager.add_note("smokejumper-inc-42", "note")

    assert (caught.value.code, caught.value.retryable) == ("unauthorized", False)
    assert pd_server.count("incidents") == 1


async def test_unknown_sender_is_a_permanent_failure(
    make_pager: MakePager, pd_server: PagerDutyServer
) -> None:
    pager = await make_pager(from_email="stranger@example.com")
    await pager.trigger(make_page())

    with pytest.raises(AdapterError) as caught:
        await pager.add_note("smokejumper-inc-42", "note")

    assert (caught.value.code, caught.value.retryable) == ("bad_request", False)
    assert "Requester User Not Found" in caught.value.message
    assert pd_server.count("notes") == 1


async def test_probe_asks_the_rest_api_for_abilities(
    pager: PagerDutyPager, pd_server: PagerDutyServer
) -> None:
    await pager.probe()

    [request] = pd_server.requests
    assert (request.method, request.path) == ("GET", "/abilities")
    assert request.headers["Authorization"] == f"Token token={API_TOKEN}"


async def test_probe_with_a_refused_token_is_not_ready(
    make_pager: MakePager, pd_server: PagerDutyServer
) -> None:
    pager = await make_pager(api_token="u+revoked")

    with pytest.raises(NotReady) as caught:
        await pager.probe()

    assert caught.value.adapter == "pagerduty"
    assert "HTTP 401" in caught.value.reason


async def test_probe_events_only_checks_config_without_calling_out(
    make_pager: MakePager, pd_server: PagerDutyServer
) -> None:
    good = await make_pager(api_token=None, from_email=None)
    await good.probe()
    short_key = await make_pager(api_token=None, from_email=None, routing_key="too-short")

    with pytest.raises(NotReady) as caught:
        await short_key.probe()

    assert "32 characters" in caught.value.reason
    assert pd_server.requests == []
