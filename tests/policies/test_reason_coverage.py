"""Every reason code has a case that produces it and a near miss that does not."""

from __future__ import annotations

from policies.decisions import ReasonCode
from tests.policies.test_decide import CASES
from tests.policies.test_gates import GATE_CASES

# Covered by dedicated tests rather than the tables.
ELSEWHERE = {ReasonCode.POLICY_FALLBACK}


def test_every_reason_code_is_produced_and_missed_by_some_case() -> None:
    present = {c.present for c in CASES.values()} | {c.present for c in GATE_CASES.values()}
    absent = {c.absent for c in CASES.values()} | {c.absent for c in GATE_CASES.values()}

    assert set(ReasonCode) - ELSEWHERE - present == set()
    assert set(ReasonCode) - ELSEWHERE - absent == set()
