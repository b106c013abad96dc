"""Handing freed heap back to the operating system after a burst of large requests.

glibc keeps freed memory in its arenas; after hundreds of stalled uploads are cut off,
the process would keep their buffers' worth of resident memory for good. `malloc_trim`
returns what is free. Elsewhere (musl, macOS) it is a no-op.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


def _find_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


_TRIM = _find_trim()


class HeapTrimmer:
    """Trims the heap once things go quiet, at most once per burst."""

    def __init__(self) -> None:
        self._pending: asyncio.Task[None] | None = None

    def soon(self) -> None:
        """Ask for a trim; several asks while one is waiting make one trim."""
        if _TRIM is None or (self._pending is not None and not self._pending.done()):
            return
        self._pending = asyncio.get_running_loop().create_task(self._trim())

    async def _trim(self) -> None:
        assert _TRIM is not None
        # In a thread: trimming a large heap takes milliseconds the loop should not wait.
        await asyncio.to_thread(_TRIM, 0)
