"""Incident channel names within Slack's rules: lowercase, [a-z0-9_-], ≤ 80 characters."""

from __future__ import annotations

import re
from datetime import datetime

MAX_NAME = 80
_INVALID = re.compile(r"[^a-z0-9_-]+")
_DASHES = re.compile(r"-{2,}")


def slug(text: str) -> str:
    cleaned = _DASHES.sub("-", _INVALID.sub("-", text.lower())).strip("-_")
    return cleaned or "incident"


def channel_name(
    template: str, *, service: str, number: int, when: datetime, suffix: int = 0
) -> str:
    """Render the template, then shorten the service part first so the number survives."""
    date = when.strftime("%Y%m%d")
    tail = f"-{suffix}" if suffix else ""
    service_slug = slug(service)
    name = slug(template.format(date=date, service=service_slug, number=number)) + tail
    while len(name) > MAX_NAME and len(service_slug) > 1:
        service_slug = service_slug[: max(1, len(service_slug) - (len(name) - MAX_NAME))]
        name = slug(template.format(date=date, service=service_slug, number=number)) + tail
    return name[:MAX_NAME]
