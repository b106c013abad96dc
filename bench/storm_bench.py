"""Storm benchmark: the real `smokejumper serve` against an alert storm and Slack's real limits.

Starts the in-repo Slack emulator (Slack's tier limits) in this process, then for each
database backend starts the server as a subprocess and posts 10,000 Alertmanager alerts
(1,000 fingerprints from 200 services, each alert re-firing as a new occurrence) within
60 s, batched like Alertmanager groups them. Then it waits for the Slack side to drain and
prints: channels created, alerts accounted for in the store (every alert a signal row
attached to an incident), pages, time for Slack to drain, and the server's peak RSS.

    .venv/bin/python bench/storm_bench.py [--alerts N] [--fingerprints F] [--services S]
                                          [--seconds T] [--batch B] [--backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

# Run as a script, this folder is on the path: the server and load helpers are shared.
from intake_bench import (
    BOT_TOKEN,
    DEFAULT_PG_URL,
    BenchError,
    ServerProcess,
    create_schema,
    drop_schema,
    run_load,
    server_env,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func
from sqlmodel import col, select

from bot.store.database import create_engine, session_factory
from bot.store.models import EventRow, IncidentRow, OutboxRow, SignalRow
from integrations.slack.emulator import RateLimits, SlackEmulator

MAX_CHANNELS = 3
MAX_PAGES = 1
DRAIN_LIMIT_SECONDS = 120.0
# A storm's own "has it subsided?" check waits a minute at a time for as long as the storm
# lasts; it is not Slack work waiting to be done.
NOT_SLACK_WORK = ("storm.check",)


@dataclass(frozen=True)
class StormAlert:
    fingerprint: str
    service: str
    alertname: str
    starts_at: str


def build_plan(alerts: int, fingerprints: int, services: int, seed: int) -> list[StormAlert]:
    """`alerts` firings of `fingerprints` alerts over `services` services, shuffled.

    Each firing of a fingerprint starts at a new time: a flapping alert, a new occurrence
    every time, so every one of them must become a row of its own.
    """
    rng = random.Random(seed)
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
    plan = []
    for i in range(alerts):
        f = i % fingerprints
        starts = base + timedelta(milliseconds=i)
        plan.append(
            StormAlert(
                fingerprint=hashlib.sha256(f"storm-{f}".encode()).hexdigest()[:16],
                service=f"svc-{f % services:03d}",
                alertname=f"StormAlert{f // services}",
                starts_at=starts.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z",
            )
        )
    rng.shuffle(plan)
    return plan


def webhook_body(batch: list[StormAlert]) -> bytes:
    alerts = [
        {
            "status": "firing",
            "labels": {
                "alertname": a.alertname,
                "service": a.service,
                "severity": "critical",
                "instance": f"{a.service}-0",
            },
            "annotations": {"summary": f"{a.alertname} on {a.service}"},
            "startsAt": a.starts_at,
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph",
            "fingerprint": a.fingerprint,
        }
        for a in batch
    ]
    document = {
        "receiver": "smokejumper",
        "status": "firing",
        "alerts": alerts,
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": "{}:{}",
        "truncatedAlerts": 0,
    }
    return json.dumps(document).encode()


@dataclass
class StormResult:
    backend: str
    sent: int
    accepted_requests: int
    errors: int
    schedule_seconds: float
    send_seconds: float
    rows: int
    attached: int
    storms: int
    incidents: int
    channels: int
    pages: int
    drain_seconds: float | None
    peak_rss_mib: float
    error_samples: list[str]


async def _store_counts(sessions: object) -> tuple[int, int, int, int, int]:
    async with sessions() as session:  # type: ignore[operator]
        rows = (await session.exec(select(func.count()).select_from(SignalRow))).one()
        attached = (
            await session.exec(
                select(func.count())
                .select_from(SignalRow)
                .where(col(SignalRow.incident_id).is_not(None))
            )
        ).one()
        storms = (
            await session.exec(
                select(func.count()).select_from(IncidentRow).where(IncidentRow.kind == "storm")
            )
        ).one()
        incidents = (await session.exec(select(func.count()).select_from(IncidentRow))).one()
        pages = (
            await session.exec(
                select(func.count()).select_from(EventRow).where(EventRow.kind == "pager.paged")
            )
        ).one()
    return int(rows), int(attached), int(storms), int(incidents), int(pages)


async def _slack_work_left(sessions: object) -> int:
    async with sessions() as session:  # type: ignore[operator]
        left = await session.exec(
            select(func.count())
            .select_from(OutboxRow)
            .where(
                col(OutboxRow.status).in_(["pending", "running"]),
                col(OutboxRow.kind).not_in(NOT_SLACK_WORK),
            )
        )
        return int(left.one())


async def run_backend(backend: str, args: argparse.Namespace) -> StormResult | None:
    schema = None
    pg_url = os.environ.get("SMOKEJUMPER_TEST_DATABASE_URL", DEFAULT_PG_URL)
    if backend == "postgres":
        try:
            schema = await asyncio.wait_for(create_schema(pg_url), 10)
        except (OSError, TimeoutError, BenchError) as exc:
            print(f"postgres: skipped, database unreachable ({type(exc).__name__}: {exc})")
            return None
    # Slack's real tier limits: channel creation at ~20/min, about a message a second.
    emulator = SlackEmulator(bot_token=BOT_TOKEN, rate_limits=RateLimits())
    await emulator.start()
    await AsyncWebClient(token=BOT_TOKEN, base_url=emulator.api_url).conversations_create(
        name="incidents"
    )
    workdir = Path(tempfile.mkdtemp(prefix=f"storm-bench-{backend}-"))
    database_url = f"sqlite:///{workdir}/bench.db" if backend == "sqlite" else pg_url
    env = server_env(emulator.api_url, database_url, schema)
    env["SMOKEJUMPER_ANNOUNCE_CHANNEL"] = "incidents"
    server = ServerProcess(env, workdir, args.server_log_level)
    # The bench reads the store with the driver the server uses.
    driver_url = (
        "sqlite+aiosqlite:///" + database_url.removeprefix("sqlite:///")
        if backend == "sqlite"
        else "postgresql+asyncpg://" + database_url.split("://", 1)[1]
    )
    engine = create_engine(driver_url, schema)
    sessions = session_factory(engine)
    plan = build_plan(args.alerts, args.fingerprints, args.services, args.seed)
    bodies = [webhook_body(plan[i : i + args.batch]) for i in range(0, len(plan), args.batch)]
    rate = len(bodies) / args.seconds
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            await server.start()
            await server.wait_ready(session)
            load = await run_load(session, f"{server.url}/alerts/alertmanager", bodies, rate)
            sent_at = time.perf_counter()
            drained: float | None = None
            while time.perf_counter() - sent_at < DRAIN_LIMIT_SECONDS + 30:
                if await _slack_work_left(sessions) == 0:
                    drained = time.perf_counter() - sent_at
                    break
                await asyncio.sleep(0.25)
            rows, attached, storms, incidents, pages = await _store_counts(sessions)
            channels = sum(1 for c in emulator.state.channels.values() if c.name.startswith("inc-"))
            peak = server.peak_rss_kib() / 1024
    finally:
        await server.stop()
        await engine.dispose()
        await emulator.stop()
        if schema is not None:
            await drop_schema(pg_url, schema)
        shutil.rmtree(workdir, ignore_errors=True)
    return StormResult(
        backend=backend,
        sent=len(plan),
        accepted_requests=load.accepted,
        errors=load.errors,
        schedule_seconds=args.seconds,
        send_seconds=load.wall_seconds,
        rows=rows,
        attached=attached,
        storms=storms,
        incidents=incidents,
        channels=channels,
        pages=pages,
        drain_seconds=drained,
        peak_rss_mib=peak,
        error_samples=load.error_samples,
    )


def verdict(ok: bool) -> str:
    return "ok" if ok else "FAIL"


def report(r: StormResult) -> bool:
    lost = r.sent - r.attached
    drain = f"{r.drain_seconds:.1f} s" if r.drain_seconds is not None else "not drained"
    drained_ok = r.drain_seconds is not None and r.drain_seconds <= DRAIN_LIMIT_SECONDS
    lines = [
        (
            "alerts sent",
            f"{r.sent} scheduled over {r.schedule_seconds:.0f} s, last answer at "
            f"{r.send_seconds:.1f} s ({r.errors} request errors)",
            True,
        ),
        ("channels created", f"{r.channels} (limit {MAX_CHANNELS})", r.channels <= MAX_CHANNELS),
        (
            "alerts in the store",
            f"{r.attached} attached of {r.rows} rows; {lost} lost",
            lost == 0 and r.errors == 0,
        ),
        ("incidents", f"{r.incidents}, of which storms: {r.storms}", r.storms == 1),
        ("pages", f"{r.pages} (limit {MAX_PAGES})", r.pages <= MAX_PAGES),
        ("Slack drained", f"{drain} after the last alert", drained_ok),
        ("peak RSS", f"{r.peak_rss_mib:.0f} MiB", True),
    ]
    print(f"\n{r.backend}")
    for name, value, ok in lines:
        print(f"  {name:<20} {value:<64} {verdict(ok)}")
    for sample in r.error_samples:
        print(f"  error: {sample}")
    return all(ok for _, _, ok in lines)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--fingerprints", type=int, default=1_000)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=55.0)
    parser.add_argument("--batch", type=int, default=10, help="alerts per webhook")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--server-log-level", default="WARNING")
    args = parser.parse_args()
    if min(args.alerts, args.fingerprints, args.services, args.batch) < 1 or args.seconds <= 0:
        parser.error("counts must be at least 1 and --seconds positive")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = [b for b in backends if b not in ("sqlite", "postgres")]
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(unknown)}")
    print(
        f"storm: {args.alerts} alerts, {args.fingerprints} fingerprints, {args.services} "
        f"services, {args.batch} per webhook, within {args.seconds:.0f} s; Slack tier limits"
    )
    ok = True
    for backend in backends:
        try:
            result = await run_backend(backend, args)
        except BenchError as exc:
            print(f"{backend}: {exc}")
            ok = False
            continue
        if result is not None:
            ok = report(result) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
