"""The engine's inputs refuse what would make a decision wrong, and hash stably."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.lifecycle import IncidentStatus
from bot.triage.models import ActionParam, ProposedAction
from policies.decisions import params_hash
from policies.engine_inputs import (
    AutonomousRun,
    Freeze,
    FreezeState,
    History,
    IncidentState,
    Proposal,
)
from policies.policy_schema import AutonomyMode
from policies.strict_yaml import StrictYamlError, line_of, load_strict_yaml
from tests.policies.factories import NOW, SCOPE, incident, proposal


def test_params_hash_binds_action_target_and_params_in_any_order() -> None:
    base = params_hash("scale_deployment", SCOPE, {"replicas_delta": "2", "max_replicas": "9"})

    assert len(base) == 64 and int(base, 16) >= 0
    assert base == params_hash(
        "scale_deployment", SCOPE, {"max_replicas": "9", "replicas_delta": "2"}
    )
    assert base != params_hash(
        "scale_deployment", SCOPE, {"replicas_delta": "3", "max_replicas": "9"}
    )
    assert base != params_hash(
        "scale_deployment", "staging/checkout", {"replicas_delta": "2", "max_replicas": "9"}
    )
    assert base != params_hash(
        "restart_deployment", SCOPE, {"replicas_delta": "2", "max_replicas": "9"}
    )


def test_a_triage_proposal_becomes_an_engine_proposal() -> None:
    proposed = ProposedAction(
        action="disable_feature_flag",
        target=SCOPE,
        params=[ActionParam(name="flag", value="new-checkout")],
        rationale="the flag flipped before the errors",
    )

    made = Proposal.from_triage(proposed, NOW)

    assert made.params == {"flag": "new-checkout"}
    assert made.proposed_by == "triage" and not made.by_hand
    assert proposal(proposed_by="U0ALICE").by_hand


def test_proposal_params_cannot_change_after_the_fact() -> None:
    params = {"flag": "a"}
    made = proposal("disable_feature_flag", params=params)
    params["flag"] = "b"

    assert made.params == {"flag": "a"}
    with pytest.raises(TypeError):
        made.params["flag"] = "c"  # type: ignore[index]


def test_naive_times_are_refused() -> None:
    naive = NOW.replace(tzinfo=None)

    with pytest.raises(ValueError, match="timezone-aware"):
        proposal(proposed_at=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        History(autonomous_runs=(AutonomousRun("checkout", naive),))
    with pytest.raises(ValueError, match="timezone-aware"):
        Freeze(reason="x", until=naive)


def test_more_independent_sources_than_signals_is_refused() -> None:
    with pytest.raises(ValueError, match="independent_sources"):
        incident(signal_count=1, independent_sources=2)


def test_incident_state_follows_the_lifecycle() -> None:
    assert IncidentState.of(IncidentStatus.MITIGATED) is IncidentState.OPEN
    assert IncidentState.of(IncidentStatus.RESOLVED) is IncidentState.CLOSED


def test_a_freeze_holds_until_its_time() -> None:
    state = FreezeState(services={"checkout": Freeze(reason="x", until=NOW + timedelta(minutes=5))})

    assert state.is_frozen("checkout", NOW)
    assert not state.is_frozen("checkout", NOW + timedelta(minutes=5))
    assert not state.is_frozen("payments", NOW)
    assert FreezeState(fleet=Freeze(reason="all")).is_frozen("payments", NOW)


def test_the_lowest_mode_cap_wins() -> None:
    state = FreezeState(mode_caps={"*": AutonomyMode.LIMITED, "checkout": AutonomyMode.SHADOW})

    assert state.cap_for("checkout") is AutonomyMode.SHADOW
    assert state.cap_for("payments") is AutonomyMode.LIMITED
    assert FreezeState().cap_for("checkout") is None


def test_strict_yaml_refuses_nested_duplicates_and_finds_lines() -> None:
    text = "a:\n  b: 1\n  c:\n    - x\n    - y\n"

    assert load_strict_yaml(text) == {"a": {"b": 1, "c": ["x", "y"]}}
    assert line_of(text, ["a", "c", 1]) == 5
    assert line_of(text, ["a", "missing"]) == 1
    with pytest.raises(StrictYamlError) as raised:
        load_strict_yaml("a:\n  b: 1\n  b: 2\n")
    assert raised.value.line == 3
    assert "duplicate key 'b'" in str(raised.value)


def test_strict_yaml_builds_no_objects() -> None:
    with pytest.raises(StrictYamlError):
        load_strict_yaml("!!python/object/apply:os.system ['true']")
