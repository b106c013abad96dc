"""The intake rehearses its alert path before serving and keeps nothing of it."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import event

from bot.domain.clock import VirtualTime
from bot.intake.build import build_pipeline
from bot.intake.commit import GroupCommit
from bot.intake.rehearsal import SERVICES, rehearsal_deliveries
from bot.subjects.setup import subject_rules
from integrations.slack.emulator import SlackEmulator
from tests.conftest import fixture_json
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, start_harness, stop_harness

pytestmark = pytest.mark.both_databases

NOTHING = {"signals": 0, "incidents": 0, "events": 0, "outbox": 0}


def _statements() -> tuple[list[str], Any]:
    seen: list[str] = []

    def record(_c: object, _cur: object, statement: str, *_: object) -> None:
        seen.append(" ".join(statement.split()[:3]).upper())

    return seen, record


async def test_a_rehearsal_runs_the_alert_path_and_rolls_it_back(harness: Harness) -> None:
    app = harness.app
    pipeline = build_pipeline(app.settings, app.runtime.sessions, app.clock, app.runtime.policy)
    deliveries = rehearsal_deliveries(
        subject_rules(app.settings), app.settings.group_by, app.clock()
    )
    seen, record = _statements()
    engine = app.runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        await pipeline.rehearse(deliveries)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    # Own incidents, then a storm: every kind of row the alert path writes was written.
    for written in ("INSERT INTO SIGNALS", "INSERT INTO INCIDENTS", "INSERT INTO EVENTS"):
        assert written in seen
    assert seen.count("INSERT INTO INCIDENTS") > 1
    assert await harness.counts() == NOTHING
    assert len(deliveries) == SERVICES


async def test_the_server_rehearses_at_start_and_serves_as_if_it_had_not(
    database: DatabaseTarget, emulator: SlackEmulator, virtual_time: VirtualTime
) -> None:
    h = await start_harness(database, emulator, time=virtual_time, database_warm_up=True)
    try:
        assert h.app.readiness.notes["intake_rehearsal"] == "done"
        assert await h.counts() == NOTHING
        body: dict[str, Any] = copy.deepcopy(
            fixture_json("alertmanager/alertmanager_0.25_firing.json")
        )
        reply = await h.post("/alerts/alertmanager", body)
        assert reply.status == 202 and reply.body["outcomes"]["opened"] == 1
        [incident] = await h.incidents()
        assert incident.environment != "smokejumper-rehearsal"
    finally:
        await stop_harness(h)


async def test_a_failed_rehearsal_does_not_stop_the_server(
    database: DatabaseTarget,
    emulator: SlackEmulator,
    virtual_time: VirtualTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(self: object, contexts: object) -> None:
        raise RuntimeError("the rehearsal broke")

    monkeypatch.setattr(GroupCommit, "rehearse", broken)
    h = await start_harness(database, emulator, time=virtual_time, database_warm_up=True)
    try:
        assert h.app.readiness.notes["intake_rehearsal"] == "failed (RuntimeError)"
        reply = await h.post(
            "/alerts/alertmanager", fixture_json("alertmanager/alertmanager_0.25_firing.json")
        )
        assert reply.status == 202
    finally:
        await stop_harness(h)
