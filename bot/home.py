"""The App Home tab: what smokejumper is doing right now, and under which rules."""

from __future__ import annotations

from typing import Any

from bot.autonomy.service import load_freeze
from bot.autonomy.views import freeze_summary, modes_summary, policy_alarm, policy_line
from bot.incidents import service as incidents
from bot.runtime import Runtime
from bot.slack_text import clip, escape
from bot.stats.figures import period_stats
from bot.stats.render import as_mrkdwn

# The periods App Home and `smokejumper report` show by default.
PERIODS = (7, 30)

MAX_HOME_BLOCKS = 100
MAX_SECTION = 3000
OPEN_SHOWN = 25


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION)}}


async def home_view(rt: Runtime) -> dict[str, Any]:
    """The Home tab: policy banner when the file is invalid, autonomy, open incidents."""
    now = rt.clock()
    async with rt.sessions() as session:
        open_now = await incidents.list_open(session, limit=OPEN_SHOWN)
        freeze = await load_freeze(session, now)
        periods = [await period_stats(session, now, days) for days in PERIODS]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "smokejumper"}},
    ]
    alarm = policy_alarm(rt.policy, rt.policy_problem)
    if alarm is not None:
        blocks.append(_section(alarm))
    blocks += [
        _section("*Autonomy*\n" + freeze_summary(freeze, now)),
        _section(modes_summary(rt.policy, freeze)),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": policy_line(rt.policy)}]},
        {"type": "divider"},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": clip(as_mrkdwn(stats), 2000)} for stats in periods
            ],
        },
        {"type": "divider"},
        _section(f"*Open incidents:* {len(open_now)}"),
    ]
    for incident in open_now:
        where = f" <#{incident.channel_id}>" if incident.channel_id else ""
        frozen = " · 🧊 frozen" if freeze.is_frozen(incident.service, now) else ""
        blocks.append(
            _section(
                f"*#{incident.id}* {escape(incident.title)}{where}\n"
                f"{incident.severity} · {incident.status} · {escape(incident.service)}{frozen}"
            )
        )
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}
