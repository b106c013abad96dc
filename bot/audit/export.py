"""One audit row per event: who, what, under which versions and hashes, and its chain link."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.audit.chain import GENESIS, canonical, link_hash
from bot.store.models import AuditChainRow, EventRow

COLUMNS = (
    "incident_id",
    "seq",
    "event_id",
    "at",
    "kind",
    "who",
    "summary",
    "run_id",
    "correlation_id",
    "input_hash",
    "answer_hash",
    "prompt_version",
    "policy_version",
    "decision",
    "reasons",
    "action",
    "params_hash",
    "result",
    "event",
    "prev_hash",
    "row_hash",
)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _reasons(data: dict[str, Any]) -> str:
    reasons = data.get("reasons")
    if not isinstance(reasons, list):
        return ""
    return "; ".join(
        f"{r.get('code', '')}: {r.get('text', '')}" if isinstance(r, dict) else str(r)
        for r in reasons
    )


def _result(event: EventRow) -> str:
    data = event.data
    result = data.get("result")
    if isinstance(result, dict) and result.get("summary"):
        return str(result["summary"])
    for key in ("outcome", "error_code", "refusal", "to"):
        if data.get(key):
            return f"{key}: {data[key]}"
    return ""


def _run_id(data: dict[str, Any]) -> str:
    if data.get("action_id") is not None:
        return f"action-{data['action_id']}"
    if data.get("triage_id") is not None:
        return f"triage-{data['triage_id']}"
    return ""


def audit_row(event: EventRow, link: AuditChainRow) -> dict[str, Any]:
    """The exported form; `event` is the sealed content, so a file can be checked alone."""
    data = event.data
    return {
        "incident_id": event.incident_id,
        "seq": link.seq,
        "event_id": event.id,
        "at": event.at.isoformat(),
        "kind": event.kind,
        "who": event.actor,
        "summary": event.summary,
        "run_id": _run_id(data),
        "correlation_id": event.correlation_id,
        "input_hash": _text(data.get("input_sha256")),
        "answer_hash": _text(data.get("answer_sha256")),
        "prompt_version": _text(data.get("prompt_version")),
        "policy_version": _text(data.get("policy_version")),
        "decision": _text(data.get("decision") or data.get("outcome")),
        "reasons": _reasons(data),
        "action": _text(data.get("action")),
        "params_hash": _text(data.get("params_hash")),
        "result": _result(event),
        "event": canonical(event),
        "prev_hash": link.prev_hash,
        "row_hash": link.row_hash,
    }


async def audit_rows(
    session: AsyncSession, incident_id: int | None = None, since: datetime | None = None
) -> list[dict[str, Any]]:
    """Sealed rows, incident by incident, each chain in order."""
    query = select(EventRow, AuditChainRow).join(
        AuditChainRow, col(AuditChainRow.event_id) == col(EventRow.id)
    )
    if incident_id is not None:
        query = query.where(EventRow.incident_id == incident_id)
    if since is not None:
        query = query.where(col(EventRow.at) >= since)
    found = await session.exec(query.order_by(col(AuditChainRow.chain), col(AuditChainRow.seq)))
    return [audit_row(event, link) for event, link in found.all()]


def to_jsonl(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, sort_keys=False, ensure_ascii=False) + "\n"


def to_csv(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "event": json.dumps(row["event"], ensure_ascii=False)})
    yield buffer.getvalue()


def verify_rows(rows: Iterable[dict[str, Any]]) -> str | None:
    """Check an exported file on its own: each row's hash, and each link to the row before."""
    last: dict[str, tuple[int, str]] = {}
    for number, row in enumerate(rows, start=1):
        event = row.get("event")
        if isinstance(event, str):
            event = json.loads(event)
        if not isinstance(event, dict):
            return f"line {number}: no sealed event content"
        chain = str(row.get("incident_id") or 0)
        seq = int(row.get("seq") or 0)
        prev = str(row.get("prev_hash", ""))
        if chain in last:
            last_seq, last_hash = last[chain]
            if seq != last_seq + 1 or prev != last_hash:
                return f"line {number} (event {event.get('id')}): does not follow the row before"
        elif seq == 1 and prev != GENESIS:
            return f"line {number} (event {event.get('id')}): the first row must start the chain"
        shown = (row.get("kind"), row.get("who"), row.get("summary"), row.get("correlation_id"))
        sealed = (event.get("kind"), event.get("actor"), event.get("summary"))
        if shown[:3] != sealed or shown[3] != event.get("correlation_id"):
            return f"line {number} (event {event.get('id')}): its columns differ from its content"
        if link_hash(prev, event) != row.get("row_hash"):
            return f"line {number} (event {event.get('id')}): was changed"
        last[chain] = (seq, str(row["row_hash"]))
    return None
