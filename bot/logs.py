"""Log lines that a request cannot forge or fill with secrets.

Every record is one line: the message's control characters are escaped, and a traceback's
lines are prefixed so none of them can pass for a record of its own. Bearer-like values
(Slack tokens, response_url and webhook URLs, which let anyone holding them post as the
app) are redacted wherever they appear.
"""

from __future__ import annotations

import logging
import re

_REDACTIONS = (
    (re.compile(r"https://hooks\.slack\.com/[^\s'\"<>]+"), "https://hooks.slack.com/[redacted]"),
    (
        re.compile(r"(response_url['\"]?\s*[:=]\s*['\"]?)[^\s'\"&,}]+"),
        r"\1[redacted]",
    ),
    (re.compile(r"\bxox[abpre]-[A-Za-z0-9-]+"), "xox-[redacted]"),
    (re.compile(r"\bxapp-[A-Za-z0-9-]+"), "xapp-[redacted]"),
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def redact(text: str) -> str:
    """`text` with bearer-like URLs and tokens replaced."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def escape(text: str) -> str:
    """`text` on one line: newlines and other control characters as escapes."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class SafeFormatter(logging.Formatter):
    """A formatter whose every record is one escaped, redacted line (plus a marked traceback)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape(redact(record.message))
        return super().formatMessage(record)

    def formatException(self, ei: logging._SysExcInfoType) -> str:
        lines = redact(super().formatException(ei)).splitlines()
        return "\n".join("    | " + escape(line) for line in lines)

    def formatStack(self, stack_info: str) -> str:
        return "\n".join("    | " + escape(line) for line in stack_info.splitlines())


def configure(level: int) -> None:
    """Log to stderr through SafeFormatter."""
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
