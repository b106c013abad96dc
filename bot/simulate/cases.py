"""A team's expectations of the bot, kept beside its policy and checked by `simulate --cases`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.simulate.run import Simulation
from policies.strict_yaml import StrictYamlError, load_strict_yaml


class CasesError(Exception):
    """The cases file cannot be used; the message names it and the problem."""


class ExpectedSubject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    environment: str | None = None


class ExpectedAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str
    target: str | None = None
    decision: str | None = None


class Expectation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    incident_class: str | None = None
    subject: ExpectedSubject | None = None
    # The exact list of proposed actions, in order; omit to not check them.
    actions: list[ExpectedAction] | None = None
    # Actions that must not be proposed.
    never: list[str] = Field(default_factory=list)
    # Gate name → outcome, e.g. {paging: human_review}.
    gates: dict[str, str] = Field(default_factory=dict)


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    file: str
    source: str | None = None
    expect: Expectation


class CasesDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cases: list[Case] = Field(min_length=1)


def load_cases(path: Path) -> list[Case]:
    """The cases of a file; alert files are relative to the cases file."""
    try:
        document = load_strict_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CasesError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (StrictYamlError, UnicodeDecodeError) as exc:
        raise CasesError(f"{path}: {exc}") from None
    try:
        parsed = CasesDocument.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "top level"
        raise CasesError(f"{path}: {where}: {first['msg']}") from None
    return [
        case.model_copy(update={"file": str((path.parent / case.file).resolve())})
        for case in parsed.cases
    ]


def mismatches(case: Case, sim: Simulation) -> list[str]:
    """Each way the simulation differs from what the case expects, in words."""
    expect = case.expect
    found: list[str] = []
    if expect.incident_class is not None and sim.incident_class != expect.incident_class:
        found.append(f"class is {sim.incident_class}, expected {expect.incident_class}")
    if expect.subject is not None:
        actual: dict[str, Any] = sim.subject.model_dump()
        for key, wanted in expect.subject.model_dump(exclude_none=True).items():
            if actual.get(key) != wanted:
                found.append(f"subject {key} is {actual.get(key)!r}, expected {wanted!r}")
    proposed = sim.proposed_actions
    if expect.actions is not None:
        names = [p.action for p in proposed]
        wanted_names = [a.action for a in expect.actions]
        if names != wanted_names:
            found.append(f"actions are {names}, expected {wanted_names}")
        else:
            for want, got in zip(expect.actions, proposed, strict=True):
                if want.target is not None and got.target != want.target:
                    found.append(f"{got.action} targets {got.target}, expected {want.target}")
                if want.decision is not None and got.decision != want.decision:
                    found.append(f"{got.action} is {got.decision}, expected {want.decision}")
    for name in expect.never:
        if any(p.action == name for p in proposed):
            found.append(f"{name} is proposed, expected never")
    for gate, outcome in expect.gates.items():
        actual_gate = sim.gates.get(gate)
        if actual_gate is None:
            found.append(f"no gate called {gate}")
        elif actual_gate.outcome != outcome:
            found.append(f"gate {gate} is {actual_gate.outcome}, expected {outcome}")
    return found
