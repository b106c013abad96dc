"""Period figures in words: for App Home (mrkdwn) and the report command (plain text)."""

from __future__ import annotations

from bot.slack_text import escape
from bot.stats.figures import PeriodStats


def duration(seconds: float | None) -> str:
    """`42s`, `7m`, `2h 5m`, `1d 3h`; an em dash without a value."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, _ = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def share(value: float | None, of: int) -> str:
    return "—" if value is None else f"{value:.0%} of {of}"


def lines(stats: PeriodStats) -> list[tuple[str, str]]:
    """(label, value) pairs, the same for every surface."""
    busiest = ", ".join(f"{name} ({n})" for name, n in stats.busiest) or "—"
    return [
        ("Incidents", str(stats.incidents)),
        ("MTTA p50 / p90", f"{duration(stats.mtta[0])} / {duration(stats.mtta[1])}"),
        ("MTTM p50 / p90", f"{duration(stats.mttm[0])} / {duration(stats.mttm[1])}"),
        ("MTTR p50 / p90", f"{duration(stats.mttr[0])} / {duration(stats.mttr[1])}"),
        ("Autonomous share", share(stats.autonomous_share, stats.executed) + " executed"),
        (
            "Escalation precision",
            share(stats.escalation_precision, stats.escalations_answered) + " answered",
        ),
        ("Busiest services", busiest),
    ]


def as_text(periods: list[PeriodStats]) -> str:
    """The report: one block per period."""
    out: list[str] = []
    for stats in periods:
        pairs = lines(stats)
        width = max(len(label) for label, _ in pairs)
        out.append(f"Last {stats.days} days")
        out.extend(f"  {label.ljust(width)}  {value}" for label, value in pairs)
    return "\n".join(out)


def as_mrkdwn(stats: PeriodStats) -> str:
    body = "\n".join(f"{label}: *{escape(value)}*" for label, value in lines(stats))
    return f"*Last {stats.days} days*\n{body}"
