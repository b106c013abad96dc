"""GET /oncalls as PagerDuty's REST API v2 answers it: who is on call, per policy level.

Filters follow the API reference: `escalation_policy_ids[]`, `schedule_ids[]` and
`user_ids[]` (each an OR within itself, AND across), `earliest=true` keeps the earliest
entry per user, escalation policy and level; classic `limit`/`offset` pagination.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

_FILTERS = (
    ("escalation_policy_ids[]", "escalation_policy_id"),
    ("schedule_ids[]", "schedule_id"),
    ("user_ids[]", "user_id"),
)


@dataclass(frozen=True)
class OnCallEntry:
    """One person on call at one level of an escalation policy (via a schedule or not)."""

    user_id: str
    user_name: str
    escalation_policy_id: str
    escalation_policy_name: str
    level: int
    start: datetime | None = None
    end: datetime | None = None
    schedule_id: str | None = None
    schedule_name: str = ""

    def as_json(self, base_url: str) -> dict[str, Any]:
        schedule = (
            {
                "id": self.schedule_id,
                "type": "schedule_reference",
                "summary": self.schedule_name,
                "self": f"{base_url}/schedules/{self.schedule_id}",
            }
            if self.schedule_id
            else None
        )
        return {
            "escalation_policy": {
                "id": self.escalation_policy_id,
                "type": "escalation_policy_reference",
                "summary": self.escalation_policy_name,
                "self": f"{base_url}/escalation_policies/{self.escalation_policy_id}",
            },
            "escalation_level": self.level,
            "schedule": schedule,
            "user": {
                "id": self.user_id,
                "type": "user_reference",
                "summary": self.user_name,
                "self": f"{base_url}/users/{self.user_id}",
            },
            "start": _stamp(self.start),
            "end": _stamp(self.end),
        }

    def field(self, name: str) -> str | None:
        value: str | None = getattr(self, name)
        return value


def _stamp(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else None


class BadQuery(ValueError):
    """A query PagerDuty would refuse with 400 Invalid Input Provided."""


def list_oncalls(entries: list[OnCallEntry], request: web.Request, base_url: str) -> dict[str, Any]:
    """The body of a 200 answer to GET /oncalls for `request`'s query."""
    query = request.query
    try:
        limit = int(query.get("limit", "25"))
        offset = int(query.get("offset", "0"))
    except ValueError:
        raise BadQuery("limit and offset are numbers") from None
    if not 1 <= limit <= 100 or offset < 0:
        raise BadQuery("limit is 1 to 100")
    found = list(entries)
    for param, name in _FILTERS:
        wanted = set(query.getall(param, []))
        if wanted:
            found = [e for e in found if e.field(name) in wanted]
    if query.get("earliest") == "true":
        seen: set[tuple[str, str, int]] = set()
        earliest: list[OnCallEntry] = []
        for entry in sorted(found, key=lambda e: (e.start is not None, e.start or datetime.min)):
            key = (entry.user_id, entry.escalation_policy_id, entry.level)
            if key not in seen:
                seen.add(key)
                earliest.append(entry)
        found = earliest
    found.sort(key=lambda e: (e.escalation_policy_id, e.level, e.user_id))
    page = found[offset : offset + limit]
    return {
        "oncalls": [e.as_json(base_url) for e in page],
        "limit": limit,
        "offset": offset,
        "total": None,
        "more": offset + limit < len(found),
    }
