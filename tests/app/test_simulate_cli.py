"""`smokejumper simulate` as a user runs it: files in, verdicts out, meaningful exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.support.real_alerts import load_corpus, webhook_of


def _write_alert(tmp_path: Path, case_id: str) -> Path:
    case = next(c for c in load_corpus() if c["id"] == case_id)
    path = tmp_path / (case_id.replace("/", "_") + ".json")
    path.write_text(json.dumps(webhook_of(case["alert"])))
    return path


def test_json_names_subject_class_actions_and_gates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alert = _write_alert(tmp_path, "kube-prometheus/KubePodCrashLooping")
    assert main(["simulate", "--json", "--mode", "limited", str(alert)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["subject"]["kind"] == "deployment" and out["subject"]["target"] == "shop/checkout"
    assert out["incident_class"] == "crash_looping_service"
    restart = next(a for a in out["proposed_actions"] if a["action"] == "restart_deployment")
    assert restart["target"] == "shop/checkout" and restart["decision"] and restart["reasons"]
    assert set(out["gates"]) == {"ticket", "paging", "major_incident"}
    assert out["mode"] == "limited"


def test_cases_file_fails_naming_each_mismatch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alert = _write_alert(tmp_path, "kube-prometheus/KubeNodeNotReady")
    cases = tmp_path / "cases.yml"
    cases.write_text(
        "cases:\n"
        f"  - name: node is node_pressure\n    file: {alert.name}\n"
        "    expect: {incident_class: node_pressure, never: [restart_deployment]}\n"
        f"  - name: wrong on purpose\n    file: {alert.name}\n"
        "    expect: {incident_class: crash_looping_service, subject: {kind: deployment}}\n"
    )
    assert main(["simulate", "--cases", str(cases)]) == 1
    out = capsys.readouterr().out
    assert "ok   node is node_pressure" in out
    assert "FAIL wrong on purpose: class is node_pressure, expected crash_looping_service" in out
    assert "subject kind is 'node', expected 'deployment'" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "invalid JSON at line"),
        ('{"version": "4", "groupKey": "g", "alerts": "nope"}', "not a valid alertmanager body"),
    ],
)
def test_bad_input_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert main(["simulate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and message in err and "Traceback" not in err
