"""An aiosqlite connection whose statements take one trip to its thread, not four.

aiosqlite runs each call on the connection's own thread and hands the result back to
the event loop; SQLAlchemy's adapter makes four such calls per statement (create the
cursor, execute, fetch the rows, close the cursor). Each trip waits for the loop's next
turn, which on a loop busy with requests is most of a statement's time. Here creating
a cursor needs no trip (it does no I/O), the rows are fetched in the same trip as the
execute, and the close is queued behind it without being waited for: the thread still
runs everything in order.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import aiosqlite
from aiosqlite.context import contextmanager


class PrefetchingCursor(aiosqlite.Cursor):
    """Executes and fetches in one trip; serves the fetched rows without another."""

    def __init__(self, conn: aiosqlite.Connection, cursor: sqlite3.Cursor) -> None:
        super().__init__(conn, cursor)
        self._rows: list[Any] = []

    def _execute_and_fetch(self, sql: str, parameters: Any) -> list[Any]:
        self._cursor.execute(sql, parameters)
        return self._cursor.fetchall() if self._cursor.description else []

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> aiosqlite.Cursor:
        run = partial(self._execute_and_fetch, sql, parameters or [])
        self._rows = await self._conn._execute(run)  # type: ignore[no-untyped-call]  # aiosqlite leaves it unannotated
        return self

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = self._cursor.arraysize if size is None else size
        taken, self._rows = self._rows[:count], self._rows[count:]
        return taken

    async def fetchall(self) -> list[Any]:
        taken, self._rows = self._rows, []
        return taken

    async def close(self) -> None:
        self._rows = []
        done = asyncio.get_running_loop().create_future()
        # Nobody waits for it; a failure to close is not worth an unretrieved exception.
        done.add_done_callback(_ignore_outcome)
        self._conn._tx.put_nowait((done, self._cursor.close))


def _ignore_outcome(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


class OneTripConnection(aiosqlite.Connection):
    @contextmanager
    async def cursor(self) -> aiosqlite.Cursor:
        # The connection allows use from the loop's thread (check_same_thread=False);
        # statements still only ever run on the connection's own thread.
        return PrefetchingCursor(self, self._conn.cursor())


def one_trip_connector(
    connect_args: tuple[Any, ...], connect_kwargs: dict[str, Any]
) -> Callable[[], Any]:
    """An `async_creator` for create_async_engine: opens a OneTripConnection."""

    async def connect() -> OneTripConnection:
        kwargs = {**connect_kwargs, "check_same_thread": False}
        connection = OneTripConnection(partial(sqlite3.connect, *connect_args, **kwargs), 64)
        # A connection nobody closed must not keep the process from exiting; SQLite's
        # journal makes stopping its thread mid-write no worse than a crash.
        connection._thread.daemon = True
        await connection  # starts its thread and opens the database there
        return connection

    return connect
