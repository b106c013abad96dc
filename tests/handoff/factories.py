"""A recorded incident's event log, shaped the way the flows write it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.events import EventKind as K
from bot.store.models import EventRow, IncidentRow

T0 = datetime(2026, 11, 21, 7, 43, 49, tzinfo=UTC)
INCIDENT_ID = 42
CORRELATION = "c0ffee42c0ffee42c0ffee42c0ffee42"

ALICE, BOB, CAROL, DAVE = "U01ALICE", "U02BOB", "U03CAROL", "U04DAVE"
GRAFANA = "https://grafana.example.com/d/checkout?orgId=1&var-env=production"
PROMETHEUS = "http://prometheus:9090/graph?g0.expr=checkout_latency_p99"
RUNBOOK = "https://runbooks.example.com/checkout/bad-deploy"
TICKET = "https://example.service-now.com/nav_to.do?uri=incident.do?sys_id=9d1e"


def incident_row(incident_id: int | None = INCIDENT_ID, **changes: Any) -> IncidentRow:
    values: dict[str, Any] = {
        "id": incident_id,
        "correlation_id": CORRELATION,
        "title": "HighErrorRate: checkout 5xx above 5%",
        "service": "checkout",
        "environment": "production",
        "severity": "critical",
        "status": "acknowledged",
        "source": "alertmanager",
        "group_key": "9b2c4e",
        "triggered_at": T0,
        "updated_at": T0,
        **changes,
    }
    return IncidentRow(**values)


@dataclass
class Log:
    """Appends entries the way the event log does: ids and times only go up."""

    incident_id: int = INCIDENT_ID
    next_id: int = 1001
    at: datetime = T0
    events: list[EventRow] = field(default_factory=list)

    def add(
        self,
        kind: str,
        *,
        actor: str = "smokejumper",
        summary: str = "",
        data: dict[str, Any] | None = None,
        after: timedelta = timedelta(minutes=1),
    ) -> EventRow:
        self.at += after
        row = EventRow(
            id=self.next_id,
            incident_id=self.incident_id,
            at=self.at,
            actor=actor,
            kind=kind,
            summary=summary or kind,
            data=data or {},
            correlation_id=CORRELATION,
        )
        self.next_id += 1
        self.events.append(row)
        return row


def _signal(
    fingerprint: str, alertname: str, severity: str, summary: str, url: str
) -> dict[str, Any]:
    return {
        "fingerprint": fingerprint,
        "source": "alertmanager",
        "alertname": alertname,
        "severity": severity,
        "summary": summary,
        "links": [{"url": url, "title": f"{alertname} graph"}],
    }


def recorded_incident() -> tuple[IncidentRow, list[EventRow]]:
    """A checkout incident: two alerts, a triage, a failed restart, a pending rollback."""
    log = Log()
    log.add(
        K.INCIDENT_OPENED,
        actor="alertmanager",
        summary="Incident opened by alertmanager: checkout 5xx above 5%",
        data={
            "title": "HighErrorRate: checkout 5xx above 5%",
            "service": "checkout",
            "environment": "production",
            "severity": "critical",
            "group_key": "9b2c4e",
        },
        after=timedelta(0),
    )
    log.add(
        K.SLACK_CHANNEL_CREATED,
        summary="Created #inc-42-checkout",
        data={"channel_id": "C0INC42", "channel_name": "inc-42-checkout"},
    )
    log.add(K.SLACK_CARD_POSTED, summary="Posted the incident card", data={"ts": "1.000100"})
    log.add(
        K.INCIDENT_SIGNAL_ATTACHED,
        actor="alertmanager",
        summary="Signal from alertmanager: checkout 5xx above 5%",
        data=_signal("d40fc7db", "HighErrorRate", "critical", "checkout 5xx above 5%", GRAFANA),
    )
    log.add(
        K.INCIDENT_SIGNAL_ATTACHED,
        actor="alertmanager",
        summary="Signal from alertmanager: p99 latency above 2s",
        data=_signal("7a11be55", "HighLatencyP99", "warning", "p99 latency above 2s", PROMETHEUS),
    )
    log.add(
        K.INCIDENT_TRANSITIONED,
        actor=f"slack:{ALICE}",
        summary=f"<@{ALICE}> moved the incident from triggered to acknowledged",
        data={"from": "triggered", "to": "acknowledged", "action": "acknowledge"},
    )
    log.add(K.TRIAGE_STARTED, summary="Triage started")
    log.add(
        K.TRIAGE_COMPLETED,
        summary="Triage: high, bad_deploy",
        data={
            "classification": "high",
            "confidence": 0.72,
            "incident_class": "bad_deploy",
            "hypothesis": "The 5xx spike began four minutes after checkout v2.14.0 rolled out.",
            "evidence": [
                {
                    "source": "change",
                    "claim": "Deploy v2.14.0 of checkout finished at 07:39 UTC",
                    "pointer": "argocd:checkout/1207",
                },
                {
                    "source": "signal",
                    "claim": "5xx ratio at 7.2% on checkout",
                    "pointer": "signal:d40fc7db",
                },
            ],
            "unknowns": ["Whether the payment provider is degraded too"],
            "source": "runbook",
            "model": "runbook",
            "fallback_reason": None,
            "runbook_pointers": [RUNBOOK, "runbooks/checkout.yml#bad_deploy"],
            "recommended_team": "payments-oncall",
        },
    )
    for action_id, action, rationale in (
        ("act-1", "restart_deployment", "Restart clears a poisoned connection pool"),
        ("act-2", "rollback_deployment", "Roll back to v2.13.4, the last good release"),
    ):
        log.add(
            K.ACTION_PROPOSED,
            summary=f"Proposed {action}",
            data={
                "action_id": action_id,
                "action": action,
                "target": "production/checkout",
                "params": {},
                "rationale": rationale,
                "decision": "needs_approval",
                "reasons": [{"code": "remediation_needs_approval"}],
            },
        )
    log.add(
        K.NOTE_ADDED,
        actor=f"slack:{BOB}",
        summary="Error rate tracks the v2.14.0 rollout; the payments API dashboard is green.",
    )
    log.add(
        K.ACTION_APPROVED,
        actor=ALICE,
        summary="restart_deployment approved",
        data={
            "action_id": "act-1",
            "action": "restart_deployment",
            "approvers": [ALICE, CAROL],
        },
    )
    log.add(K.ACTION_EXECUTING, data={"action_id": "act-1", "action": "restart_deployment"})
    log.add(
        K.ACTION_FAILED,
        summary="restart_deployment failed",
        data={
            "action_id": "act-1",
            "action": "restart_deployment",
            "target": "production/checkout",
            "adapter": "kubernetes",
            "result": {},
            "duration_ms": 300000,
            "error_code": "rollout_timeout",
        },
        after=timedelta(minutes=5),
    )
    log.add(
        K.TICKET_CREATED,
        summary="Opened INC0012345",
        data={"number": "INC0012345", "url": TICKET},
    )
    log.add(
        K.PAGED,
        summary="Paged payments-oncall",
        data={"dedup_key": "smokejumper-42", "team": "payments-oncall"},
    )
    log.add(
        K.TIMELINE_PINNED,
        actor="smokejumper",
        summary="Pinned a message",
        data={
            "author": CAROL,
            "ts": "1.000200",
            "text": "Rollback looks like the safer bet; v2.13.4 ran clean for a week.",
            "permalink": "https://example.slack.com/archives/C0INC42/p1000200",
        },
    )
    return incident_row(), log.events


NOW = T0 + timedelta(hours=1, minutes=17)
