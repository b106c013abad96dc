"""`smokejumper report [--days N]`: how incidents went, as App Home shows it."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.config import load_settings
from bot.domain.clock import utcnow
from bot.stats.figures import PeriodStats, period_stats
from bot.stats.render import as_text
from bot.store.database import create_engine, session_factory

DEFAULT_PERIODS = (7, 30)
MAX_DAYS = 3660


async def _read(days: tuple[int, ...]) -> list[PeriodStats]:
    settings = load_settings()
    engine = create_engine(settings.database_url, settings.database_schema)
    try:
        async with session_factory(engine)() as session:
            now = utcnow()
            return [await period_stats(session, now, n) for n in days]
    finally:
        await engine.dispose()


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a whole number of days") from None
    if not 1 <= days <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"--days must be between 1 and {MAX_DAYS}")
    return days


def _run(args: argparse.Namespace) -> int:
    days = (args.days,) if args.days else DEFAULT_PERIODS
    print(as_text(asyncio.run(_read(days))))
    return 0


def add_parser(sub: Any) -> None:
    report = sub.add_parser(
        "report", help="incidents, MTTA/MTTM/MTTR, autonomy and escalation precision"
    )
    report.add_argument(
        "--days", type=_days, default=None, help="one period of N days (default: 7 and 30)"
    )
    report.set_defaults(func=_run)
