"""Figures only this process sees as they happen: webhooks received, Slack calls made."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

# Webhook handling is milliseconds when healthy and seconds when the database struggles.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class LiveMetrics:
    """One registry per running smokejumper, so two apps in one process never collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.alerts = Counter(
            "smokejumper_alerts_received",
            "Alert signals received, by source and what became of them.",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.webhook_latency = Histogram(
            "smokejumper_webhook_latency_seconds",
            "Time from reading an alert webhook to answering it, by source and status.",
            ["source", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.slack_calls = Counter(
            "smokejumper_slack_calls",
            "Slack Web API calls, by method and result (ok or the error code).",
            ["method", "result"],
            registry=self.registry,
        )
        self.slack_rate_limited = Counter(
            "smokejumper_slack_rate_limited",
            "429 answers from Slack (each one retried after Retry-After), by method.",
            ["method"],
            registry=self.registry,
        )

    def webhook_answered(
        self, source: str, status: int, seconds: float, outcomes: dict[str, int]
    ) -> None:
        """Count one webhook and the signals it carried."""
        self.webhook_latency.labels(source, str(status)).observe(seconds)
        for outcome, count in outcomes.items():
            self.alerts.labels(source, outcome).inc(count)
