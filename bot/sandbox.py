"""`smokejumper sandbox`: the real bot against local peers, one alert through the whole loop."""

from __future__ import annotations

import tempfile
from pathlib import Path

import aiohttp

from bot.demo.peers import SandboxPeers
from bot.demo.report import render_report
from bot.demo.rig import build_bot, driver_for
from bot.demo.story import Story
from bot.domain.clock import VirtualTime


async def run_sandbox(database_url: str | None = None, time: VirtualTime | None = None) -> str:
    """Fire the demo alert through the whole bot; return what happened as text.

    The bot and the emulators share a virtual clock: Slack's pacing, the verification
    window and the day between the two incidents all apply, but their waits move the
    clock instead of holding up a demo whose output is printed at the end.
    """
    time = time if time is not None else VirtualTime()
    workdir = Path(tempfile.mkdtemp(prefix="smokejumper-sandbox-"))
    peers = SandboxPeers(workdir, time)
    bot = None
    try:
        await peers.start()
        url = database_url or f"sqlite+aiosqlite:///{workdir / 'smokejumper.db'}"
        bot = build_bot(peers, time, url, run_outbox=False)
        await bot.start("127.0.0.1", 0)
        async with driver_for(bot, peers) as driver, aiohttp.ClientSession() as http:
            story = Story(bot, peers, driver, time, http)
            await story.run()
        return render_report(story.log, peers)
    finally:
        if bot is not None:
            await bot.stop()
        await peers.stop()
