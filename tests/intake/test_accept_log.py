"""A delivery that changed something is logged at INFO; a resend of stored alerts at DEBUG."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import fixture_json
from tests.support.harness import Harness


async def test_resends_are_logged_below_the_deliveries_that_did_something(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="handlers.http.alerts")
    body = fixture_json("alertmanager/alertmanager_0.25_firing.json")
    first = await harness.post("/alerts/alertmanager", body)
    again = await harness.post("/alerts/alertmanager", body)
    accepted = [r for r in caplog.records if r.getMessage().startswith("accepted alertmanager")]
    assert [r.levelno for r in accepted] == [logging.INFO, logging.DEBUG]
    assert first.body["correlation_id"] in accepted[0].getMessage()
    assert again.body["correlation_id"] in accepted[1].getMessage()
    assert "duplicate" in accepted[1].getMessage()
