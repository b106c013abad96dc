"""Triage overhead benchmark: everything around the model, per incident.

Seeds a store (SQLite, and PostgreSQL when reachable) with an incident of several signals,
recent changes and a history of similar resolved incidents, then times, per iteration:
context assembly from the store, the runbook triage and the checks, and card rendering.
Also prints the prompt size in tokens for the default context against the budget.

    .venv/bin/python bench/triage_bench.py [--iterations N] [--backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from bot.store import migrate
from bot.store.database import create_engine, session_factory
from bot.store.models import ChangeRow, EventRow, IncidentRow, SignalRow
from bot.triage.assemble import assemble_context
from bot.triage.card import ActionView, triage_blocks
from bot.triage.context import DEFAULT_BUDGET_TOKENS, estimate_tokens, render_untrusted
from bot.triage.runbook_triage import triage_by_runbook
from policies.runbooks import load_runbooks, runbooks_version

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_P99_MS = 20.0
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = max(0, math.ceil(q / 100 * len(ordered)) - 1)
    return ordered[index]


async def seed(sessions: Callable[..., object]) -> IncidentRow:
    """One open incident with 5 signals, 10 changes and 20 resolved predecessors."""
    async with sessions() as session, session.begin():  # type: ignore[attr-defined]
        for n in range(20):
            past = IncidentRow(
                correlation_id=uuid.uuid4().hex,
                title=f"checkout crash looping #{n}",
                service="checkout",
                environment="production",
                severity="critical",
                status="resolved",
                source="alertmanager",
                group_key=f"g{n % 3}",
                triggered_at=NOW - timedelta(days=n + 1),
                resolved_at=NOW - timedelta(days=n + 1) + timedelta(hours=1),
                updated_at=NOW,
            )
            session.add(past)
            await session.flush()
            for kind, summary in (
                ("triage.completed", "Triage: crash_looping_service, high"),
                ("action.verified", "restart_deployment verified healthy"),
            ):
                session.add(
                    EventRow(
                        incident_id=past.id,
                        at=NOW,
                        actor="smokejumper",
                        kind=kind,
                        summary=summary,
                        correlation_id="c",
                    )
                )
        incident = IncidentRow(
            correlation_id=uuid.uuid4().hex,
            title="checkout crash looping",
            service="checkout",
            environment="production",
            severity="critical",
            status="triggered",
            source="alertmanager",
            group_key="g0",
            open_group_key="g0",
            triggered_at=NOW - timedelta(minutes=5),
            updated_at=NOW,
        )
        session.add(incident)
        await session.flush()
        for n in range(5):
            session.add(
                SignalRow(
                    occurrence_key=uuid.uuid4().hex,
                    source="alertmanager",
                    fingerprint=f"fp{n}",
                    group_key="g0",
                    environment="production",
                    service="checkout",
                    severity="critical",
                    status="firing",
                    summary=f"Pod checkout-{n} is crash looping",
                    labels={
                        "alertname": "KubePodCrashLooping",
                        "pod": f"checkout-{n}",
                        "namespace": "production",
                        "service": "checkout",
                    },
                    annotations={
                        "description": "Back-off restarting failed container " * 20,
                        "runbook_url": "https://runbooks.example.com/crashloop",
                    },
                    links=[{"title": "Prometheus", "url": f"https://prom.example.com/{n}"}],
                    starts_at=NOW - timedelta(minutes=5),
                    received_at=NOW,
                    incident_id=incident.id,
                )
            )
        for n in range(10):
            session.add(
                ChangeRow(
                    source="argocd",
                    external_id=f"rev-{n}",
                    service="checkout",
                    environment="production",
                    kind="deploy",
                    subject=f"v2.{n}",
                    description=f"checkout v2.{n - 1} -> v2.{n}",
                    pointer=f"https://argocd.example.com/checkout/{n}",
                    at=NOW - timedelta(minutes=30 + n),
                    received_at=NOW,
                )
            )
    return incident


async def run_backend(
    name: str, url: str, schema: str | None, iterations: int
) -> dict[str, object]:
    engine = create_engine(url, schema)
    try:
        await migrate.upgrade(engine)
        sessions = session_factory(engine)
        incident = await seed(sessions)
        runbooks = load_runbooks()
        version = runbooks_version(runbooks)
        timings: dict[str, list[float]] = {
            "context": [],
            "triage+checks": [],
            "card": [],
            "total": [],
        }
        tokens = 0
        for _ in range(iterations):
            t0 = time.perf_counter()
            async with sessions() as session:
                context = await assemble_context(
                    session, incident, runbooks=runbooks, runbooks_version=version, now=NOW
                )
            rendered = render_untrusted(context, DEFAULT_BUDGET_TOKENS)
            t1 = time.perf_counter()
            checked = triage_by_runbook(context)
            t2 = time.perf_counter()
            views = [
                ActionView(
                    action=a.action, target=a.target, params=a.param_map(), rationale=a.rationale
                )
                for a in checked.report.proposed_actions
            ]
            triage_blocks(incident.id or 0, checked, views)
            t3 = time.perf_counter()
            tokens = estimate_tokens(rendered)
            for key, value in (
                ("context", t1 - t0),
                ("triage+checks", t2 - t1),
                ("card", t3 - t2),
                ("total", t3 - t0),
            ):
                timings[key].append(value * 1000)
        return {"backend": name, "timings": timings, "tokens": tokens, "context": context}
    finally:
        await engine.dispose()


async def postgres_target() -> tuple[str, str] | None:
    url = os.environ.get("SMOKEJUMPER_TEST_DATABASE_URL", DEFAULT_PG_URL).replace(
        "postgresql+asyncpg://", "postgresql://"
    )
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    try:
        conn = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return None
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    await conn.close()
    return url, schema


async def drop_schema(url: str, schema: str) -> None:
    conn = await asyncpg.connect(url, timeout=3)
    await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    await conn.close()


def prompt_tokens(context: object) -> tuple[int, int] | None:
    """Tokens of the full model prompt for this context, and the budget it must fit."""
    from integrations.llm.prompt import (
        SYSTEM_ALLOWANCE_TOKENS,
        build_messages,
        prompt_tokens_estimate,
    )

    messages = build_messages(context, load_runbooks(), DEFAULT_BUDGET_TOKENS)  # type: ignore[arg-type]
    return prompt_tokens_estimate(messages), DEFAULT_BUDGET_TOKENS + SYSTEM_ALLOWANCE_TOKENS


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
                results.append(await run_backend("sqlite", url, None, args.iterations))
            elif backend == "postgres":
                target = await postgres_target()
                if target is None:
                    print("postgres: skipped (no server reachable)")
                    continue
                try:
                    async_url = target[0].replace("postgresql://", "postgresql+asyncpg://", 1)
                    results.append(
                        await run_backend("postgres", async_url, target[1], args.iterations)
                    )
                finally:
                    await drop_schema(*target)
    print(f"\nTriage overhead without the model, {args.iterations} iterations per backend")
    print(f"{'backend':<10} {'stage':<15} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    ok = True
    for result in results:
        timings = result["timings"]
        assert isinstance(timings, dict)
        for stage, values in timings.items():
            print(
                f"{result['backend']:<10} {stage:<15} {statistics.median(values):>8.2f} "
                f"{percentile(values, 99):>8.2f} {max(values):>8.2f}"
            )
        p99 = percentile(timings["total"], 99)
        ok = ok and p99 < TARGET_P99_MS
    print(f"\ntarget: total p99 < {TARGET_P99_MS:.0f} ms -> {'met' if ok else 'MISSED'}")
    if results:
        print(
            f"untrusted data block: {results[0]['tokens']} tokens (budget {DEFAULT_BUDGET_TOKENS})"
        )
        prompt = prompt_tokens(results[0]["context"])
        if prompt is not None:
            within = "within" if prompt[0] <= prompt[1] else "OVER"
            print(
                f"full prompt (system + data): {prompt[0]} tokens, {within} the "
                f"{prompt[1]}-token limit (data budget + system allowance)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
