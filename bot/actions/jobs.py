"""Outbox job kinds of the action domain.

These jobs carry the incident in their payload, not as the job's incident: they must not
hold up the incident's ordered Slack jobs while an adapter works or a window runs.
"""

from __future__ import annotations

EXECUTE = "action.execute"
DESCRIBE = "action.describe"
VERIFY = "action.verify"
