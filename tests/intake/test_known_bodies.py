"""A byte-identical body is decoded once; everything else about a delivery still runs."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain.clock import VirtualTime
from bot.domain.signals import Signal, SignalStatus
from bot.intake.known_bodies import LARGEST_KEPT, SIGNAL_COST, Decoded, KnownBodies
from integrations.alertmanager.source import AlertmanagerSource
from integrations.generic.source import GenericSource
from integrations.slack.emulator import SlackEmulator
from tests.conftest import fixture_json
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, generic_alert, post_signed, start_harness, stop_harness

AT = datetime(2026, 1, 1, tzinfo=UTC)
TOKEN = "known-bodies-token"


def _decoded(fingerprint: str) -> Decoded:
    signal = Signal(
        source="alertmanager",
        environment="production",
        service="checkout",
        fingerprint=fingerprint,
        severity="warning",
        status=SignalStatus.FIRING,
        summary="s",
        starts_at=AT,
    )
    return Decoded(signals=((signal, "group", f"occurrence-{fingerprint}"),), rejected=())


def test_only_the_same_bytes_from_the_same_source_and_type_are_known() -> None:
    known = KnownBodies(64 * 1024)
    known.add("alertmanager", "application/json", b'{"a": 1}', _decoded("a"))
    assert known.get("alertmanager", "application/json", b'{"a": 1}') == _decoded("a")
    assert known.get("alertmanager", "application/json", b'{"a":1}') is None
    assert known.get("generic", "application/json", b'{"a": 1}') is None
    assert known.get("alertmanager", "text/plain", b'{"a": 1}') is None


def test_the_memory_kept_is_bounded_and_the_least_recently_seen_go_first() -> None:
    # Room for three bodies of 10 bytes with one signal each.
    known = KnownBodies(3 * (10 + SIGNAL_COST))
    bodies = [bytes([n]) * 10 for n in range(3)]
    for n, body in enumerate(bodies):
        known.add("alertmanager", "application/json", body, _decoded(str(n)))
    assert known.get("alertmanager", "application/json", bodies[0]) is not None  # now newest
    known.add("alertmanager", "application/json", b"x" * 10, _decoded("x"))
    kept = [known.get("alertmanager", "application/json", b) is not None for b in bodies]
    assert kept == [True, False, True] and len(known) == 3


def test_each_signal_counts_against_the_memory_kept() -> None:
    known = KnownBodies(2 * SIGNAL_COST)
    many = Decoded(signals=_decoded("a").signals * 3, rejected=())
    known.add("alertmanager", "application/json", b"{}", many)  # three signals: too many
    known.add("alertmanager", "application/json", b"[]", _decoded("b"))
    assert known.get("alertmanager", "application/json", b"{}") is None
    assert known.get("alertmanager", "application/json", b"[]") is not None


def test_a_large_body_and_a_zero_capacity_keep_nothing() -> None:
    roomy = KnownBodies(10 * LARGEST_KEPT)
    roomy.add("alertmanager", "application/json", b"x" * (LARGEST_KEPT + 1), _decoded("x"))
    off = KnownBodies(0)
    off.add("alertmanager", "application/json", b"{}", _decoded("y"))
    assert len(roomy) == 0 and len(off) == 0


def _one_alert(fingerprint: str) -> bytes:
    body: dict[str, Any] = copy.deepcopy(fixture_json("alertmanager/alertmanager_0.25_firing.json"))
    body["alerts"] = [dict(body["alerts"][0], fingerprint=fingerprint)]
    return json.dumps(body).encode()


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every Alertmanager body parsed, in order."""
    seen: list[object] = []
    original = AlertmanagerSource.parse

    def counting(self: AlertmanagerSource, document: Any) -> Any:
        seen.append(document)
        return original(self, document)

    monkeypatch.setattr(AlertmanagerSource, "parse", counting)
    return seen


async def test_a_repeated_body_is_decoded_once_and_answered_the_same(
    harness: Harness, parses: list[object]
) -> None:
    body = _one_alert("00000000000000d1")
    first = await harness.post("/alerts/alertmanager", body)
    second = await harness.post("/alerts/alertmanager", body)
    third = await harness.post("/alerts/alertmanager", body)
    assert first.body["outcomes"] == {"opened": 1}
    assert second.body["outcomes"] == third.body["outcomes"] == {"duplicate": 1}
    assert {k: v for k, v in second.body.items() if k != "correlation_id"} == {
        k: v for k, v in third.body.items() if k != "correlation_id"
    }
    assert len(parses) == 1
    # Another body is decoded on its own; so is the same body sent as another type.
    other = await harness.post("/alerts/alertmanager", _one_alert("00000000000000d2"))
    wrong_type = await harness.post("/alerts/alertmanager", body, content_type="text/plain")
    assert other.body["outcomes"] == {"attached": 1} and len(parses) == 2
    assert wrong_type.status == 415


async def test_a_known_body_still_needs_the_token(
    database: DatabaseTarget,
    emulator: SlackEmulator,
    virtual_time: VirtualTime,
    parses: list[object],
) -> None:
    h = await start_harness(
        database,
        emulator,
        time=virtual_time,
        alertmanager_token=TOKEN,
        alertmanager_allow_unauthenticated=False,
    )
    body = _one_alert("00000000000000e1")
    try:
        good = await h.post(
            "/alerts/alertmanager", body, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        bad = await h.post("/alerts/alertmanager", body, headers={"Authorization": "Bearer x"})
        assert (good.status, bad.status) == (202, 401)
        assert len(parses) == 1
    finally:
        await stop_harness(h)


async def test_a_source_checked_against_the_clock_is_decoded_every_time(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[object] = []
    original = GenericSource.check_fresh

    def counting(self: GenericSource, payload: Any, now: datetime) -> None:
        checked.append(payload)
        original(self, payload, now)

    monkeypatch.setattr(GenericSource, "check_fresh", counting)
    body = generic_alert()
    first = await post_signed(harness, "/alerts/generic", body)
    again = await post_signed(harness, "/alerts/generic", body)
    assert first.status == again.status == 202
    assert len(checked) == 2  # its timestamp was checked for each delivery
