"""The diagnostics reply: a summary, then each crashed container's previous log, in limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.slack_text import clip, escape

LOG_PREFIX = "log:"
MAX_LOGS_SHOWN = 4
# A section holds 3000 characters; the fence and the heading take the rest.
MAX_LOG_CHARS = 2700
SUMMARY_FIELDS = (
    ("Restarts", "restarts"),
    ("Last termination", "last_termination"),
    ("Rollout", "rollout"),
    ("Replicas", "replicas"),
    ("ReplicaSets", "replica_sets"),
    ("Events", "events"),
    ("Events of the crashed pod", "pod_events"),
    ("Could not read", "problems"),
)


def _section(block_id: str, text: str) -> dict[str, Any]:
    return {"type": "section", "block_id": block_id, "text": {"type": "mrkdwn", "text": text}}


def _tail(text: str, limit: int) -> str:
    """The end of a log (the crash is at the end), without breaking the code fence."""
    text = text.replace("```", "'''")
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def diagnostics_text(action_id: int, target: str) -> str:
    return f"Diagnostics of {target} (action #{action_id})"


def diagnostics_blocks(
    action_id: int, target: str, details: Mapping[str, str]
) -> list[dict[str, Any]]:
    """At most a dozen blocks, each within Slack's limits, whatever the cluster returned."""
    lines = [f"*🩺 Diagnostics of `{escape(clip(target, 200))}`* (action #{action_id})"]
    for title, key in SUMMARY_FIELDS:
        value = details.get(key)
        if value:
            lines.append(f"*{title}:* {escape(clip(value, 600))}")
    blocks = [_section(f"diagnostics-{action_id}", clip("\n".join(lines), 3000))]
    logs = [(k.removeprefix(LOG_PREFIX), v) for k, v in details.items() if k.startswith(LOG_PREFIX)]
    for index, (where, text) in enumerate(logs[:MAX_LOGS_SHOWN]):
        heading = f"*Previous log of `{escape(clip(where, 120))}`* (last lines)"
        body = escape(_tail(text, MAX_LOG_CHARS)) or "(empty)"
        blocks.append(
            _section(f"diagnostics-{action_id}-log-{index}", clip(f"{heading}\n```{body}```", 3000))
        )
    if len(logs) > MAX_LOGS_SHOWN:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": f"…{len(logs) - MAX_LOGS_SHOWN} more logs kept"}
                ],
            }
        )
    command = details.get("logs_command")
    if command:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"More: `{escape(clip(command, 300))}`"}],
            }
        )
    return blocks


def diagnostics_summary(target: str, details: Mapping[str, str]) -> str:
    """One line for the timeline, the handoff and the ticket."""
    restarts = details.get("restart_count")
    last = details.get("last_termination")
    parts = [f"{restarts} container restarts" if restarts else "", f"last {last}" if last else ""]
    found = ", ".join(p for p in parts if p) or "no crashed containers"
    logs = sum(1 for key in details if key.startswith(LOG_PREFIX))
    kept = f"; {logs} previous log(s) kept" if logs else ""
    return f"Diagnostics of {target}: {found}{kept}"
