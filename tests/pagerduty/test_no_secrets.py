"""No routing key or API token in any error text, repr or log line, whatever goes wrong."""

from __future__ import annotations

import logging
import socket
import traceback
from typing import Any

import pytest
from pydantic import ValidationError

from bot.ports.adapters import AdapterError
from integrations.pagerduty.emulator import PagerDutyServer
from integrations.pagerduty.pager_config import PagerDutyPagerConfig
from tests.pagerduty.conftest import API_TOKEN, ROUTING_KEY, MakePager
from tests.pagerduty.test_events import T0, make_page

SECRETS = (ROUTING_KEY, API_TOKEN)
LOGGERS = ("", "pagerduty", "httpx2", "httpcore2", "urllib3", "requests", "aiohttp", "asyncio")


def error_texts(exc: BaseException) -> list[str]:
    texts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    if isinstance(exc, AdapterError):
        texts.append(exc.message)
    return texts


async def test_failures_never_carry_secrets(
    make_pager: MakePager, pd_server: PagerDutyServer, caplog: pytest.LogCaptureFixture
) -> None:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    seen: list[str] = []
    pager = await make_pager()
    seen.append(repr(pager))

    async def expect_failure(call: Any) -> None:
        with pytest.raises(AdapterError) as caught:
            await call
        seen.extend(error_texts(caught.value))

    # A far side that echoes the credentials back in its error text.
    echo = {
        "status": "invalid event",
        "message": f"Event object is invalid for {ROUTING_KEY}",
        "errors": [f"routing_key {ROUTING_KEY} rejected", f"token {API_TOKEN}"],
    }
    pd_server.fail("enqueue", 400, body=echo)
    await expect_failure(pager.trigger(make_page()))
    assert "[redacted]" in seen[-1]  # the echo arrived and was scrubbed

    pd_server.fail(
        "notes",
        403,
        body={"error": {"message": f"token {API_TOKEN} lacks access", "code": 2010}},
    )
    await pager.trigger(make_page())
    await expect_failure(pager.add_note("smokejumper-inc-42", "note"))

    pd_server.fail("enqueue", 429, retry_after=1)
    await expect_failure(pager.acknowledge("smokejumper-inc-42", T0))
    pd_server.fail("enqueue", 503)
    await expect_failure(pager.resolve("smokejumper-inc-42", T0))

    revoked = await make_pager(api_token=API_TOKEN + "-revoked")
    await expect_failure(revoked.add_note("smokejumper-inc-42", "note"))
    await expect_failure(revoked.probe())

    slow = await make_pager(timeout=0.3)
    pd_server.stall("enqueue", 30)
    await expect_failure(slow.trigger(make_page()))

    untrusted = await make_pager(ca_bundle=None)
    await expect_failure(untrusted.trigger(make_page()))

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    unreachable = await make_pager(api_url=f"https://127.0.0.1:{closed}")
    await expect_failure(unreachable.add_note("smokejumper-inc-42", "note"))

    seen.extend(record.getMessage() for record in caplog.records)
    seen.extend(
        "".join(traceback.format_exception(*record.exc_info))
        for record in caplog.records
        if record.exc_info
    )
    text = "\n".join(seen)
    # Every failure above really was looked at, down to the timeout.
    assert all(f in text for f in ("HTTP 400", "HTTP 429", "HTTP 503", "timed out"))
    assert "HTTP Request: POST" in text  # and the HTTP client's own lines were captured
    assert any(r.name.startswith("httpcore2") for r in caplog.records)  # down to the wire
    for secret in SECRETS:
        assert secret not in text


def test_config_repr_and_validation_errors_hide_secrets() -> None:
    config = PagerDutyPagerConfig(
        routing_key=ROUTING_KEY, api_token=API_TOKEN, from_email="bot@example.com"
    )
    texts = [repr(config), str(config), str(config.model_dump())]
    with pytest.raises(ValidationError) as missing_sender:
        PagerDutyPagerConfig(routing_key=ROUTING_KEY, api_token=API_TOKEN)
    with pytest.raises(ValidationError) as plain_http:
        PagerDutyPagerConfig(
            routing_key=ROUTING_KEY,
            api_token=API_TOKEN,
            from_email="bot@example.com",
            api_url=f"http://example.com/{API_TOKEN}",
        )
    texts.extend([str(missing_sender.value), str(plain_http.value)])
    assert "from_email is required" in texts[-2]
    assert "https://" in texts[-1]
    for text in texts:
        for secret in SECRETS:
            assert secret not in text
