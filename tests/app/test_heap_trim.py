"""The heap is handed back once a burst of bodies ends: one trim per quiet moment."""

from __future__ import annotations

import asyncio

import pytest

import bot.memory
from bot.memory import HeapTrimmer


async def test_asks_while_a_trim_waits_make_one_trim(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(bot.memory, "_TRIM", lambda pad: calls.append(pad) or 1)
    trimmer = HeapTrimmer()

    for _ in range(5):
        trimmer.soon()
    assert trimmer._pending is not None
    await trimmer._pending
    assert calls == [0]

    trimmer.soon()  # a later burst gets its own trim
    await trimmer._pending
    assert calls == [0, 0]


async def test_without_malloc_trim_nothing_is_scheduled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.memory, "_TRIM", None)
    trimmer = HeapTrimmer()
    trimmer.soon()
    assert trimmer._pending is None
    await asyncio.sleep(0)
