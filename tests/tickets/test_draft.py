"""What a new ticket says: classification, team, description and the link back."""

from __future__ import annotations

import pytest

from bot.tickets.draft import classification_of, ticket_draft
from bot.triage.models import Classification, TriageReport
from tests.handoff.factories import CORRELATION, incident_row

CHANNEL = "https://example.slack.com/archives/C0INC42/p1000100"


def report(**changes: object) -> TriageReport:
    values: dict[str, object] = {
        "classification": Classification.SEV1,
        "confidence": 0.8,
        "requires_ticket": True,
        "requires_paging": True,
        "requires_mim": False,
        "recommended_team": "payments-oncall",
        "incident_class": "bad_deploy",
        "hypothesis": "The 5xx spike began four minutes after checkout v2.14.0 rolled out.",
        "evidence": [],
        "unknowns": [],
        "proposed_actions": [],
        **changes,
    }
    return TriageReport.model_validate(values)


def test_the_triage_decides_classification_and_team() -> None:
    draft = ticket_draft(incident_row(), report(), CHANNEL)
    assert draft.correlation_id == CORRELATION
    assert draft.classification == "sev1"
    assert draft.team == "payments-oncall"
    assert draft.channel_url == CHANNEL
    assert "Hypothesis (confidence 0.80): The 5xx spike" in draft.description
    assert "classification sev1 (from the triage)" in draft.description


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        ("critical", "high"),  # a signal alone never implies sev1
        ("error", "high"),
        ("warning", "medium"),
        ("info", "low"),
        ("catastrophic", "medium"),  # unknown: the middle, not the extremes
    ],
)
def test_without_a_triage_the_severity_decides(severity: str, expected: str) -> None:
    incident = incident_row(severity=severity)
    assert classification_of(incident, None) == expected
    draft = ticket_draft(incident, None, CHANNEL)
    assert draft.classification == expected
    assert draft.team == ""
    assert "(from the alert severity)" in draft.description


def test_alert_text_is_bounded_and_kept_as_text() -> None:
    incident = incident_row(
        title="[code]<script>x</script>[/code] " + "t" * 400,
        links=[
            {"url": "https://grafana.example.com/d/1", "title": "Grafana"},
            {"url": "javascript:alert(1)", "title": "bad"},
        ],
    )
    draft = ticket_draft(incident, None, CHANNEL)
    assert len(draft.short_description) <= 160
    assert "[code]" not in draft.short_description.lower()
    assert "[code]" not in draft.description.lower()
    assert "- Grafana: https://grafana.example.com/d/1" in draft.description
    assert "javascript:" not in draft.description
