"""`FakePager` behaves like `PagerDutyPager` against PagerDuty, and fails on demand."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.ports.adapters import AdapterError, NotReady
from bot.ports.pager import Pager
from integrations.pagerduty.fake import FakePager
from tests.pagerduty.conftest import MakePager
from tests.pagerduty.test_events import T0, make_page


@pytest.fixture(params=["fake", "pagerduty"])
async def any_pager(request: pytest.FixtureRequest, make_pager: MakePager) -> AsyncIterator[Pager]:
    if request.param == "fake":
        yield FakePager()
    else:
        yield await make_pager()


async def test_both_pagers_share_dedup_and_note_semantics(any_pager: Pager) -> None:
    """The same story gives the same answers from the fake and from the real adapter."""
    assert any_pager.name == "pagerduty"
    await any_pager.probe()
    assert await any_pager.trigger(make_page()) == "smokejumper-inc-42"
    assert await any_pager.trigger(make_page()) == "smokejumper-inc-42"
    await any_pager.acknowledge("smokejumper-inc-42", T0)
    await any_pager.add_note("smokejumper-inc-42", "looking")
    await any_pager.resolve("smokejumper-inc-42", T0)
    # A note after resolve still lands on the (resolved) incident.
    await any_pager.add_note("smokejumper-inc-42", "post-mortem scheduled")
    # Acknowledging a key with no open alert is dropped, not an error.
    await any_pager.acknowledge("smokejumper-inc-42", T0)

    with pytest.raises(AdapterError) as caught:
        await any_pager.add_note("never-paged", "note")
    assert (caught.value.code, caught.value.retryable) == ("incident_not_found", True)


async def test_fake_records_calls_and_incidents() -> None:
    fake = FakePager()
    await fake.trigger(make_page())
    await fake.trigger(make_page())
    await fake.acknowledge("smokejumper-inc-42", T0)
    await fake.add_note("smokejumper-inc-42", "looking")
    await fake.resolve("smokejumper-inc-42", T0)
    await fake.trigger(make_page())

    assert len(fake.pages) == 3
    assert fake.acks == [("smokejumper-inc-42", T0)]
    assert fake.resolves == [("smokejumper-inc-42", T0)]
    assert fake.notes == [("smokejumper-inc-42", "looking")]
    first, second = fake.incidents
    assert (first.status, first.triggers, first.notes) == ("resolved", 2, ["looking"])
    assert (second.status, second.triggers) == ("triggered", 1)
    assert fake.calls == [
        "trigger",
        "trigger",
        "acknowledge",
        "add_note",
        "resolve",
        "trigger",
    ]


async def test_injected_failures_fire_in_order_then_clear() -> None:
    fake = FakePager()
    rate_limited = AdapterError(
        "rate_limited", "PagerDuty trigger failed: HTTP 429", retryable=True
    )
    fake.fail("trigger", rate_limited, times=2)

    for _ in range(2):
        with pytest.raises(AdapterError) as caught:
            await fake.trigger(make_page())
        assert caught.value is rate_limited
    assert fake.pages == []
    await fake.trigger(make_page())
    assert len(fake.pages) == 1


async def test_injected_probe_failure_is_not_ready() -> None:
    fake = FakePager()
    fake.fail("probe", AdapterError("unauthorized", "HTTP 401", retryable=False))

    with pytest.raises(NotReady):
        await fake.probe()
    await fake.probe()


async def test_fake_without_notes_is_not_configured() -> None:
    fake = FakePager(notes_enabled=False)
    await fake.trigger(make_page())

    with pytest.raises(AdapterError) as caught:
        await fake.add_note("smokejumper-inc-42", "note")

    assert (caught.value.code, caught.value.retryable) == ("not_configured", False)


def test_unknown_operation_cannot_be_failed() -> None:
    with pytest.raises(ValueError, match="unknown operation"):
        FakePager().fail("page_everyone", AdapterError("x", "x", retryable=False))
