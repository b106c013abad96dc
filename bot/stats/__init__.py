"""How incidents went over a period: durations, autonomy, escalation precision."""
