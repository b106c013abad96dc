"""Background WAL checkpoints for SQLite, off the request path.

SQLite's automatic checkpoint runs inside whichever commit crosses the threshold and
fsyncs the database there, stalling every request queued behind that connection. Doing
it from a separate connection in a thread keeps commits short; PASSIVE never blocks
writers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)


def _checkpoint(path: Path) -> None:
    connection = sqlite3.connect(path, timeout=1.0)
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        connection.close()


class WalCheckpointer:
    def __init__(self, path: Path, interval_seconds: float = 2.0) -> None:
        self._path = path
        self._interval = interval_seconds

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            with contextlib.suppress(sqlite3.Error):
                await asyncio.to_thread(_checkpoint, self._path)
