"""`smokejumper audit export|verify`: the audit trail out of the database, and its check."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bot.audit import chain, export
from bot.config import load_settings
from bot.domain.clock import utcnow
from bot.store.database import create_engine, session_factory

FORMATS = ("jsonl", "csv")


class UsageError(ValueError):
    pass


def _since(text: str | None) -> datetime | None:
    """A date (2026-11-21) or an ISO timestamp; a date means its midnight, UTC."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--since {text[:40]!r} is not a date (2026-11-21) or an ISO timestamp"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _sealed(run: Any) -> Any:
    """Seal what is new, then hand a session to `run`."""
    settings = load_settings()
    engine = create_engine(settings.database_url, settings.database_schema)
    sessions = session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            await chain.seal(session, utcnow())
        async with sessions() as session:
            return await run(session)
    finally:
        await engine.dispose()


def _export(args: argparse.Namespace) -> int:
    since = _since(args.since)

    async def run(session: Any) -> list[dict[str, Any]]:
        return await export.audit_rows(session, args.incident, since)

    rows = asyncio.run(_sealed(run))
    lines = export.to_jsonl(rows) if args.format == "jsonl" else export.to_csv(rows)
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            out.writelines(lines)
        print(f"wrote {len(rows)} rows to {args.output}", file=sys.stderr)
    else:
        sys.stdout.writelines(lines)
    return 0


def _read_file(path: Path) -> Iterable[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".csv" or text.startswith("incident_id,"):
        return list(csv.DictReader(text.splitlines()))
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            raise UsageError(f"{path}: line {number} is not JSON") from None
    return rows


def _verify(args: argparse.Namespace) -> int:
    if args.file:
        try:
            rows = list(_read_file(Path(args.file)))
        except OSError as exc:
            raise UsageError(f"cannot read {args.file}: {exc.strerror}") from None
        problem = export.verify_rows(rows)
        if problem is not None:
            print(f"audit file does not verify: {problem}")
            return 1
        print(f"audit file verifies: {len(rows)} rows")
        return 0

    async def run(session: Any) -> chain.Verification:
        return await chain.verify(session, args.incident)

    result: chain.Verification = asyncio.run(_sealed(run))
    if result.ok:
        print(f"audit verifies: {result.rows} rows in {result.chains} chains")
        return 0
    for found in result.breaks:
        print(f"audit does not verify: {found.describe()}")
    return 1


def _run(args: argparse.Namespace) -> int:
    try:
        return _export(args) if args.audit_command == "export" else _verify(args)
    except UsageError as exc:
        print(f"smokejumper audit: {exc}", file=sys.stderr)
        return 2


def add_parser(sub: Any) -> None:
    audit = sub.add_parser("audit", help="the audit trail: export it, verify its hash chains")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    out = audit_sub.add_parser("export", help="one row per event, hash-chained per incident")
    out.add_argument("--incident", type=int, default=None, help="only this incident")
    out.add_argument("--since", default=None, help="only events at or after DATE (ISO)")
    out.add_argument("--format", choices=FORMATS, default="jsonl")
    out.add_argument("--output", default=None, help="write to FILE instead of stdout")
    check = audit_sub.add_parser(
        "verify", help="check the chains in the database (or an exported file)"
    )
    check.add_argument("--incident", type=int, default=None, help="only this incident")
    check.add_argument("--file", default=None, help="an exported .jsonl or .csv file")
    audit.set_defaults(func=_run)
