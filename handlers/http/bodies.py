"""Reading request bodies from clients that may be slow, stalled or too many at once.

Every POST body is read before anyone can be authenticated (signatures cover the body),
so a body gets a deadline, and only so many are read at a time: a stalled upload holds
one slot for at most the deadline, and the slots bound the memory stalled uploads take.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web

from bot.domain.errors import IntakeError
from bot.memory import HeapTrimmer

# Bodies this large in total since the last trim are worth a trim once reading stops;
# a burst of small ones leaves nothing the heap would give back.
TRIM_AFTER_BYTES = 4 * 1024 * 1024


@dataclass
class BodyGate:
    """How long a body may take, and how many may be read at once."""

    timeout_seconds: float
    max_concurrent: int
    _slots: asyncio.Semaphore = field(init=False)
    _trimmer: HeapTrimmer = field(init=False)
    _reading: int = field(init=False, default=0)
    _untrimmed_bytes: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._slots = asyncio.Semaphore(self.max_concurrent)
        self._trimmer = HeapTrimmer()

    async def read(self, request: web.Request, limit: int) -> bytes:
        if self._slots.locked():
            raise IntakeError(
                503,
                "busy",
                f"{self.max_concurrent} request bodies are being read already; retry shortly",
                headers={"Retry-After": "1"},
                close_connection=True,
            )
        async with self._slots:
            self._reading += 1
            # Its buffer is allocated at the declared size before a byte arrives.
            self._untrimmed_bytes += min(request.content_length or 0, limit)
            try:
                async with asyncio.timeout(self.timeout_seconds):
                    return await read_body(request, limit)
            except TimeoutError:
                raise IntakeError(
                    408,
                    "body_timeout",
                    f"the body did not arrive within {self.timeout_seconds:g}s",
                    close_connection=True,
                ) from None
            except ConnectionError:
                # The client went away mid-body; nobody is left to read an answer.
                raise IntakeError(
                    400, "body_incomplete", "the connection closed before the body ended"
                ) from None
            finally:
                self._reading -= 1
                if self._reading == 0 and self._untrimmed_bytes >= TRIM_AFTER_BYTES:
                    # The last body of a burst of large ones is done: give its buffers back.
                    self._untrimmed_bytes = 0
                    self._trimmer.soon()


BODY_GATE = web.AppKey("body_gate", BodyGate)


async def read_body(request: web.Request, limit: int) -> bytes:
    """The raw body, refused with 413 once it grows past `limit` bytes."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise IntakeError(
            413,
            "body_too_large",
            f"body is {declared} bytes; the limit is {limit}",
        )
    # One buffer of the declared size: a single large allocation goes back to the
    # operating system when freed, where many small chunks would stay in the heap.
    body = bytearray(declared or 0)
    size = 0
    while chunk := await request.content.read(65536):
        if size + len(chunk) > limit:
            raise IntakeError(
                413,
                "body_too_large",
                f"body is over the {limit}-byte limit",
            )
        body[size : size + len(chunk)] = chunk
        size += len(chunk)
    del body[size:]
    return bytes(body)


async def read_limited_body(request: web.Request, limit: int) -> bytes:
    """The body through the app's gate (deadline and slots) when it has one."""
    declared = request.content_length
    if declared is not None and declared <= limit and request.content.is_eof():
        # All of it arrived with the headers (as small bodies do): there is nothing to
        # wait for, so neither a deadline nor a slot is needed.
        return request.content.read_nowait()
    gate = request.app.get(BODY_GATE)
    if gate is None:
        return await read_body(request, limit)
    return await gate.read(request, limit)
