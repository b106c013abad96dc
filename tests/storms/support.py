"""Helpers for the storm tests: a policy in paging mode, alerts of many services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from policies.policy import default_policy_file
from tests.support.harness import Harness, Reply, generic_alert, post_signed


def paging_policy(tmp_path: Path, *, breaker_services: int | None = None) -> Path:
    """The shipped policy in paging mode, so only the storm rules keep pages and runs back."""
    text = default_policy_file().read_text(encoding="utf-8")
    text = text.replace("  mode: assist\n", "  mode: paging\n", 1)
    if breaker_services is not None:
        text = text.replace(
            "  circuit_breaker:\n    services: 5\n",
            f"  circuit_breaker:\n    services: {breaker_services}\n",
            1,
        )
    path = tmp_path / "policy.yml"
    path.write_text(text, encoding="utf-8")
    return path


def service_alert(service: str, alertname: str, **overrides: Any) -> dict[str, Any]:
    return generic_alert(
        dedup_key=f"{service}-{alertname}",
        service=service,
        summary=f"{alertname} on {service}",
        severity="critical",
        labels={"alertname": alertname},
        annotations={},
        **overrides,
    )


async def send(harness: Harness, service: str, alertname: str, **overrides: Any) -> Reply:
    """Post one alert, stamped with the app's (virtual) clock."""
    stamp = harness.app.runtime.clock().isoformat()
    body = service_alert(service, alertname, timestamp=stamp, **overrides)
    reply = await post_signed(harness, "/alerts/generic", body)
    assert reply.status == 202, reply.body
    return reply
