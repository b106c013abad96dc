"""Counting what the app's engine does while a block runs (its commits, its begins)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Literal

from sqlalchemy import event

from tests.support.harness import Harness


@contextlib.contextmanager
def engine_events(harness: Harness, name: Literal["begin", "commit"]) -> Iterator[list[object]]:
    """The connections of each `name` event (transaction begun, or committed) in the block."""
    seen: list[object] = []

    def on_event(connection: object) -> None:
        seen.append(connection)

    engine = harness.app.runtime.engine.sync_engine
    event.listen(engine, name, on_event)
    try:
        yield seen
    finally:
        event.remove(engine, name, on_event)
