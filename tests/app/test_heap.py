"""Start-up's heap is frozen out of the garbage collector's work."""

from __future__ import annotations

import gc
import weakref

from bot.heap import freeze_start_up_heap


class _Cycle:
    other: object


def test_what_is_alive_after_start_up_is_frozen_and_garbage_is_collected_first() -> None:
    garbage = _Cycle()
    garbage.other = garbage  # a cycle only the collector can free
    collected = weakref.ref(garbage)
    del garbage
    alive = [_Cycle() for _ in range(3)]
    try:
        frozen = freeze_start_up_heap()
        assert collected() is None  # freed, not frozen
        assert frozen == gc.get_freeze_count() > 0
        walked = {id(o) for o in gc.get_objects()}
        assert not any(id(o) in walked for o in alive)  # no collection walks them now
    finally:
        gc.unfreeze()
    assert all(id(o) in {id(x) for x in gc.get_objects()} for o in alive)
