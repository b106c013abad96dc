"""No password (or its Basic encoding) in any error, repr or log line, DEBUG included."""

from __future__ import annotations

import base64
import logging

import pytest

from bot.ports.adapters import AdapterError
from integrations.servicenow import ServiceNowTicketing
from integrations.servicenow.client import TableClient
from integrations.servicenow.emulator import ServiceNowServer
from tests.servicenow.conftest import draft, make_config

WRONG_PASSWORD = "wr0ng-but-still-secret"
LIBRARY_LOGGERS = ("urllib3", "requests", "pysnow", "integrations.servicenow")


def secrets_of(server: ServiceNowServer, *passwords: str) -> list[str]:
    found = []
    for password in passwords:
        found.append(password)
        found.append(base64.b64encode(f"{server.user}:{password}".encode()).decode())
    return found


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        lines.append(repr(record.args))
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(lines)


async def test_no_secret_in_errors_reprs_or_logs(
    server: ServiceNowServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in LIBRARY_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    secrets = secrets_of(server, server.password, WRONG_PASSWORD)

    good_config = make_config(server)
    good = ServiceNowTicketing(good_config)
    ref = await good.find_or_create(draft())
    errors: list[AdapterError] = []
    server.fail_next("unavailable")
    server.fail_next("commit_then_drop", method="PATCH")
    for call in (good.append_work_notes(ref, "b1", "notes"), good.resolve(ref, "done")):
        with pytest.raises(AdapterError) as caught:
            await call
        errors.append(caught.value)

    bad = ServiceNowTicketing(make_config(server, password=WRONG_PASSWORD))
    for call in (bad.probe(), bad.find_or_create(draft("inc-2"))):
        with pytest.raises(AdapterError) as caught:
            await call
        errors.append(caught.value)
    await server.go_offline()
    for call in (good.probe(), good.append_work_notes(ref, "b2", "x")):
        with pytest.raises(AdapterError) as caught:
            await call
        errors.append(caught.value)
    await good.close()
    await bad.close()

    assert [e.code for e in errors] == [
        "server_error",
        "connection_error",
        "not_ready",
        "unauthorized",
        "not_ready",
        "connection_error",
    ]
    logged = everything_logged(caplog)
    assert "urllib3.connectionpool" in {r.name for r in caplog.records}  # DEBUG was on
    client = TableClient(good_config)
    texts = [logged, repr(good_config), str(good_config), repr(good), repr(client)]
    await client.close()
    texts += [f"{e!s} {e!r} {e.message} {e.__cause__!r}" for e in errors]
    for text in texts:
        for secret in secrets:
            assert secret not in text
    assert server.user not in " ".join(str(e) for e in errors)
