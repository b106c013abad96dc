"""Logs carry no unverified body, no bearer URL, and no line a request could forge."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logs import SafeFormatter
from bot.store.reachable import DatabaseUnreachable, reaching
from tests.support.harness import Harness


def formatted(record: logging.LogRecord) -> str:
    return SafeFormatter("%(levelname)s %(name)s: %(message)s").format(record)


def test_a_message_with_newlines_stays_one_line() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "refused: %s", ("bad\n2026 ERROR forged\r",), None
    )

    line = formatted(record)

    assert line == "INFO x: refused: bad\\n2026 ERROR forged\\r"


def test_a_traceback_cannot_pass_for_a_record() -> None:
    try:
        raise ValueError("body said\nERROR root: forged")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), None)
        import sys

        record.exc_info = sys.exc_info()
    lines = formatted(record).splitlines()

    assert lines[0] == "ERROR x: failed"
    assert all(line.startswith("    | ") for line in lines[1:])


def test_bearer_urls_and_tokens_are_redacted() -> None:
    message = (
        "posting to https://hooks.slack.com/commands/T0/123/abcSECRET for "
        "{'response_url': 'https://example.com/r/SECRET2'} with xoxb-1-2-SECRET3"
    )
    record = logging.LogRecord("x", logging.INFO, __file__, 1, message, (), None)

    line = formatted(record)

    assert "SECRET" not in line and "[redacted]" in line


async def test_an_unverified_body_is_never_logged(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = b"payload=" + b"MARKER\nERROR forged line " * 1000
    for headers in (
        {},
        {"X-Slack-Request-Timestamp": "not-a-number", "X-Slack-Signature": "v0=00"},
        {
            "X-Slack-Request-Timestamp": str(int(harness.time.now().timestamp())),
            "X-Slack-Signature": "v0=" + "0" * 64,
        },
    ):
        reply = await harness.post(
            "/slack/events",
            body,
            headers=headers,
            content_type="application/x-www-form-urlencoded",
        )
        assert reply.status in (400, 401)

    assert "MARKER" not in caplog.text


async def test_a_verified_request_nobody_handles_logs_no_response_url(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter())
    logging.getLogger().addHandler(handler)
    try:
        reply = await harness.driver.slash_command(
            user_id="U0ALICE", channel_id="C0GENERAL", text="hello", command="/not-ours"
        )
    finally:
        logging.getLogger().removeHandler(handler)

    assert reply.status == 404
    assert "response_url" not in caplog.text and "/not-ours" not in caplog.text
    assert "hooks" not in stream.getvalue() and "Unhandled Slack request" in caplog.text


def test_an_unreachable_database_is_one_line_without_the_password() -> None:
    with pytest.raises(DatabaseUnreachable) as caught, reaching("postgresql://u:pw@db:5/x"):
        raise ConnectionRefusedError(111, "Connect call failed ('db', 5)")

    message = str(caught.value)
    assert "\n" not in message and "pw" not in message
    assert "SMOKEJUMPER_DATABASE_URL" in message and "ConnectionRefusedError" in message


def test_db_upgrade_against_a_closed_port_prints_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.setenv("SMOKEJUMPER_DATABASE_URL", "postgresql://smoke:hunter2@127.0.0.1:1/x")

    assert main(["db", "upgrade"]) == 1

    err = capsys.readouterr().err.strip()
    assert err.startswith("smokejumper: cannot reach the database at")
    assert "\n" not in err and "hunter2" not in err and "Traceback" not in err
