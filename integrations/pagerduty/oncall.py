"""Who is on call for a team, from PagerDuty's REST API v2 `GET /oncalls`."""

from __future__ import annotations

from typing import Any

from bot.chat.ports import OnCall
from bot.ports.adapters import AdapterError
from integrations.pagerduty.client import PagerDutyClient
from integrations.pagerduty.pager_config import PagerDutyPagerConfig

MAX_PEOPLE = 8


class PagerDutyOnCall:
    """Reads on-call entries for a team's escalation policy or schedule from the config."""

    def __init__(self, config: PagerDutyPagerConfig, client: PagerDutyClient) -> None:
        self._config = config
        self._client = client

    async def on_call(self, team: str) -> list[OnCall]:
        """People on call for `team`, lowest escalation level first."""
        if not self._client.has_rest_api:
            raise AdapterError(
                "not_configured",
                "PagerDuty on-call needs api_token and from_email",
                retryable=False,
            )
        policy = self._config.oncall_escalation_policies.get(team)
        schedule = self._config.oncall_schedules.get(team)
        if policy is None and schedule is None:
            policy = self._config.oncall_default_escalation_policy
        if policy is None and schedule is None:
            raise AdapterError(
                "no_oncall_mapping",
                f"no escalation policy or schedule for team {team!r}",
                retryable=False,
            )
        entries = await self._client.oncalls(
            escalation_policy_ids=[policy] if policy else [],
            schedule_ids=[schedule] if schedule else [],
        )
        ranked = sorted((p for p in (_person(e) for e in entries) if p is not None), key=_rank)
        # One line a person, at their lowest level: that is when they are paged first.
        people: dict[str, OnCall] = {}
        for _, person in ranked:
            people.setdefault(person.who, person)
        return list(people.values())[:MAX_PEOPLE]


def _rank(ranked: tuple[int, OnCall]) -> int:
    return ranked[0]


def _person(entry: dict[str, Any]) -> tuple[int, OnCall] | None:
    user = entry.get("user")
    if not isinstance(user, dict) or not user.get("summary"):
        return None
    level = entry.get("escalation_level")
    schedule = entry.get("schedule")
    policy = entry.get("escalation_policy")
    where = ""
    if isinstance(schedule, dict) and schedule.get("summary"):
        where = str(schedule["summary"])
    elif isinstance(policy, dict) and policy.get("summary"):
        where = str(policy["summary"])
    rank = level if isinstance(level, int) else 99
    label = f"{where}, level {rank}" if where and rank != 99 else where or "on call"
    return rank, OnCall(who=str(user["summary"]), schedule=label, until=str(entry.get("end") or ""))
