"""The policy engine's public surface: pure functions, data and `now` in, reasons out."""

from __future__ import annotations

from policies.action_decision import decide
from policies.approval import check_approval, check_autonomous_run
from policies.autonomy import effective_mode
from policies.bounds import check_scale_bounds
from policies.gates import decide_major_incident, decide_paging, decide_ticket

__all__ = [
    "check_approval",
    "check_autonomous_run",
    "check_scale_bounds",
    "decide",
    "decide_major_incident",
    "decide_paging",
    "decide_ticket",
    "effective_mode",
]
