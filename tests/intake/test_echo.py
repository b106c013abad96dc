"""The PagerDuty echo of the bot's own page joins its incident: no second incident, no page."""

from __future__ import annotations

from bot.domain.events import EventKind
from bot.paging.flows import dedup_key
from tests.intake.test_signed_sources import pagerduty_event, post_generic, post_pagerduty
from tests.support.harness import Harness, generic_alert


def _own_page(key: str, event_type: str, event_id: str) -> dict[str, object]:
    body = pagerduty_event(event_type, id=event_id)
    data = dict(body["event"]["data"])  # type: ignore[index]
    data["incident_key"] = key
    body["event"]["data"] = data  # type: ignore[index]
    return body


async def test_the_echo_of_our_page_opens_nothing_and_is_shown(harness: Harness) -> None:
    assert (await post_generic(harness, generic_alert())).status == 202
    await harness.drain()
    [incident] = await harness.incidents()
    key = dedup_key(incident)

    triggered = await post_pagerduty(harness, _own_page(key, "incident.triggered", "E1"))
    acknowledged = await post_pagerduty(harness, _own_page(key, "incident.acknowledged", "E2"))
    resolved = await post_pagerduty(harness, _own_page(key, "incident.resolved", "E3"))

    assert [r.body["outcomes"] for r in (triggered, acknowledged, resolved)] == [{"echo": 1}] * 3
    await harness.drain()
    assert len(await harness.incidents()) == 1
    assert len(harness.incident_channels()) == 1
    echoes = [e for e in await harness.events(incident.id) if e.kind == EventKind.PAGER_ECHO]
    assert [e.data["event_type"] for e in echoes] == [
        "incident.triggered",
        "incident.acknowledged",
        "incident.resolved",
    ]
    assert not [e for e in await harness.events(incident.id) if e.kind == EventKind.PAGED]
    [channel] = harness.incident_channels()
    texts = [m.text for m in harness.emulator.state.messages_in(channel.id)]
    assert any("our page is acknowledged by Tenex Engineer" in t for t in texts)
    # The signals are kept, attached to the incident they echo.
    assert (await harness.counts())["signals"] == 4


async def test_someone_elses_acknowledgement_is_still_ignored(harness: Harness) -> None:
    reply = await post_pagerduty(harness, pagerduty_event("incident.acknowledged"))
    assert reply.status == 202
    assert (await harness.counts())["incidents"] == 0
