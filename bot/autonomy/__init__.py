"""Autonomy controls set from Slack: freezes and mode caps, stored for every replica."""

from __future__ import annotations

from bot.autonomy.service import load_freeze, mode_overrides

__all__ = ["load_freeze", "mode_overrides"]
