"""A smokejumper with the ticket jobs wired to a fake ticket system, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from integrations.slack.emulator import SlackEmulator
from tests.support.database import DatabaseTarget
from tests.support.harness import stop_harness
from tests.tickets.support import TicketHarness, start_ticket_harness


@pytest.fixture
async def th(database: DatabaseTarget, emulator: SlackEmulator) -> AsyncIterator[TicketHarness]:
    running = await start_ticket_harness(database, emulator)
    yield running
    await stop_harness(running.harness)
