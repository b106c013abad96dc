"""Prometheus figures: live counters of this process, and figures read from the store."""

from bot.metrics.live import LiveMetrics

__all__ = ["LiveMetrics"]
