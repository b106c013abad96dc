"""Built from the adapters file, the ServiceNow adapter makes one request and waits for
nothing: a rate limit comes back as a retryable error carrying the instance's wait."""

from __future__ import annotations

import pytest

from bot.actions.setup import AdaptersFile, build_adapters
from bot.domain.clock import VirtualTime
from bot.ports.adapters import AdapterError
from integrations.servicenow.emulator import ServiceNowServer
from tests.servicenow.conftest import draft, make_config


async def test_a_rate_limit_is_reported_not_waited_out(server: ServiceNowServer) -> None:
    time = VirtualTime()
    built = await build_adapters(AdaptersFile(servicenow=make_config(server)), time)
    try:
        ticketing = built.adapters.ticketing
        assert ticketing is not None
        server.fail_next("rate_limited", retry_after=7)
        with pytest.raises(AdapterError) as caught:
            await ticketing.find_or_create(draft())
    finally:
        await built.close()
    assert (caught.value.retryable, caught.value.retry_after) == (True, 7.0)
    assert time.sleeps == []
    assert len(server.requests) == 1
