"""find_or_create: one ticket per correlation id, with our fields mapped onto the incident."""

from __future__ import annotations

import pytest

from bot.ports.adapters import AdapterError
from integrations.servicenow import ServiceNowTicketing
from integrations.servicenow.emulator import ServiceNowServer
from tests.servicenow.conftest import draft, make_config


async def test_creates_the_incident_with_mapped_fields(server: ServiceNowServer) -> None:
    payments = server.add_record("sys_user_group", name="Payments On-Call")
    caller = server.add_record("sys_user", user_name="smokejumper.bot", name="Smokejumper")
    config = make_config(
        server,
        assignment_groups={"payments": "Payments On-Call"},
        caller_id="smokejumper.bot",
        category="network",
    )
    adapter = ServiceNowTicketing(config)
    ref = await adapter.find_or_create(draft(classification="sev1"))
    await adapter.close()

    (incident,) = server.incidents()
    assert ref.number == incident["number"] == "INC0010001"
    assert ref.sys_id == incident["sys_id"]
    assert ref.url == f"{server.url}/nav_to.do?uri=incident.do?sys_id={incident['sys_id']}"
    assert incident["correlation_id"] == "inc-20260101-0001"
    assert incident["correlation_display"] == "smokejumper"
    assert incident["short_description"] == "checkout-api: error rate above 5%"
    assert incident["description"].startswith("Alertmanager HighErrorRate fired")
    assert "https://example.slack.com/archives/C0INC0001" in incident["description"]
    assert (incident["urgency"], incident["impact"], incident["priority"]) == ("1", "1", "1")
    assert incident["assignment_group"] == payments["sys_id"]
    assert incident["caller_id"] == caller["sys_id"]
    assert incident["category"] == "network"
    (post,) = server.calls("POST", "incident")
    assert post.ignored_fields == []  # every field we send exists on the incident table
    assert "application/json" in post.content_type


@pytest.mark.parametrize(
    ("classification", "urgency", "impact"),
    [("sev1", "1", "1"), ("high", "1", "2"), ("medium", "2", "2"), ("low", "3", "3")],
)
async def test_classification_sets_urgency_and_impact(
    ticketing: ServiceNowTicketing,
    server: ServiceNowServer,
    classification: str,
    urgency: str,
    impact: str,
) -> None:
    await ticketing.find_or_create(draft(classification=classification))
    (incident,) = server.incidents()
    assert (incident["urgency"], incident["impact"]) == (urgency, impact)


async def test_group_given_as_sys_id_is_sent_without_a_lookup(server: ServiceNowServer) -> None:
    group_id = "a" * 32
    adapter = ServiceNowTicketing(make_config(server, default_assignment_group=group_id))
    await adapter.find_or_create(draft(team="unmapped-team"))
    await adapter.close()
    assert server.incidents()[0]["assignment_group"] == group_id
    assert server.calls(table="sys_user_group") == []
    assert "caller_id" not in server.calls("POST")[0].body  # no caller configured


async def test_unknown_group_name_leaves_the_group_unset(server: ServiceNowServer) -> None:
    adapter = ServiceNowTicketing(make_config(server, default_assignment_group="Nobody"))
    await adapter.find_or_create(draft())
    await adapter.close()
    assert "assignment_group" not in server.calls("POST")[0].body
    (lookup,) = server.calls("GET", "sys_user_group")
    assert lookup.query["sysparm_query"] == "name=Nobody"


async def test_group_lookup_is_cached(server: ServiceNowServer) -> None:
    server.add_record("sys_user_group", name="Payments On-Call")
    config = make_config(server, assignment_groups={"payments": "Payments On-Call"})
    adapter = ServiceNowTicketing(config)
    await adapter.find_or_create(draft("inc-1"))
    await adapter.find_or_create(draft("inc-2"))
    await adapter.close()
    assert len(server.calls("GET", "sys_user_group")) == 1
    assert len(server.incidents()) == 2


async def test_an_existing_ticket_is_returned_instead_of_a_new_one(
    ticketing: ServiceNowTicketing, server: ServiceNowServer
) -> None:
    first = await ticketing.find_or_create(draft())
    again = await ticketing.find_or_create(draft(short_description="changed title"))
    assert again == first
    assert len(server.incidents()) == 1
    assert len(server.calls("POST")) == 1
    lookup = server.calls("GET", "incident")[-1]
    assert lookup.query["sysparm_query"].startswith("correlation_id=inc-20260101-0001")


async def test_a_ticket_made_elsewhere_for_our_id_is_found(
    ticketing: ServiceNowTicketing, server: ServiceNowServer
) -> None:
    seeded = server.add_record("incident", number="INC0099999", correlation_id="inc-x")
    ref = await ticketing.find_or_create(draft("inc-x"))
    assert (ref.number, ref.sys_id) == ("INC0099999", seeded["sys_id"])
    assert server.calls("POST") == []


async def test_ids_differing_only_in_case_get_their_own_tickets(
    ticketing: ServiceNowTicketing, server: ServiceNowServer
) -> None:
    # The instance matches correlation_id=INC-A to inc-a; we must not.
    upper = await ticketing.find_or_create(draft("INC-A"))
    lower = await ticketing.find_or_create(draft("inc-a"))
    assert upper.sys_id != lower.sys_id
    assert await ticketing.find_or_create(draft("inc-a")) == lower
    assert await ticketing.find_or_create(draft("INC-A")) == upper
    assert len(server.incidents()) == 2


@pytest.mark.parametrize("fault", ["commit_then_drop", "commit_then_unavailable"])
async def test_a_lost_create_response_does_not_make_a_second_ticket(
    ticketing: ServiceNowTicketing, server: ServiceNowServer, fault: str
) -> None:
    server.fail_next(fault, method="POST")  # type: ignore[arg-type]
    with pytest.raises(AdapterError) as lost:
        await ticketing.find_or_create(draft())
    assert lost.value.retryable
    # The ticket job runs again: the lookup finds what the lost reply stored.
    ref = await ticketing.find_or_create(draft())
    (incident,) = server.incidents()
    assert ref.sys_id == incident["sys_id"]
    assert [(r.method, r.status) for r in server.calls(table="incident")] == [
        ("GET", 200),
        ("POST", None if fault == "commit_then_drop" else 503),
        ("GET", 200),
    ]


async def test_a_timed_out_create_is_found_by_the_retry(server: ServiceNowServer) -> None:
    # The instance stores the record but answers after our timeout.
    adapter = ServiceNowTicketing(make_config(server, timeout_seconds=0.3))
    server.fail_next("commit_then_stall", method="POST", stall_seconds=1.0)
    with pytest.raises(AdapterError) as timed_out:
        await adapter.find_or_create(draft())
    assert (timed_out.value.code, timed_out.value.retryable) == ("timeout", True)
    await adapter.close()
    # The ticket job's next run, with a timeout a loaded machine meets.
    patient = ServiceNowTicketing(make_config(server, timeout_seconds=10))
    ref = await patient.find_or_create(draft())
    await patient.close()
    (incident,) = server.incidents()
    assert ref.sys_id == incident["sys_id"]
    assert len(server.calls("POST")) == 1


async def test_query_parameters_do_not_leak_into_the_create(
    ticketing: ServiceNowTicketing, server: ServiceNowServer
) -> None:
    await ticketing.find_or_create(draft())
    lookup, create = server.calls(table="incident")
    assert lookup.method == "GET"
    assert lookup.query["sysparm_query"] == "correlation_id=inc-20260101-0001^ORDERBYsys_created_on"
    assert lookup.query["sysparm_limit"] == "20"
    assert create.method == "POST"
    assert create.query.get("sysparm_query", "") == ""
    assert create.query.get("sysparm_fields", "") == ""


async def test_v1_404_on_an_empty_lookup_means_no_ticket_yet() -> None:
    async with ServiceNowServer(empty_query_404=True) as v1:
        adapter = ServiceNowTicketing(make_config(v1))
        ref = await adapter.find_or_create(draft())
        again = await adapter.find_or_create(draft())
        await adapter.close()
        assert ref == again
        assert len(v1.incidents()) == 1


@pytest.mark.parametrize("bad", ["", "has^caret", "new\nline", "x" * 101, "space here"])
async def test_unsafe_correlation_ids_are_refused_before_any_request(
    ticketing: ServiceNowTicketing, server: ServiceNowServer, bad: str
) -> None:
    with pytest.raises(AdapterError) as caught:
        await ticketing.find_or_create(draft(bad))
    assert caught.value.code == "invalid_correlation_id"
    assert caught.value.retryable is False
    assert server.requests == []
