"""`smokejumper audit export|verify` on an incident that went through the real app."""

from __future__ import annotations

import asyncio
import csv
import itertools
import json
from pathlib import Path

import pytest
from sqlalchemy import update

from bot.cli import main
from bot.store.models import EventRow
from tests.commands.slash import slash
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, generic_alert, post_signed

CRASH = {"alertname": "KubePodCrashLooping", "pod": "checkout-7d9"}


@pytest.fixture
def cli_env(database: DatabaseTarget, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMOKEJUMPER_DATABASE_URL", database.url)
    if database.schema:
        monkeypatch.setenv("SMOKEJUMPER_DATABASE_SCHEMA", database.schema)


async def cli(*argv: str) -> int:
    # The command runs its own event loop, as it does from a shell.
    return await asyncio.to_thread(main, list(argv))


async def run_incident(harness: Harness) -> int:
    assert (
        await post_signed(harness, "/alerts/generic", generic_alert(labels=CRASH))
    ).status == 202
    await harness.drain()
    [incident] = await harness.incidents()
    assert incident.id is not None and incident.channel_id is not None
    await slash(harness, incident.channel_id, "ack")
    await slash(harness, incident.channel_id, "note looking at the pods")
    await slash(harness, incident.channel_id, "resolve")
    await harness.drain()
    return incident.id


@pytest.mark.both_databases
async def test_export_verifies_and_an_edited_row_is_named(
    harness: Harness, cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    incident_id = await run_incident(harness)
    out = tmp_path / "audit.jsonl"

    assert await cli("audit", "export", "--incident", str(incident_id), "--output", str(out)) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == len(await harness.events(incident_id))
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert all(r["incident_id"] == incident_id for r in rows)
    for before, after in itertools.pairwise(rows):
        assert after["prev_hash"] == before["row_hash"]
    triage = next(r for r in rows if r["kind"] == "triage.completed")
    assert len(triage["input_hash"]) == 64 and len(triage["answer_hash"]) == 64
    assert triage["prompt_version"] and triage["run_id"].startswith("triage-")
    proposed = next(r for r in rows if r["kind"] == "action.proposed")
    assert proposed["policy_version"] and proposed["params_hash"] and proposed["decision"]
    assert proposed["reasons"] and proposed["action"]
    assert any(r["who"] == "slack:U0ALICE" for r in rows)

    assert await cli("audit", "verify", "--file", str(out)) == 0
    assert await cli("audit", "verify") == 0
    assert "audit verifies" in capsys.readouterr().out

    # Someone rewrites history in the database.
    victim = rows[len(rows) // 2]
    async with harness.sessions() as session, session.begin():
        await session.exec(
            update(EventRow)  # type: ignore[call-overload]
            .where(EventRow.id == victim["event_id"])
            .values(summary="nothing happened here")
        )
    assert await cli("audit", "verify") == 1
    said = capsys.readouterr().out
    assert f"incident {incident_id}: row {victim['seq']} (event {victim['event_id']})" in said
    assert "changed" in said

    # An edited export is caught too, at the line that was edited.
    lines = out.read_text().splitlines()
    edited = json.loads(lines[2])
    edited["event"]["summary"] = edited["summary"] = "rewritten"
    lines[2] = json.dumps(edited)
    out.write_text("\n".join(lines) + "\n")
    assert await cli("audit", "verify", "--file", str(out)) == 1
    assert "line 3" in capsys.readouterr().out


async def test_csv_export_and_since(harness: Harness, cli_env: None, tmp_path: Path) -> None:
    await run_incident(harness)
    out = tmp_path / "audit.csv"
    assert await cli("audit", "export", "--format", "csv", "--output", str(out)) == 0
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert rows and {"run_id", "input_hash", "answer_hash", "who", "prev_hash"} <= set(rows[0])
    assert await cli("audit", "verify", "--file", str(out)) == 0
    future = tmp_path / "future.jsonl"
    assert await cli("audit", "export", "--since", "2999-01-01", "--output", str(future)) == 0
    assert future.read_text() == ""


async def test_bad_input_exits_2_with_a_message(
    cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli("audit", "export", "--since", "last tuesday") == 2
    assert "not a date" in capsys.readouterr().err
    assert await cli("audit", "verify", "--file", str(tmp_path / "missing.jsonl")) == 2
    assert "cannot read" in capsys.readouterr().err
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("{not json\n")
    assert await cli("audit", "verify", "--file", str(garbage)) == 2
    with pytest.raises(SystemExit) as exited:
        await cli("audit", "export", "--format", "xml")
    assert exited.value.code == 2
