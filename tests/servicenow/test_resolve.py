"""resolve: one PATCH with the state and the close fields the instance insists on."""

from __future__ import annotations

import pytest

from bot.ports.adapters import AdapterError
from bot.ports.ticketing import TicketRef
from integrations.servicenow import ServiceNowTicketing
from integrations.servicenow.emulator import ServiceNowServer
from tests.servicenow.conftest import draft, make_config

PREFIX = "Resolved from the smokejumper incident channel.\n\n"


@pytest.fixture
async def ref(ticketing: ServiceNowTicketing) -> TicketRef:
    return await ticketing.find_or_create(draft())


async def test_resolve_patches_state_and_close_fields(
    ticketing: ServiceNowTicketing, server: ServiceNowServer, ref: TicketRef
) -> None:
    await ticketing.resolve(ref, "Rolled back; error rate back under 0.1%.")
    (incident,) = server.incidents()
    assert incident["state"] == "6"
    assert incident["close_code"] == "Solved (Permanently)"
    assert incident["close_notes"] == PREFIX + "Rolled back; error rate back under 0.1%."
    assert incident["resolved_by"] == server.user
    (write,) = server.calls("PATCH", "incident")
    assert write.sys_id == ref.sys_id
    assert set(write.body) == {"state", "close_code", "close_notes"}
    assert write.query.get("sysparm_query", "") == ""  # the state lookup's params stayed behind
    assert server.calls("PUT") == []


async def test_close_code_state_and_extra_fields_are_configurable(
    server: ServiceNowServer,
) -> None:
    config = make_config(
        server,
        close_code="Solution provided",
        resolved_state="7",
        close_notes_prefix="[bot] ",
        resolve_extra_fields={"incident_state": "7"},
    )
    adapter = ServiceNowTicketing(config)
    ref = await adapter.find_or_create(draft())
    await adapter.resolve(ref, "done")
    await adapter.close()
    (incident,) = server.incidents()
    assert (incident["state"], incident["close_code"]) == ("7", "Solution provided")
    assert incident["close_notes"] == "[bot] done"
    assert server.calls("PATCH")[0].body["incident_state"] == "7"


async def test_long_handoff_text_is_cut_to_the_configured_size(
    server: ServiceNowServer,
) -> None:
    adapter = ServiceNowTicketing(make_config(server, close_notes_max_chars=500))
    ref = await adapter.find_or_create(draft())
    await adapter.resolve(ref, "timeline line\n" * 200)
    await adapter.close()
    notes = server.incidents()[0]["close_notes"]
    assert len(notes) <= 500
    assert notes.startswith(PREFIX + "timeline line")
    assert notes.endswith("[…truncated]")


async def test_resolving_twice_sends_one_patch(
    ticketing: ServiceNowTicketing, server: ServiceNowServer, ref: TicketRef
) -> None:
    await ticketing.resolve(ref, "first")
    await ticketing.resolve(ref, "second")
    assert len(server.calls("PATCH")) == 1
    assert server.incidents()[0]["close_notes"] == PREFIX + "first"


async def test_a_closed_ticket_is_left_alone(
    ticketing: ServiceNowTicketing, server: ServiceNowServer
) -> None:
    closed = server.add_record(
        "incident", number="INC7", correlation_id="inc-closed", state="7", close_code="x"
    )
    ref = await ticketing.find_or_create(draft("inc-closed"))
    await ticketing.resolve(ref, "late")
    assert server.calls("PATCH") == []
    assert closed["state"] == "7"


async def test_a_lost_resolve_response_is_not_repeated(
    ticketing: ServiceNowTicketing, server: ServiceNowServer, ref: TicketRef
) -> None:
    server.fail_next("commit_then_drop", method="PATCH")
    with pytest.raises(AdapterError) as lost:
        await ticketing.resolve(ref, "done")
    assert lost.value.retryable
    # The resolve job runs again: the read shows the ticket resolved, so no second PATCH.
    await ticketing.resolve(ref, "done")
    assert server.incidents()[0]["state"] == "6"
    assert len(server.calls("PATCH")) == 1
    assert len(server.calls("GET", "incident")) == 1 + 2  # the create's lookup, then two reads


async def test_refused_close_fields_are_a_permanent_error(server: ServiceNowServer) -> None:
    # An empty close code trips the instance's data policy, which retrying cannot fix.
    adapter = ServiceNowTicketing(make_config(server, close_code=""))
    ref = await adapter.find_or_create(draft())
    with pytest.raises(AdapterError) as caught:
        await adapter.resolve(ref, "done")
    await adapter.close()
    assert (caught.value.code, caught.value.retryable) == ("forbidden", False)
    assert len(server.calls("PATCH")) == 1
    assert server.incidents()[0]["state"] == "1"
