"""Outbox job kinds of paging; the incident travels in the payload."""

from __future__ import annotations

PAGE = "pager.page"
ACKNOWLEDGE = "pager.acknowledge"
RESOLVE = "pager.resolve"
