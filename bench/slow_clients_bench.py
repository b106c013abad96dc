"""Stalled uploads against the real server: 300 clients each announce a 1 MiB body, send
all of it but the last byte, and stop. Prints how fast the server cut each one off
(answered and closed), and its resident memory before, at the peak and after.

    python bench/slow_clients_bench.py [--clients 300] [--body-timeout 5]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

# Run as a script, this folder is on the path: the server helpers are shared.
from intake_bench import BOT_TOKEN, ServerProcess, read_proc_kib, server_env
from slack_sdk.web.async_client import AsyncWebClient

from integrations.slack.emulator import SlackEmulator

MIB = 1024 * 1024
# Memory must be back within this of the baseline once the clients are gone.
RSS_TARGET_MIB = 20


async def stalled_client(port: int, started: float) -> tuple[float, bytes]:
    """Seconds until the server closed the connection, and its status line."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        "POST /alerts/alertmanager HTTP/1.1\r\nHost: bench\r\n"
        f"Content-Type: application/json\r\nContent-Length: {MIB}\r\n\r\n"
    ).encode()
    status = b""
    try:
        writer.write(head + b" " * (MIB - 1))
        await writer.drain()
        answer = await reader.read()
        status = answer.split(b"\r\n", 1)[0]
    except ConnectionError:
        status = b"(reset)"
    finally:
        writer.close()
    return time.perf_counter() - started, status


def rss_mib(server: ServerProcess) -> float:
    assert server.proc is not None
    return (read_proc_kib(server.proc.pid, "VmRSS") or 0) / 1024


async def run(args: argparse.Namespace) -> int:
    emulator = SlackEmulator(bot_token=BOT_TOKEN)
    await emulator.start()
    await AsyncWebClient(token=BOT_TOKEN, base_url=emulator.api_url).conversations_create(
        name="incidents"
    )
    workdir = Path(tempfile.mkdtemp(prefix="slow-clients-bench-"))
    env = server_env(emulator.api_url, f"sqlite:///{workdir}/bench.db", None)
    env["SMOKEJUMPER_BODY_TIMEOUT_SECONDS"] = str(args.body_timeout)
    env["SMOKEJUMPER_HEADER_TIMEOUT_SECONDS"] = str(args.body_timeout)
    server = ServerProcess(env, workdir, "WARNING")
    try:
        async with aiohttp.ClientSession() as session:
            await server.start()
            await server.wait_ready(session)
            await asyncio.sleep(1)
            baseline = rss_mib(server)
            started = time.perf_counter()
            results = await asyncio.gather(
                *(stalled_client(server.port, started) for _ in range(args.clients))
            )
            peak = server.peak_rss_kib() / 1024
            await asyncio.sleep(2)
            after = rss_mib(server)
    finally:
        await server.stop()
        await emulator.stop()
    times = sorted(t for t, _ in results)
    statuses: dict[str, int] = {}
    for _, status in results:
        key = status.decode(errors="replace") or "(closed)"
        statuses[key] = statuses.get(key, 0) + 1
    slack = 1.0
    within = sum(1 for t in times if t <= args.body_timeout + slack)
    rows = [
        ("stalled clients", f"{args.clients} x 1 MiB (all but the last byte)"),
        ("body deadline", f"{args.body_timeout:g} s"),
        ("cut off within deadline + 1 s", f"{within}/{args.clients}"),
        ("slowest cut-off", f"{times[-1]:.2f} s"),
        ("median cut-off", f"{times[len(times) // 2]:.2f} s"),
        *((f"answer {k}", str(v)) for k, v in sorted(statuses.items())),
        ("RSS baseline", f"{baseline:.1f} MiB"),
        ("RSS peak", f"{peak:.1f} MiB"),
        ("RSS after (2 s later)", f"{after:.1f} MiB"),
        ("RSS after - baseline", f"{after - baseline:+.1f} MiB (target ≤ {RSS_TARGET_MIB})"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    ok = within == args.clients and after - baseline <= RSS_TARGET_MIB
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--body-timeout", type=float, default=5.0)
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
