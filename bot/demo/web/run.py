"""Run the sandbox with its web page until interrupted."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.app import Smokejumper
from bot.demo.clock import ShiftableTime
from bot.demo.peers import SandboxPeers
from bot.demo.rig import build_bot, driver_for
from bot.demo.web.recovery import Recovery
from bot.demo.web.routes import SandboxPage
from integrations.slack.emulator import SlackDriver


@dataclass
class WebSandbox:
    """The peers, the bot (outbox running, as served), and the page; start() then stop()."""

    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str | None = None
    url: str = ""

    async def start(self) -> None:
        self.time = ShiftableTime()
        workdir = Path(tempfile.mkdtemp(prefix="smokejumper-sandbox-web-"))
        self.peers = SandboxPeers(workdir, self.time)
        await self.peers.start()
        database_url = self.database_url or f"sqlite+aiosqlite:///{workdir / 'smokejumper.db'}"
        # Verification looks again every few seconds so a person sees it happen.
        self.bot: Smokejumper = build_bot(
            self.peers, self.time, database_url, run_outbox=True, verify_poll_seconds=2
        )
        await self.bot.start("127.0.0.1", 0)
        self.driver: SlackDriver = driver_for(self.bot, self.peers)
        self.http = aiohttp.ClientSession()
        self.recovery = Recovery(self.bot, self.peers, self.time, self.http)
        self._recovery_task = asyncio.create_task(self.recovery.run_forever())
        page = SandboxPage(self.bot, self.peers, self.driver, self.time, self.http, self.recovery)
        # SSE responses never finish by themselves; do not wait long for them at shutdown.
        self._runner = web.AppRunner(page.web_app(), access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://{self.host}:{port}/"

    async def stop(self) -> None:
        self._recovery_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._recovery_task
        await self._runner.cleanup()
        await self.http.close()
        await self.driver.close()
        await self.bot.stop()
        await self.peers.stop()


async def serve_web(host: str, port: int, database_url: str | None) -> None:
    """Start, print where the page is, and run until SIGINT or SIGTERM."""
    sandbox = WebSandbox(host, port, database_url)
    await sandbox.start()
    print(f"smokejumper sandbox: open {sandbox.url} (Ctrl-C stops it)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await sandbox.stop()
