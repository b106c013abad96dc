"""FakeTicketing keeps the real adapter's promises: one ticket per id, one note per batch."""

from __future__ import annotations

import pytest

from bot.ports.adapters import AdapterError, NotReady
from bot.ports.ticketing import Ticketing, TicketRef
from integrations.servicenow.fake import FakeTicketing
from tests.servicenow.conftest import draft


def as_port(fake: FakeTicketing) -> Ticketing:
    return fake  # type-checked: the fake satisfies the protocol


async def test_one_ticket_per_correlation_id() -> None:
    fake = FakeTicketing()
    first = await as_port(fake).find_or_create(draft("a"))
    again = await fake.find_or_create(draft("a", short_description="other"))
    other = await fake.find_or_create(draft("b"))
    assert first == again
    assert other.sys_id != first.sys_id
    assert (first.number, other.number) == ("INC0010001", "INC0010002")
    assert first.url.endswith(f"incident.do?sys_id={first.sys_id}")
    assert fake.tickets["a"].draft.short_description == "checkout-api: error rate above 5%"


async def test_notes_once_per_batch_in_order() -> None:
    fake = FakeTicketing()
    ref = await fake.find_or_create(draft())
    for batch, text in [("b1", "one"), ("b2", "two"), ("b1", "one again"), ("b3", " ")]:
        await fake.append_work_notes(ref, batch, text)
    assert fake.ticket(ref).work_notes == [("b1", "one"), ("b2", "two")]


async def test_resolve_keeps_the_first_close_notes() -> None:
    fake = FakeTicketing()
    ref = await fake.find_or_create(draft())
    await fake.resolve(ref, "first")
    await fake.resolve(ref, "second")
    assert fake.ticket(ref).resolved_notes == "first"


async def test_unknown_ticket_is_a_permanent_error() -> None:
    fake = FakeTicketing()
    ghost = TicketRef(number="INC0", sys_id="f" * 32, url="")
    with pytest.raises(AdapterError) as caught:
        await fake.append_work_notes(ghost, "b1", "x")
    assert (caught.value.code, caught.value.retryable) == ("not_found", False)


async def test_scripted_failures_hit_only_their_operations() -> None:
    fake = FakeTicketing()
    ref = await fake.find_or_create(draft())
    fake.fail_next(2, operations={"append_work_notes"}, code="server_error")
    await fake.resolve(ref, "unaffected")
    for _ in range(2):
        with pytest.raises(AdapterError) as caught:
            await fake.append_work_notes(ref, "b1", "x")
        assert (caught.value.code, caught.value.retryable) == ("server_error", True)
    assert fake.ticket(ref).work_notes == []
    await fake.append_work_notes(ref, "b1", "x")
    assert fake.ticket(ref).work_notes == [("b1", "x")]


async def test_a_lost_reply_commits_and_a_retry_does_not_duplicate() -> None:
    fake = FakeTicketing()
    fake.fail_next(operations={"find_or_create"}, after_commit=True)
    with pytest.raises(AdapterError):
        await fake.find_or_create(draft())
    assert len(fake.tickets) == 1
    ref = await fake.find_or_create(draft())
    fake.fail_next(operations={"append_work_notes"}, after_commit=True)
    with pytest.raises(AdapterError):
        await fake.append_work_notes(ref, "b1", "x")
    await fake.append_work_notes(ref, "b1", "x")
    assert len(fake.tickets) == 1
    assert fake.ticket(ref).work_notes == [("b1", "x")]


async def test_down_then_back() -> None:
    fake = FakeTicketing()
    fake.go_down()
    with pytest.raises(NotReady):
        await fake.probe()
    with pytest.raises(AdapterError) as caught:
        await fake.find_or_create(draft())
    assert (caught.value.code, caught.value.retryable) == ("connection_error", True)
    assert fake.tickets == {}
    fake.come_back()
    await fake.probe()
    await fake.find_or_create(draft())
    assert len(fake.tickets) == 1
    assert [op for op, _ in fake.calls] == ["probe", "find_or_create", "probe", "find_or_create"]


def test_times_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FakeTicketing().fail_next(0)
