"""Built from the adapters file, the ServiceNow adapter waits on the app's time source."""

from __future__ import annotations

from bot.actions.setup import AdaptersFile, build_adapters
from bot.domain.clock import VirtualTime
from integrations.servicenow.emulator import ServiceNowServer
from tests.servicenow.conftest import draft, make_config


async def test_retries_sleep_on_the_time_source_the_app_passes(server: ServiceNowServer) -> None:
    time = VirtualTime()
    config = AdaptersFile(servicenow=make_config(server, max_backoff_seconds=10.0))
    built = await build_adapters(config, time)
    try:
        ticketing = built.adapters.ticketing
        assert ticketing is not None
        server.fail_next("rate_limited", retry_after=7)
        await ticketing.find_or_create(draft())
    finally:
        await built.close()
    assert time.sleeps == [7.0]  # Retry-After, waited on the virtual clock
