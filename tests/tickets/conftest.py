"""A smokejumper with the ticket jobs wired to a fake ticket system and a virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.domain.clock import VirtualTime
from integrations.slack.emulator import SlackEmulator
from tests.support.database import DatabaseTarget
from tests.support.harness import stop_harness
from tests.tickets.support import TicketHarness, start_ticket_harness


@pytest.fixture
async def th(
    database: DatabaseTarget, emulator: SlackEmulator, virtual_time: VirtualTime
) -> AsyncIterator[TicketHarness]:
    running = await start_ticket_harness(database, emulator, clock=virtual_time)
    yield running
    await stop_harness(running.harness)
