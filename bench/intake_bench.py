"""Alert intake benchmark: the real `smokejumper serve` process under an open-loop webhook load.

Starts the in-repo Slack emulator in this process, then for each database backend starts the
server as a subprocess pointed at it, posts Alertmanager v4 webhooks at a fixed target rate
(a mix of new alert groups and repeats of alerts already sent), and prints throughput,
latency, errors and the server's peak RSS.

    .venv/bin/python bench/intake_bench.py [--alerts N] [--rate R] [--backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg

from integrations.slack.emulator import RateLimits, SlackEmulator

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVER_BIN = REPO_ROOT / ".venv" / "bin" / "smokejumper"
BOT_TOKEN = "xoxb-bench"
SIGNING_SECRET = "bench-secret"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgres")

START_TIMEOUT = 60.0
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0
REQUEST_TIMEOUT = 30.0
DRAIN_TIMEOUT = 120.0
CHANNEL_SETTLE_SECONDS = 3.0
RSS_POLL_SECONDS = 0.1
SLOW_MS = 1000.0
LOG_LINE = re.compile(r"^\S+ \S+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+): (.*)$")


class BenchError(Exception):
    """The benchmark could not run against a backend; the message says why."""


# ---------------------------------------------------------------- load plan


@dataclass(frozen=True)
class Alert:
    alertname: str
    service: str
    instance: str
    severity: str
    starts_at: str
    fingerprint: str


def _new_alert(index: int, rng: random.Random, base: datetime) -> Alert:
    alertname = f"BenchAlert{index:05d}"
    service = f"svc-{index:05d}"
    instance = f"host-{rng.randrange(1, 50):02d}"
    severity = rng.choice(("critical", "warning", "warning", "error"))
    starts = base + timedelta(milliseconds=index)
    starts_at = starts.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"
    digest = hashlib.sha256(f"{alertname}|{service}|{instance}".encode()).hexdigest()
    return Alert(alertname, service, instance, severity, starts_at, digest[:16])


def build_plan(n: int, new_ratio: float, seed: int) -> list[Alert]:
    """N alerts: about `new_ratio` of them open new groups, the rest repeat earlier ones."""
    rng = random.Random(seed)
    n_new = min(n, max(1, round(n * new_ratio)))
    new_at = {0, *rng.sample(range(1, n), n_new - 1)} if n > 1 else {0}
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    sent: list[Alert] = []
    plan: list[Alert] = []
    for i in range(n):
        if i in new_at:
            alert = _new_alert(len(sent), rng, base)
            sent.append(alert)
        else:
            alert = rng.choice(sent)
        plan.append(alert)
    return plan


def webhook_body(alert: Alert) -> bytes:
    labels = {
        "alertname": alert.alertname,
        "instance": alert.instance,
        "service": alert.service,
        "severity": alert.severity,
    }
    annotations = {"summary": f"{alert.alertname} firing on {alert.service}/{alert.instance}"}
    document = {
        "receiver": "smokejumper",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": annotations,
                "startsAt": alert.starts_at,
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": f"http://prometheus:9090/graph?g0.expr={alert.alertname}",
                "fingerprint": alert.fingerprint,
            }
        ],
        "groupLabels": {"alertname": alert.alertname, "service": alert.service},
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": (f'{{}}:{{alertname="{alert.alertname}", service="{alert.service}"}}'),
        "truncatedAlerts": 0,
    }
    return json.dumps(document).encode()


# ---------------------------------------------------------------- server process


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def read_proc_kib(pid: int, key: str) -> int | None:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM), or None once the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None


def tail(path: Path, lines: int = 40) -> str:
    try:
        content = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no output captured)"
    return "\n".join(content[-lines:]) or "(no output)"


@dataclass
class ServerProcess:
    """`smokejumper serve` as a child process with its output in a log file."""

    env: dict[str, str]
    workdir: Path
    log_level: str
    port: int = field(default_factory=free_port)
    proc: asyncio.subprocess.Process | None = None
    log_path: Path = field(init=False)
    max_rss_kib: int = 0
    _sampler: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.log_path = self.workdir / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        if not SERVER_BIN.exists():
            raise BenchError(f"{SERVER_BIN} not found: install the project into .venv first")
        with self.log_path.open("wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                str(SERVER_BIN),
                "--log-level",
                self.log_level,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                cwd=self.workdir,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        self._sampler = asyncio.create_task(self._sample_rss())

    async def _sample_rss(self) -> None:
        assert self.proc is not None
        while self.proc.returncode is None:
            rss = read_proc_kib(self.proc.pid, "VmRSS")
            if rss is not None:
                self.max_rss_kib = max(self.max_rss_kib, rss)
            await asyncio.sleep(RSS_POLL_SECONDS)

    def peak_rss_kib(self) -> int:
        """VmHWM (the kernel's high-water mark) if readable, else the sampled maximum."""
        assert self.proc is not None
        hwm = read_proc_kib(self.proc.pid, "VmHWM") if self.proc.returncode is None else None
        return max(hwm or 0, self.max_rss_kib)

    def _failure(self, what: str) -> BenchError:
        assert self.proc is not None
        code = self.proc.returncode
        state = f"exited with code {code}" if code is not None else "still running"
        return BenchError(
            f"server {what} ({state}); last output from {self.log_path}:\n{tail(self.log_path)}"
        )

    async def wait_ready(self, session: aiohttp.ClientSession) -> None:
        await self._poll(session, "/healthz", START_TIMEOUT, "did not answer /healthz")
        await self._poll(session, "/readyz", READY_TIMEOUT, "did not become ready on /readyz")

    async def _poll(
        self, session: aiohttp.ClientSession, path: str, timeout: float, what: str
    ) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.returncode is not None:
                raise self._failure("exited during start-up")
            try:
                async with session.get(
                    self.url + path, timeout=aiohttp.ClientTimeout(total=5)
                ) as resp:
                    body = await resp.text()
                    if resp.status == 200:
                        return
                    last = f"HTTP {resp.status}: {body[:300]}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            await asyncio.sleep(0.1)
        raise self._failure(f"{what} within {timeout:.0f}s (last: {last})")

    async def stop(self) -> int | None:
        """SIGTERM, wait, SIGKILL as a last resort; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), STOP_TIMEOUT)
            except TimeoutError:
                print(f"  ! server did not exit {STOP_TIMEOUT:.0f}s after SIGTERM; killing it")
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await asyncio.wait_for(self.proc.wait(), 10)
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler
        return self.proc.returncode


def server_env(api_url: str, database_url: str, schema: str | None) -> dict[str, str]:
    """The parent's environment without Slack/smokejumper settings, plus the bench's own."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SMOKEJUMPER_", "SLACK_"))
    }
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SMOKEJUMPER_SLACK_API_URL=api_url,
        SMOKEJUMPER_DATABASE_URL=database_url,
        # The load posts without a token, as a trusted in-cluster Alertmanager might.
        SMOKEJUMPER_ALERTMANAGER_ALLOW_UNAUTHENTICATED="true",
        PYTHONUNBUFFERED="1",
    )
    if schema:
        env["SMOKEJUMPER_DATABASE_SCHEMA"] = schema
    return env


# ---------------------------------------------------------------- postgres schema


def asyncpg_dsn(url: str) -> str:
    scheme, rest = url.split("://", 1)
    if scheme.startswith(("postgresql", "postgres")):
        return "postgresql://" + rest
    raise BenchError(f"not a PostgreSQL URL: {scheme}://…")


async def create_schema(url: str) -> str:
    name = f"bench_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=5)
    try:
        await conn.execute(f'CREATE SCHEMA "{name}"')
    finally:
        await conn.close(timeout=5)
    return name


async def drop_schema(url: str, name: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=5)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE', timeout=30)
    finally:
        await conn.close(timeout=5)


# ---------------------------------------------------------------- load


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    accepted: int = 0
    errors: int = 0
    wall_seconds: float = 0.0
    max_schedule_lag_ms: float = 0.0

    def record_error(self, label: str, detail: str) -> None:
        self.errors += 1
        self.statuses[label] += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(f"{label}: {detail[:300]}")


async def run_load(
    session: aiohttp.ClientSession, url: str, bodies: Sequence[bytes], rate: float
) -> LoadResult:
    """Open loop: request i is sent at start + i/rate however slowly earlier ones answer."""
    result = LoadResult()
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    headers = {"Content-Type": "application/json"}
    last_done = 0.0

    async def send(body: bytes) -> None:
        nonlocal last_done
        began = time.perf_counter()
        try:
            async with session.post(url, data=body, headers=headers, timeout=timeout) as resp:
                text = await resp.text()
                status = resp.status
        except TimeoutError:
            result.record_error("timeout", f"no answer within {REQUEST_TIMEOUT:.0f}s")
            return
        except aiohttp.ClientError as exc:
            result.record_error(type(exc).__name__, str(exc))
            return
        finally:
            last_done = max(last_done, time.perf_counter())
        result.latencies_ms.append((time.perf_counter() - began) * 1000)
        if 200 <= status < 300:
            result.accepted += 1
            result.statuses[str(status)] += 1
            with contextlib.suppress(ValueError, AttributeError):
                for outcome, count in json.loads(text).get("outcomes", {}).items():
                    result.outcomes[outcome] += int(count)
        else:
            result.record_error(str(status), text)

    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    for i, body in enumerate(bodies):
        target = start + i / rate
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        result.max_schedule_lag_ms = max(
            result.max_schedule_lag_ms, (time.perf_counter() - target) * 1000
        )
        tasks.append(asyncio.create_task(send(body)))
    _done, pending = await asyncio.wait(tasks, timeout=DRAIN_TIMEOUT)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
        for _ in pending:
            result.record_error("unfinished", f"still pending {DRAIN_TIMEOUT:.0f}s after sending")
    result.wall_seconds = max(last_done, time.perf_counter() if pending else 0.0) - start
    return result


# ---------------------------------------------------------------- one backend


@dataclass
class BackendResult:
    backend: str
    alerts: int
    rate: float
    load: LoadResult
    peak_rss_kib: int
    channels: int
    exit_code: int | None
    log_levels: Counter[str]
    log_problems: list[str]


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def scan_log(path: Path) -> tuple[Counter[str], list[str]]:
    """Counts of log levels, and the distinct WARNING/ERROR messages and tracebacks."""
    levels: Counter[str] = Counter()
    problems: Counter[str] = Counter()
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return levels, []
    for line in lines:
        match = LOG_LINE.match(line)
        if match:
            level, logger, message = match.groups()
            levels[level] += 1
            if level in ("WARNING", "ERROR", "CRITICAL"):
                # Fold numbers and hex ids so repeats of one problem count together.
                key = re.sub(r"\b[0-9a-f]{8,}\b|\d+", "#", message)[:200]
                problems[f"{level} {logger}: {key}"] += 1
        elif line.startswith("Traceback"):
            levels["Traceback"] += 1
        elif re.match(r"^\w+(\.\w+)*(Error|Exception): ", line):
            problems[f"exception: {line[:200]}"] += 1
    return levels, [f"{count}x {text}" for text, count in problems.most_common(10)]


async def run_backend(
    backend: str, bodies: Sequence[bytes], args: argparse.Namespace
) -> BackendResult | None:
    schema: str | None = None
    pg_url = os.environ.get("SMOKEJUMPER_TEST_DATABASE_URL") or DEFAULT_PG_URL
    if backend == "postgres":
        try:
            schema = await asyncio.wait_for(create_schema(pg_url), 10)
        except (OSError, TimeoutError, asyncpg.PostgresError, BenchError) as exc:
            print(f"postgres: skipped, database unreachable ({type(exc).__name__}: {exc})")
            return None

    emulator = SlackEmulator(bot_token=BOT_TOKEN, rate_limits=RateLimits.unlimited())
    await emulator.start()
    workdir = Path(tempfile.mkdtemp(prefix=f"intake-bench-{backend}-"))
    database_url = f"sqlite:///{workdir}/bench.db" if backend == "sqlite" else pg_url
    server = ServerProcess(
        server_env(emulator.api_url, database_url, schema), workdir, args.server_log_level
    )
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            await server.start()
            await server.wait_ready(session)
            print(f"{backend}: server ready on {server.url} (log {server.log_path}); sending...")
            load = await run_load(session, server.url + "/alerts/alertmanager", bodies, args.rate)
            await asyncio.sleep(CHANNEL_SETTLE_SECONDS)
            peak = server.peak_rss_kib()
            channels = sum(1 for c in emulator.state.channels.values() if c.name.startswith("inc-"))
        exit_code = await server.stop()
        levels, problems = scan_log(server.log_path)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        return BackendResult(
            backend, len(bodies), args.rate, load, peak, channels, exit_code, levels, problems
        )
    finally:
        await server.stop()
        await emulator.stop()
        if schema is not None:
            try:
                await asyncio.wait_for(drop_schema(pg_url, schema), 40)
            except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
                print(f"  ! could not drop schema {schema}: {type(exc).__name__}: {exc}")


# ---------------------------------------------------------------- report


def print_table(results: Sequence[BackendResult]) -> None:
    header = (
        "backend",
        "alerts",
        "target rate",
        "achieved alerts/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "errors",
        "peak RSS MiB",
    )
    rows: list[tuple[str, ...]] = []
    for r in results:
        lat = sorted(r.load.latencies_ms)
        achieved = r.load.accepted / r.load.wall_seconds if r.load.wall_seconds > 0 else 0.0
        rows.append(
            (
                r.backend,
                str(r.alerts),
                f"{r.rate:g}/s",
                f"{achieved:.1f}",
                f"{percentile(lat, 50):.1f}",
                f"{percentile(lat, 99):.1f}",
                f"{max(lat) if lat else math.nan:.1f}",
                str(r.load.errors),
                f"{r.peak_rss_kib / 1024:.1f}",
            )
        )
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(widths[i + 1]) for i, cell in enumerate(cells[1:]))
        return " | ".join([first, *rest])

    print()
    print(line(header))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    print()


def print_details(r: BackendResult) -> None:
    load = r.load
    slow = sum(1 for ms in load.latencies_ms if ms > SLOW_MS)
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(load.statuses.items()))
    outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(load.outcomes.items())) or "none"
    levels = ", ".join(f"{k}: {v}" for k, v in sorted(r.log_levels.items())) or "none"
    print(f"{r.backend}:")
    print(f"  incident channels in emulator (inc-*): {r.channels}")
    print(f"  responses: {statuses}; signal outcomes: {outcomes}")
    print(
        f"  wall {load.wall_seconds:.2f}s; requests over {SLOW_MS:.0f} ms: {slow}; "
        f"max send lag behind schedule: {load.max_schedule_lag_ms:.1f} ms"
    )
    print(f"  server log lines by level: {levels}; exit code after SIGTERM: {r.exit_code}")
    for sample in load.error_samples:
        print(f"  error sample: {sample}")
    for problem in r.log_problems:
        print(f"  server log: {problem}")


async def main_async(args: argparse.Namespace) -> int:
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = [b for b in backends if b not in BACKENDS]
    if unknown or not backends:
        print(f"unknown backend(s) {unknown}; choose from {', '.join(BACKENDS)}", file=sys.stderr)
        return 2
    plan = build_plan(args.alerts, args.new_ratio, args.seed)
    bodies = [webhook_body(alert) for alert in plan]
    distinct = len({alert.fingerprint for alert in plan})
    print(
        f"{args.alerts} alerts at {args.rate:g}/s ({args.alerts / args.rate:.1f}s): "
        f"{distinct} distinct alert groups, {args.alerts - distinct} repeats"
    )
    results: list[BackendResult] = []
    failed = False
    for backend in backends:
        try:
            result = await run_backend(backend, bodies, args)
        except BenchError as exc:
            print(f"{backend}: FAILED: {exc}", file=sys.stderr)
            failed = True
            continue
        if result is not None:
            results.append(result)
    if results:
        print_table(results)
        for result in results:
            print_details(result)
    return 1 if failed else 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--alerts", type=int, default=2000, help="webhooks to send (2000)")
    parser.add_argument("--rate", type=float, default=200.0, help="target webhooks/s (200)")
    parser.add_argument(
        "--backends", default="sqlite,postgres", help="comma-separated: sqlite, postgres"
    )
    parser.add_argument(
        "--new-ratio", type=float, default=0.2, help="share of alerts that open new groups (0.2)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed for the alert mix")
    parser.add_argument("--server-log-level", default="INFO", help="server --log-level (INFO)")
    parser.add_argument(
        "--keep", action="store_true", help="keep each run's folder (server log, SQLite file)"
    )
    args = parser.parse_args(argv)
    if args.alerts < 1 or args.rate <= 0 or not 0 < args.new_ratio <= 1:
        parser.error("--alerts must be ≥ 1, --rate > 0, and 0 < --new-ratio ≤ 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
