"""The shared services one running smokejumper hands to its flows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.domain.clock import Clock, utcnow
from bot.ports.chat import ChatWorkspace
from bot.store.database import SessionFactory


def _no_wake() -> None:
    return None


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    chat: ChatWorkspace
    clock: Clock = utcnow
    wake_outbox: Callable[[], None] = field(default=_no_wake)
