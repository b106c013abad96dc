"""Built from the adapters file, the PagerDuty pager waits on the app's time source."""

from __future__ import annotations

from bot.actions.setup import AdaptersFile, build_adapters
from bot.domain.clock import VirtualTime
from integrations.common import tls as test_tls
from integrations.pagerduty.emulator import PagerDutyServer
from integrations.pagerduty.pager_config import PagerDutyPagerConfig
from tests.pagerduty.conftest import pager_config
from tests.pagerduty.test_events import make_page


async def test_retries_sleep_on_the_time_source_the_app_passes(
    pd_server: PagerDutyServer, tls: test_tls.TestTls
) -> None:
    time = VirtualTime()
    config = AdaptersFile(pagerduty=PagerDutyPagerConfig(**pager_config(pd_server, tls.ca_file)))
    built = await build_adapters(config, time)
    try:
        pager = built.adapters.pager
        assert pager is not None
        pd_server.fail("enqueue", 429, times=1, retry_after=2)
        await pager.trigger(make_page())
    finally:
        await built.close()
    assert time.sleeps == [2.0]  # Retry-After, waited on the virtual clock
    assert pd_server.count("enqueue") == 2
