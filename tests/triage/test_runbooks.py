"""Runbook files: strict loading, clear errors, versioning and matching."""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

import pytest

import policies.runbooks
from policies.catalog import CATALOG, ActionEffect
from policies.runbooks import (
    KEYWORDS_WEIGHT,
    RunbookError,
    default_runbooks_dir,
    load_runbooks,
    match_runbooks,
    runbooks_version,
)
from tests.triage.factories import alert, crash_signal, shipped_runbooks

SHIPPED = {
    "bad_deploy",
    "certificate_expiry",
    "crash_looping_service",
    "dependency_outage",
    "disk_pressure",
    "faulty_feature_flag",
    "load_saturation",
    "security_or_data_integrity",
    "node_pressure",
    "out_of_memory",
    "job_failure",
    "connection_saturation",
    "error_budget_burn",
}


@pytest.fixture
def runbook_dir(tmp_path: Path) -> Path:
    """A writable copy of the shipped runbooks."""
    target = tmp_path / "runbooks"
    target.mkdir()
    source = default_runbooks_dir()
    for entry in source.iterdir():
        if entry.name.endswith(".yml"):
            (target / entry.name).write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")
    return target


def _edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_shipped_runbooks_load_as_package_data() -> None:
    # The YAML sits in a data folder beside the loader module; the module must still win.
    assert Path(policies.runbooks.__file__).name == "runbooks.py"
    shipped = {e.name for e in files("policies").joinpath("runbooks").iterdir()}
    assert {f"{name}.yml" for name in SHIPPED} <= shipped

    assert {r.name for r in load_runbooks()} == SHIPPED


def test_every_shipped_runbook_allows_only_catalog_actions() -> None:
    for runbook in shipped_runbooks():
        assert runbook.version == 1
        for entry in runbook.actions:
            assert entry.action in CATALOG, (runbook.name, entry.action)


def test_human_only_runbooks_never_allow_a_system_action() -> None:
    security = next(r for r in shipped_runbooks() if r.name == "security_or_data_integrity")
    dependency = next(r for r in shipped_runbooks() if r.name == "dependency_outage")

    assert security.human_only is True
    assert {CATALOG[a.action].effect for a in security.actions} == {ActionEffect.HUMAN}
    proposed = {CATALOG[a.action].effect for a in dependency.actions if a.propose}
    assert proposed == {ActionEffect.HUMAN}


def test_version_is_a_content_hash(runbook_dir: Path) -> None:
    original = runbooks_version(load_runbooks(runbook_dir))
    _edit(
        runbook_dir,
        "disk_pressure.yml",
        "title: Disk pressure",
        "# a comment\ntitle: Disk pressure",
    )
    assert runbooks_version(load_runbooks(runbook_dir)) == original

    _edit(runbook_dir, "disk_pressure.yml", "webhook: disk-cleanup", "webhook: disk-cleanup-v2")
    changed = runbooks_version(load_runbooks(runbook_dir))
    assert changed != original
    assert changed.startswith("sha256:")


LOAD_ERRORS = [
    # Broken YAML.
    (
        "crash_looping_service.yml",
        "team: platform",
        "team: [platform",
        r"crash_looping_service\.yml: invalid YAML",
    ),
    # An action the catalog does not know.
    (
        "bad_deploy.yml",
        "  - action: create_ticket",
        "  - action: drop_database",
        r"bad_deploy\.yml: actions\.4\.action: 'drop_database' is not a catalog action",
    ),
    # A required field left out.
    ("disk_pressure.yml", "team: sre\n", "", r"disk_pressure\.yml: team: Field required"),
    # A field nobody reads is a typo waiting to mislead.
    (
        "load_saturation.yml",
        "team: sre",
        "team: sre\nteams: dba",
        r"load_saturation\.yml: teams: Extra inputs are not permitted",
    ),
    # Duplicate keys silently keep the last in plain YAML.
    (
        "certificate_expiry.yml",
        "team: sre",
        "team: sre\nteam: dba",
        r"certificate_expiry\.yml: invalid YAML: .*duplicate key 'team'",
    ),
    # A format this build does not read.
    (
        "dependency_outage.yml",
        "version: 1",
        "version: 2",
        r"dependency_outage\.yml: version: unsupported format 2",
    ),
    # A human-only runbook may not allow anything that touches a system.
    (
        "security_or_data_integrity.yml",
        "  - action: create_ticket",
        "  - action: restart_deployment",
        r"security_or_data_integrity\.yml: .*may not allow restart_deployment",
    ),
    # The security class cannot be made automatable by dropping the flag.
    (
        "security_or_data_integrity.yml",
        "human_only: true",
        "human_only: false",
        r"security_or_data_integrity must be human_only",
    ),
    # A parameter the catalog does not declare.
    (
        "disk_pressure.yml",
        "webhook: disk-cleanup",
        "webhook: disk-cleanup\n      url: http://evil.example",
        r"disk_pressure\.yml: actions\.0: run_webhook has no parameter 'url'",
    ),
    # A literal parameter value the catalog would reject.
    (
        "load_saturation.yml",
        'replicas_delta: "2"',
        'replicas_delta: "50"',
        r"load_saturation\.yml: actions\.0: replicas_delta must be at most 10",
    ),
    # An action that needs evidence the runbook never declares.
    (
        "bad_deploy.yml",
        "needs: [recent_deploy]",
        "needs: [recent_depoly]",
        r"bad_deploy\.yml: .*undeclared evidence \['recent_depoly'\]",
    ),
    # A regex that does not compile.
    (
        "disk_pressure.yml",
        "    - DiskFull\n",
        "    - DiskFull(\n",
        r"disk_pressure\.yml: match\.alertnames: .*invalid regex",
    ),
    # The name must agree with the file, so the file tells what class it defines.
    (
        "disk_pressure.yml",
        "name: disk_pressure",
        "name: disk_full",
        r"disk_pressure\.yml: name: 'disk_full' must match the file name",
    ),
    # A parameter template from a source that does not exist.
    (
        "faulty_feature_flag.yml",
        '"{change:feature_flag|label:feature_flag}"',
        '"{annotation:flag}"',
        r"faulty_feature_flag\.yml: .*unknown template source 'annotation'",
    ),
    # A boolean written as a string is a mistake, not a yes.
    (
        "disk_pressure.yml",
        "    propose: true",
        '    propose: "yes"',
        r"disk_pressure\.yml: actions\.0\.propose: Input should be a valid boolean",
    ),
]


@pytest.mark.parametrize(
    ("file", "old", "new", "message"), LOAD_ERRORS, ids=[e[3][:40] for e in LOAD_ERRORS]
)
def test_invalid_runbook_fails_with_file_and_field(
    runbook_dir: Path, file: str, old: str, new: str, message: str
) -> None:
    _edit(runbook_dir, file, old, new)

    with pytest.raises(RunbookError, match=message):
        load_runbooks(runbook_dir)


def test_one_bad_file_loads_nothing(runbook_dir: Path) -> None:
    (runbook_dir / "zz_broken.yml").write_text("- just\n- a list\n", encoding="utf-8")

    with pytest.raises(RunbookError, match=r"zz_broken\.yml: a runbook must be a mapping"):
        load_runbooks(runbook_dir)


def test_two_files_may_not_define_the_same_class(runbook_dir: Path) -> None:
    shutil.copy(runbook_dir / "disk_pressure.yml", runbook_dir / "disk_pressure.yaml")

    with pytest.raises(
        RunbookError, match=r"'disk_pressure' is already used by disk_pressure\.yaml"
    ):
        load_runbooks(runbook_dir)


def test_empty_or_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RunbookError, match="no runbook files"):
        load_runbooks(tmp_path)
    with pytest.raises(RunbookError, match="not found"):
        load_runbooks(tmp_path / "absent")


def test_match_scores_add_alertname_labels_and_keywords() -> None:
    matches = match_runbooks([crash_signal()], list(shipped_runbooks()))

    assert [m.name for m in matches] == ["crash_looping_service"]
    # alertname 0.55 + reason label 0.45 + keywords (at most 0.3), capped at 1.
    assert matches[0].score == 1.0
    assert matches[0].fingerprints == ("d40fc7db1abbc59f",)
    assert "label reason matches" in matches[0].reasons


def test_alert_text_alone_makes_only_a_weak_match() -> None:
    # Free text is attacker-controlled: stuffing it with keywords must not buy a strong match.
    signal = alert(
        {"alertname": "GenericAlert", "service": "checkout", "severity": "warning"},
        {
            "summary": "certificate x509 tls expired expiry expires",
            "description": "disk filesystem no space left inodes volume full",
        },
    )

    matches = match_runbooks([signal], list(shipped_runbooks()))

    assert {m.name for m in matches} >= {"certificate_expiry", "disk_pressure"}
    assert all(m.score <= KEYWORDS_WEIGHT for m in matches)


def test_matching_takes_the_best_signal_and_sorts_ties_by_name() -> None:
    weak = alert(
        {"alertname": "Other", "service": "checkout", "severity": "warning"},
        {"summary": "crash loop and back-off restarting"},
        fingerprint="1111111111111111",
    )
    strong = crash_signal(fingerprint="2222222222222222")

    (match,) = match_runbooks([weak, strong], list(shipped_runbooks()))

    assert match.score == 1.0
    assert match.fingerprints == ("1111111111111111", "2222222222222222")
