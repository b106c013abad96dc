"""append_work_notes: each batch lands in the ticket's journal exactly once, in order."""

from __future__ import annotations

import pytest

from bot.ports.adapters import AdapterError
from bot.ports.ticketing import TicketRef
from integrations.servicenow import ServiceNowTicketing
from integrations.servicenow.adapter import batch_marker
from integrations.servicenow.emulator import ServiceNowServer
from tests.servicenow.conftest import draft


@pytest.fixture
async def ref(ticketing: ServiceNowTicketing) -> TicketRef:
    return await ticketing.find_or_create(draft())


async def test_a_note_is_written_with_its_batch_marker_by_patch(
    ticketing: ServiceNowTicketing, server: ServiceNowServer, ref: TicketRef
) -> None:
    await ticketing.append_work_notes(ref, "batch-7", "Rolled back checkout-api to v41.")
    assert server.journal(ref.sys_id) == [
        "[smokejumper batch batch-7]\nRolled back checkout-api to v41."
    ]
    (write,) = server.calls("PATCH", "incident")
    assert write.sys_id == ref.sys_id
    assert write.body == {
        "work_notes": "[smokejumper batch batch-7]\nRolled back checkout-api to v41."
    }
    assert server.calls("PUT") == []


async def test_the_same_batch_twice_makes_one_journal_entry(
    ticketing: ServiceNowTicketing, server: ServiceNowServer, ref: TicketRef
) -> None:
    await ticketing.append_work_notes(ref, "batch-1", "first delivery")
    await ticketing.append_work_notes(ref, "batch-1", "first delivery")
    assert server.journal(ref.sys_id) == ["[smokejumper batch batch-1]\nfirst delivery"]
    assert len(server.calls("PATCH")) == 1
    lookups = server.calls("GET", "sys_journal_field")
    assert len(lookups) == 2
    assert lookups[-1].query["sysparm_query"] == (
        f"element_id={ref.sys_id}^element=work_notes^valueLIKE[smokejumper batch batch-1]"
    )


async def test_distinct_batches_are_all_written_in_order(
    ticketing: ServiceNowTicketing, server: ServiceNowServer, ref: TicketRef
) -> None:
    for number in range(1, 4):
        await ticketing.append_work_notes(ref, f"b{number}", f"update {number}")
    assert server.journal(ref.sys_id) == [
        f"[smokejumper batch b{n}]\nupdate {n}" for n in range(1, 4)
    ]


async def test_a_batch_id_that_prefixes_another_is_not_mistaken_for_it(
    ticketing: ServiceNowTicketing, server: ServiceNowServer, ref: TicketRef
) -> None:
    await ticketing.append_work_notes(ref, "b10", "ten")
    await ticketing.append_work_notes(ref, "b1", "one")
    assert len(server.journal(ref.sys_id)) == 2


async def test_a_note_quoting_a_marker_does_not_count_as_that_batch(
    ticketing: ServiceNowTicketing, server: ServiceNowServer, ref: TicketRef
) -> None:
    await ticketing.append_work_notes(ref, "b1", "next up: [smokejumper batch b2]")
    await ticketing.append_work_notes(ref, "B1", "a different batch by case")
    await ticketing.append_work_notes(ref, "b2", "the real b2")
    await ticketing.append_work_notes(ref, "b2", "the real b2")
    assert server.journal(ref.sys_id) == [
        "[smokejumper batch b1]\nnext up: [smokejumper batch b2]",
        "[smokejumper batch B1]\na different batch by case",
        "[smokejumper batch b2]\nthe real b2",
    ]


async def test_notes_on_another_ticket_do_not_count(
    ticketing: ServiceNowTicketing, server: ServiceNowServer, ref: TicketRef
) -> None:
    other = await ticketing.find_or_create(draft("inc-other"))
    await ticketing.append_work_notes(other, "shared-batch", "on the other ticket")
    await ticketing.append_work_notes(ref, "shared-batch", "on this ticket")
    assert server.journal(ref.sys_id) == ["[smokejumper batch shared-batch]\non this ticket"]
    assert len(server.journal(other.sys_id)) == 1


@pytest.mark.parametrize("fault", ["commit_then_drop", "commit_then_unavailable"])
async def test_a_lost_patch_response_is_not_written_twice(
    ticketing: ServiceNowTicketing, server: ServiceNowServer, ref: TicketRef, fault: str
) -> None:
    server.fail_next(fault, method="PATCH")  # type: ignore[arg-type]
    with pytest.raises(AdapterError) as lost:
        await ticketing.append_work_notes(ref, "batch-9", "after a lost reply")
    assert lost.value.retryable
    # The sync job runs again: the journal already has the batch.
    await ticketing.append_work_notes(ref, "batch-9", "after a lost reply")
    assert server.journal(ref.sys_id) == ["[smokejumper batch batch-9]\nafter a lost reply"]
    assert len(server.calls("PATCH")) == 1
    assert len(server.calls("GET", "sys_journal_field")) == 2  # the retry looked first


async def test_blank_text_writes_nothing(
    ticketing: ServiceNowTicketing, server: ServiceNowServer, ref: TicketRef
) -> None:
    before = len(server.requests)
    await ticketing.append_work_notes(ref, "batch-empty", "  \n")
    assert len(server.requests) == before
    assert server.journal(ref.sys_id) == []


async def test_the_marker_survives_the_instance_cutting_a_long_note(
    ticketing: ServiceNowTicketing, server: ServiceNowServer, ref: TicketRef
) -> None:
    await ticketing.append_work_notes(ref, "long", "x" * 20000)
    (entry,) = server.journal(ref.sys_id)
    assert entry.startswith(batch_marker("long") + "\n")


@pytest.mark.parametrize("bad", ["", "a^b", "a]b", "two words"])
async def test_unsafe_batch_ids_are_refused(
    ticketing: ServiceNowTicketing, server: ServiceNowServer, ref: TicketRef, bad: str
) -> None:
    before = len(server.requests)
    with pytest.raises(AdapterError) as caught:
        await ticketing.append_work_notes(ref, bad, "text")
    assert (caught.value.code, caught.value.retryable) == ("invalid_batch_id", False)
    assert len(server.requests) == before


async def test_a_ticket_that_does_not_exist_is_a_permanent_error(
    ticketing: ServiceNowTicketing, server: ServiceNowServer
) -> None:
    ghost = TicketRef(number="INC0000000", sys_id="f" * 32, url="")
    with pytest.raises(AdapterError) as caught:
        await ticketing.append_work_notes(ghost, "b1", "text")
    assert (caught.value.code, caught.value.retryable) == ("not_found", False)
    assert len(server.calls("PATCH")) == 1  # not retried


async def test_a_malformed_sys_id_never_reaches_the_url(
    ticketing: ServiceNowTicketing, server: ServiceNowServer
) -> None:
    bad = TicketRef(number="INC1", sys_id="../../sys_user/abc", url="")
    with pytest.raises(AdapterError) as caught:
        await ticketing.append_work_notes(bad, "b1", "text")
    assert (caught.value.code, caught.value.retryable) == ("invalid_sys_id", False)
    with pytest.raises(AdapterError):
        await ticketing.resolve(bad, "notes")
    assert server.requests == []
