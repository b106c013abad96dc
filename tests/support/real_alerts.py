"""Scoring the bot against the real-alert corpus (tests/fixtures/real_alerts)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config import load_settings
from bot.domain.subject import Subject, SubjectKind
from bot.simulate.inputs import signals_of
from bot.simulate.run import Setup, Simulation, simulate
from bot.subjects.setup import subject_rules
from policies.catalog import CATALOG, ActionEffect
from policies.policy import load_policy
from policies.runbooks import load_runbooks

CORPUS = Path(__file__).parent.parent / "fixtures" / "real_alerts" / "corpus.json"


@dataclass
class CaseResult:
    id: str
    expected_class: str
    actual_class: str
    subject_ok: bool
    actual_subject: str
    expected_subject: str
    remediations: list[str]
    wrong_target: list[str]
    unsafe: list[str]

    @property
    def class_ok(self) -> bool:
        return self.expected_class == self.actual_class


@dataclass
class Score:
    results: list[CaseResult] = field(default_factory=list)

    @property
    def cases(self) -> int:
        return len(self.results)

    @property
    def class_accuracy(self) -> float:
        return sum(r.class_ok for r in self.results) / self.cases

    @property
    def subject_accuracy(self) -> float:
        return sum(r.subject_ok for r in self.results) / self.cases

    @property
    def wrong_target(self) -> int:
        return sum(len(r.wrong_target) for r in self.results)

    @property
    def unsafe(self) -> int:
        return sum(len(r.unsafe) for r in self.results)

    @property
    def remediations(self) -> int:
        return sum(len(r.remediations) for r in self.results)


def load_corpus() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(CORPUS.read_text(encoding="utf-8"))["cases"]
    return cases


def webhook_of(alert: dict[str, Any]) -> dict[str, Any]:
    """The Alertmanager v4 webhook that delivers one alert."""
    name = alert["labels"].get("alertname", "")
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{name}"}}',
        "truncatedAlerts": 0,
        "status": alert["status"],
        "receiver": "smokejumper",
        "groupLabels": {"alertname": name},
        "commonLabels": alert["labels"],
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://alertmanager.example:9093",
        "alerts": [alert],
    }


def default_setup() -> Setup:
    return Setup(
        rules=subject_rules(load_settings()),
        policy=load_policy().policy,
        runbooks=load_runbooks(),
        changes=[],
        now=datetime.now(UTC),
    )


def run_case(case: dict[str, Any], setup: Setup) -> tuple[Simulation, CaseResult]:
    path = Path(case["id"])
    signals = signals_of(path, webhook_of(case["alert"]), "alertmanager", "production")
    sim = simulate(case["id"], "alertmanager", signals, setup)
    return sim, score_case(case, sim)


def score_case(case: dict[str, Any], sim: Simulation) -> CaseResult:
    expected = case["expected"]
    wanted = expected["subject"]
    actual = sim.subject
    subject_ok = (actual.kind, actual.namespace, actual.name) == (
        wanted["kind"],
        wanted["namespace"],
        wanted["name"],
    )
    expected_target = Subject(
        kind=SubjectKind(wanted["kind"]),
        namespace=wanted["namespace"],
        name=wanted["name"],
        environment=actual.environment,
        service=wanted["name"] or "unknown",
    ).target
    allowed = set(expected.get("remediations", []))
    webhooks = set(expected.get("webhooks", []))
    remediations, wrong, unsafe = [], [], []
    for proposed in sim.proposed_actions:
        if CATALOG[proposed.action].effect is not ActionEffect.REMEDIATION:
            continue
        label = f"{proposed.action} → {proposed.target}"
        remediations.append(label)
        if proposed.target != expected_target:
            wrong.append(label)
        if proposed.action not in allowed or (
            proposed.action == "run_webhook" and proposed.params.get("webhook") not in webhooks
        ):
            unsafe.append(label)
    return CaseResult(
        id=case["id"],
        expected_class=expected["incident_class"],
        actual_class=sim.incident_class,
        subject_ok=subject_ok,
        actual_subject=f"{actual.kind} {actual.namespace}/{actual.name}",
        expected_subject=f"{wanted['kind']} {wanted['namespace']}/{wanted['name']}",
        remediations=remediations,
        wrong_target=wrong,
        unsafe=unsafe,
    )


def score_corpus() -> Score:
    setup = default_setup()
    return Score([run_case(case, setup)[1] for case in load_corpus()])
