"""Built from the adapters file, the PagerDuty pager makes one request and waits for nothing:
a rate limit comes back as a retryable error carrying PagerDuty's wait, for the outbox."""

from __future__ import annotations

import pytest

from bot.actions.setup import AdaptersFile, build_adapters
from bot.domain.clock import VirtualTime
from bot.ports.adapters import AdapterError
from integrations.common import tls as test_tls
from integrations.pagerduty.emulator import PagerDutyServer
from integrations.pagerduty.pager_config import PagerDutyPagerConfig
from tests.pagerduty.conftest import pager_config
from tests.pagerduty.test_events import make_page


async def test_a_rate_limit_is_reported_not_waited_out(
    pd_server: PagerDutyServer, tls: test_tls.TestTls
) -> None:
    time = VirtualTime()
    config = AdaptersFile(pagerduty=PagerDutyPagerConfig(**pager_config(pd_server, tls.ca_file)))
    built = await build_adapters(config, time)
    try:
        pager = built.adapters.pager
        assert pager is not None
        pd_server.fail("enqueue", 429, times=1, retry_after=2)
        with pytest.raises(AdapterError) as caught:
            await pager.trigger(make_page())
    finally:
        await built.close()
    assert (caught.value.retryable, caught.value.retry_after) == (True, 2.0)
    assert time.sleeps == []
    assert pd_server.count("enqueue") == 1
