"""The App Home tab: what smokejumper is doing right now."""

from __future__ import annotations

from typing import Any

from bot.incidents import service as incidents
from bot.runtime import Runtime
from bot.slack_text import clip, escape


async def home_view(rt: Runtime) -> dict[str, Any]:
    async with rt.sessions() as session:
        open_now = await incidents.list_open(session, limit=25)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "smokejumper"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*Open incidents:* {len(open_now)}"},
        },
    ]
    for incident in open_now:
        where = f" <#{incident.channel_id}>" if incident.channel_id else ""
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": clip(
                        f"*#{incident.id}* {escape(incident.title)}{where}\n"
                        f"{incident.severity} · {incident.status} · {escape(incident.service)}",
                        3000,
                    ),
                },
            }
        )
    return {"type": "home", "blocks": blocks[:100]}
