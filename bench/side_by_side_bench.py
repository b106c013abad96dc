"""Side by side: Alertmanager 0.25, a bare Bolt app and smokejumper under the same load.

In one run, on this machine:

- intake: 4,000 single-alert requests, 20 at a time, 400 distinct alerts, at Alertmanager
  (`POST /api/v2/alerts`, kept in memory) and at `smokejumper serve`
  (`POST /alerts/alertmanager`, committed before the 2xx) on SQLite and PostgreSQL;
- acks: 2,000 signed `/incident status` slash commands, 50 at a time, at a bare Bolt
  `AsyncApp` on aiohttp (bench/bare_bolt_app.py) and at smokejumper.

Prints alerts/s and acks/s, p50/p99, the ratio to the reference, and each server's peak
RSS (VmHWM). Alertmanager comes from the Debian package `prometheus-alertmanager`; without
it that column is skipped and says so.

    .venv/bin/python bench/side_by_side_bench.py [--requests N] [--commands N]
                                                 [--backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import asyncpg

# Run as a script, this folder is on the path: the server and load helpers are shared.
from intake_bench import (
    BOT_TOKEN,
    DEFAULT_PG_URL,
    SIGNING_SECRET,
    BenchError,
    ServerProcess,
    create_schema,
    drop_schema,
    free_port,
    percentile,
    read_proc_kib,
    server_env,
    tail,
)
from slack_sdk.signature import SignatureVerifier

from integrations.slack.emulator import RateLimits, SlackEmulator

REPO_ROOT = Path(__file__).resolve().parent.parent
ALERTMANAGER_BIN = Path("/usr/bin/prometheus-alertmanager")
HAVE_ALERTMANAGER = ALERTMANAGER_BIN.exists()
BARE_BOLT = REPO_ROOT / "bench" / "bare_bolt_app.py"
PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
REQUEST_TIMEOUT = 30.0
START_TIMEOUT = 30.0
RSS_POLL_SECONDS = 0.05

# Targets from issue 16, printed beside the figures.
TARGET_ALERTS_PER_S = 3000.0
TARGET_INTAKE_P99_MS = 50.0
TARGET_ACK_P99_RATIO = 1.5
TARGET_RSS_MIB = 200.0


# ---------------------------------------------------------------- load


@dataclass
class Run:
    """One load against one server."""

    label: str
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    peak_rss_kib: int = 0

    @property
    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if s.startswith("2"))

    @property
    def per_second(self) -> float:
        return self.ok / self.wall_seconds if self.wall_seconds else 0.0

    def p(self, q: float) -> float:
        return percentile(sorted(self.latencies_ms), q)


Request = tuple[bytes, dict[str, str]]


async def closed_loop(
    session: aiohttp.ClientSession,
    url: str,
    requests: Sequence[Callable[[], Request]],
    concurrency: int,
    run: Run,
) -> None:
    """`concurrency` workers, each sending its next request as soon as the last answers."""
    queue = iter(requests)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)

    async def worker() -> None:
        for make in queue:
            body, headers = make()
            began = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=headers, timeout=timeout) as resp:
                    text = await resp.text()
                    status = str(resp.status)
            except (TimeoutError, aiohttp.ClientError) as exc:
                status, text = type(exc).__name__, str(exc)
            run.latencies_ms.append((time.perf_counter() - began) * 1000)
            run.statuses[status] += 1
            if not status.startswith("2") and len(run.samples) < 3:
                run.samples.append(f"{status}: {text[:200]}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    run.wall_seconds = time.perf_counter() - started


def alert_labels(index: int) -> dict[str, str]:
    return {
        "alertname": f"SideBySide{index:04d}",
        "service": f"svc-{index % 40:02d}",
        "instance": f"host-{index:04d}",
        "severity": "warning",
    }


def alertmanager_requests(n: int, distinct: int, starts: str) -> list[Callable[[], Request]]:
    headers = {"Content-Type": "application/json"}
    bodies = [
        json.dumps(
            [
                {
                    "labels": alert_labels(i),
                    "annotations": {"summary": f"alert {i} is firing"},
                    "startsAt": starts,
                    "generatorURL": "http://prometheus:9090/graph",
                }
            ]
        ).encode()
        for i in range(distinct)
    ]
    return [lambda body=bodies[k % distinct]: (body, headers) for k in range(n)]


def webhook_requests(n: int, distinct: int, starts: str) -> list[Callable[[], Request]]:
    headers = {"Content-Type": "application/json"}
    bodies = []
    for i in range(distinct):
        labels = alert_labels(i)
        alert = {
            "status": "firing",
            "labels": labels,
            "annotations": {"summary": f"alert {i} is firing"},
            "startsAt": starts,
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph",
            "fingerprint": f"{i:016x}",
        }
        document = {
            "receiver": "smokejumper",
            "status": "firing",
            "alerts": [alert],
            "groupLabels": {"alertname": labels["alertname"]},
            "commonLabels": labels,
            "commonAnnotations": alert["annotations"],
            "externalURL": "http://alertmanager:9093",
            "version": "4",
            "groupKey": f'{{}}:{{alertname="{labels["alertname"]}"}}',
            "truncatedAlerts": 0,
        }
        bodies.append(json.dumps(document).encode())
    return [lambda body=bodies[k % distinct]: (body, headers) for k in range(n)]


def command_requests(n: int, emulator: SlackEmulator) -> list[Callable[[], Request]]:
    """Signed `/incident status` commands, each unique (its trigger id), signed when sent."""
    verifier = SignatureVerifier(SIGNING_SECRET)
    response_url = emulator.response_url("commands", channel_id="C0BENCH", user_id="U0BENCH")

    def make(k: int) -> Request:
        body = urlencode(
            {
                "token": "verification",
                "team_id": "T0BENCH",
                "channel_id": "C0BENCH",
                "channel_name": "bench",
                "user_id": "U0BENCH",
                "user_name": "bench",
                "command": "/incident",
                "text": "status",
                "api_app_id": "A0BENCH",
                "response_url": response_url,
                "trigger_id": f"{k}.{uuid.uuid4().hex}",
            }
        )
        timestamp = str(int(time.time()))
        signature = verifier.generate_signature(timestamp=timestamp, body=body) or ""
        return body.encode(), {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        }

    return [lambda k=k: make(k) for k in range(n)]


# ---------------------------------------------------------------- reference servers


@dataclass
class ChildProcess:
    """A reference server as a child process, its peak RSS sampled."""

    argv: list[str]
    port: int
    workdir: Path
    proc: asyncio.subprocess.Process | None = None
    max_rss_kib: int = 0
    _sampler: asyncio.Task[None] | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / "child.log"

    async def start(self, session: aiohttp.ClientSession, ready_path: str, method: str) -> None:
        with self.log_path.open("wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv,
                cwd=self.workdir,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        self._sampler = asyncio.create_task(self._sample())
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.returncode is not None:
                raise BenchError(f"{self.argv[0]} exited:\n{tail(self.log_path)}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.request(
                    method, f"http://127.0.0.1:{self.port}{ready_path}"
                ) as resp:
                    if resp.status < 500:
                        return
            await asyncio.sleep(0.1)
        raise BenchError(f"{self.argv[0]} did not start:\n{tail(self.log_path)}")

    async def _sample(self) -> None:
        assert self.proc is not None
        while self.proc.returncode is None:
            self.max_rss_kib = max(self.max_rss_kib, read_proc_kib(self.proc.pid, "VmRSS") or 0)
            await asyncio.sleep(RSS_POLL_SECONDS)

    def peak_rss_kib(self) -> int:
        assert self.proc is not None
        return max(read_proc_kib(self.proc.pid, "VmHWM") or 0, self.max_rss_kib)

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler


def alertmanager(workdir: Path) -> ChildProcess:
    config = workdir / "alertmanager.yml"
    config.write_text("route:\n  receiver: blackhole\nreceivers:\n- name: blackhole\n")
    port = free_port()
    argv = [
        str(ALERTMANAGER_BIN),
        f"--config.file={config}",
        f"--storage.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
    return ChildProcess(argv, port, workdir)


def bare_bolt(workdir: Path, api_url: str) -> ChildProcess:
    port = free_port()
    argv = [str(PYTHON), str(BARE_BOLT), "--port", str(port), "--api-url", api_url]
    return ChildProcess(argv, port, workdir)


# ---------------------------------------------------------------- one run


@dataclass
class Figures:
    intake: dict[str, Run] = field(default_factory=dict)
    # Each backend's intake run in its two parts: (backend, "new alerts" | "repeats").
    parts: dict[tuple[str, str], Run] = field(default_factory=dict)
    acks: dict[str, Run] = field(default_factory=dict)
    rss_kib: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


async def run_references(
    session: aiohttp.ClientSession,
    args: argparse.Namespace,
    emulator: SlackEmulator,
    figures: Figures,
    starts: str,
) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="side-by-side-ref-"))
    try:
        if HAVE_ALERTMANAGER:
            am = alertmanager(workdir)
            try:
                await am.start(session, "/-/ready", "GET")
                run = Run("Alertmanager 0.25 /api/v2/alerts (in memory)")
                requests = alertmanager_requests(args.requests, args.distinct, starts)
                url = f"http://127.0.0.1:{am.port}/api/v2/alerts"
                await closed_loop(session, url, requests, args.intake_concurrency, run)
                run.peak_rss_kib = am.peak_rss_kib()
                figures.intake["alertmanager"] = run
                figures.rss_kib["Alertmanager"] = run.peak_rss_kib
            finally:
                await am.stop()
        else:
            figures.skipped.append(
                f"Alertmanager: {ALERTMANAGER_BIN} not found; install it with "
                "`apt-get update && apt-get install -y prometheus-alertmanager`"
            )
        bolt = bare_bolt(workdir, emulator.api_url)
        try:
            await bolt.start(session, "/slack/events", "POST")
            run = Run("bare Bolt AsyncApp on aiohttp")
            url = f"http://127.0.0.1:{bolt.port}/slack/events"
            requests = command_requests(args.commands, emulator)
            await closed_loop(session, url, requests, args.ack_concurrency, run)
            run.peak_rss_kib = bolt.peak_rss_kib()
            figures.acks["bolt"] = run
            figures.rss_kib["bare Bolt"] = run.peak_rss_kib
        finally:
            await bolt.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


async def run_smokejumper(
    backend: str,
    session: aiohttp.ClientSession,
    args: argparse.Namespace,
    emulator: SlackEmulator,
    figures: Figures,
    starts: str,
) -> None:
    pg_url = os.environ.get("SMOKEJUMPER_TEST_DATABASE_URL") or DEFAULT_PG_URL
    schema: str | None = None
    if backend == "postgres":
        try:
            schema = await asyncio.wait_for(create_schema(pg_url), 10)
        except (OSError, TimeoutError, asyncpg.PostgresError, BenchError) as exc:
            figures.skipped.append(f"postgres: database unreachable ({type(exc).__name__}: {exc})")
            return
    workdir = Path(tempfile.mkdtemp(prefix=f"side-by-side-{backend}-"))
    database_url = f"sqlite:///{workdir}/bench.db" if backend == "sqlite" else pg_url
    env = server_env(emulator.api_url, database_url, schema)
    server = ServerProcess(env, workdir, args.server_log_level)
    try:
        await server.start()
        await server.wait_ready(session)
        run = Run(f"smokejumper /alerts/alertmanager, {backend}")
        url = server.url + "/alerts/alertmanager"
        requests = webhook_requests(args.requests, args.distinct, starts)
        # The same requests in the same order, timed in two parts: the first delivery of
        # each alert (a new signal, grouped into an incident) and the repeats after it.
        parts = {"new alerts": requests[: args.distinct], "repeats": requests[args.distinct :]}
        for part, part_requests in parts.items():
            part_run = Run(f"  of which {part}, {backend}")
            await closed_loop(session, url, part_requests, args.intake_concurrency, part_run)
            run.latencies_ms += part_run.latencies_ms
            run.statuses += part_run.statuses
            run.samples += part_run.samples
            run.wall_seconds += part_run.wall_seconds
            figures.parts[(backend, part)] = part_run
        figures.intake[backend] = run
        acks = Run(f"smokejumper /slack/events, {backend}")
        requests = command_requests(args.commands, emulator)
        await closed_loop(
            session, server.url + "/slack/events", requests, args.ack_concurrency, acks
        )
        figures.acks[backend] = acks
        # Let the work behind the acks finish, so the peak includes it.
        await asyncio.sleep(2.0)
        run.peak_rss_kib = acks.peak_rss_kib = server.peak_rss_kib()
        figures.rss_kib[f"smokejumper ({backend})"] = run.peak_rss_kib
    except BenchError as exc:
        figures.skipped.append(f"smokejumper on {backend}: {exc}")
    finally:
        await server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        if schema is not None:
            with contextlib.suppress(OSError, TimeoutError, asyncpg.PostgresError):
                await asyncio.wait_for(drop_schema(pg_url, schema), 40)


# ---------------------------------------------------------------- report


def table(title: str, runs: dict[str, Run], reference: str | None, unit: str) -> None:
    ref = runs.get(reference) if reference else None
    print(f"\n{title}")
    print(f"| | {unit}/s | p50 ms | p99 ms | ratio (rate) | ratio (p99) | non-2xx |")
    print("|---|---|---|---|---|---|---|")
    for run in runs.values():
        failed = sum(n for s, n in run.statuses.items() if not s.startswith("2"))
        rate_ratio = f"{run.per_second / ref.per_second:.2f}x" if ref and ref.per_second else "-"
        p99_ratio = f"{run.p(99) / ref.p(99):.2f}x" if ref and ref.p(99) else "-"
        print(
            f"| {run.label} | {run.per_second:,.0f} | {run.p(50):.1f} | {run.p(99):.1f} "
            f"| {rate_ratio} | {p99_ratio} | {failed} |"
        )
        for sample in run.samples:
            print(f"    ! {sample}")


def verdicts(figures: Figures) -> list[str]:
    lines = []
    for backend in ("sqlite", "postgres"):
        run = figures.intake.get(backend)
        if run is not None:
            ok = run.per_second >= TARGET_ALERTS_PER_S and run.p(99) < TARGET_INTAKE_P99_MS
            lines.append(
                f"intake {backend}: {run.per_second:,.0f}/s, p99 {run.p(99):.1f} ms "
                f"(target ≥ {TARGET_ALERTS_PER_S:,.0f}/s, p99 < {TARGET_INTAKE_P99_MS:.0f} ms): "
                + ("met" if ok else "MISSED")
            )
        acks, bolt = figures.acks.get(backend), figures.acks.get("bolt")
        if acks is not None and bolt is not None and bolt.p(99):
            ratio = acks.p(99) / bolt.p(99)
            lines.append(
                f"acks {backend}: p99 {ratio:.2f}x bare Bolt's "
                f"(target ≤ {TARGET_ACK_P99_RATIO}x): "
                + ("met" if ratio <= TARGET_ACK_P99_RATIO else "MISSED")
            )
    for name, kib in figures.rss_kib.items():
        if name.startswith("smokejumper"):
            mib = kib / 1024
            lines.append(
                f"peak RSS {name}: {mib:.0f} MiB (target < {TARGET_RSS_MIB:.0f} MiB): "
                + ("met" if mib < TARGET_RSS_MIB else "MISSED")
            )
    return lines


def report(figures: Figures, args: argparse.Namespace) -> None:
    intake: dict[str, Run] = {}
    for key, run in figures.intake.items():
        intake[key] = run
        for part in ("new alerts", "repeats"):
            if (key, part) in figures.parts:
                intake[f"{key} {part}"] = figures.parts[(key, part)]
    table(
        f"Intake: {args.requests:,} single-alert requests, {args.intake_concurrency} concurrent, "
        f"{args.distinct} distinct alerts (ratio to Alertmanager)",
        intake,
        "alertmanager",
        "alerts",
    )
    table(
        f"Acks: {args.commands:,} signed `/incident status`, {args.ack_concurrency} concurrent "
        "(ratio to the bare Bolt app)",
        figures.acks,
        "bolt",
        "acks",
    )
    print("\nPeak RSS (VmHWM)")
    for name, kib in figures.rss_kib.items():
        print(f"  {name}: {kib / 1024:.0f} MiB")
    for line in figures.skipped:
        print(f"skipped: {line}")
    print()
    for line in verdicts(figures):
        print(line)


async def main_async(args: argparse.Namespace) -> int:
    emulator = SlackEmulator(bot_token=BOT_TOKEN, rate_limits=RateLimits.unlimited())
    await emulator.start()
    figures = Figures()
    # A fixed start a minute ago: every repeat of an alert is the same occurrence.
    starts = (datetime.now(UTC) - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    connector = aiohttp.TCPConnector(limit=0)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            await run_references(session, args, emulator, figures, starts)
            for backend in args.backends.split(","):
                await run_smokejumper(backend, session, args, emulator, figures, starts)
    finally:
        await emulator.stop()
    report(figures, args)
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=4000, help="intake requests (4000)")
    parser.add_argument("--distinct", type=int, default=400, help="distinct alerts (400)")
    parser.add_argument("--intake-concurrency", type=int, default=20)
    parser.add_argument("--commands", type=int, default=2000, help="slash commands (2000)")
    parser.add_argument("--ack-concurrency", type=int, default=50)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--server-log-level", default="INFO", help="server --log-level (INFO, as it serves)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
