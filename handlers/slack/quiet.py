"""Bolt's own log lines, without the request bodies it would print."""

from __future__ import annotations

import logging


class QuietBolt(logging.Filter):
    """Turns Bolt's "Unhandled request ({body})" into a line without the body.

    The body of a verified request still carries its response_url (a bearer URL) and
    whatever the user typed; the request type is all an operator needs here.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("Unhandled request"):
            record.msg = "Unhandled Slack request: no listener matches it (answered 404)"
            record.args = ()
        return True
