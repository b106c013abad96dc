"""`smokejumper simulate`: files in, what the bot would do out; exit 1 on a failed case."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.config import ConfigError, load_settings
from bot.simulate.cases import CasesError, load_cases, mismatches
from bot.simulate.inputs import InputError, detect_source, read_changes, read_json, signals_of
from bot.simulate.render import render
from bot.simulate.run import Setup, Simulation, simulate
from bot.subjects.setup import subject_rules
from policies.policy import Policy, load_policy
from policies.policy_schema import AutonomyMode
from policies.runbooks import load_runbooks

BAD_INPUT = 2
CASES_FAILED = 1


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "simulate",
        help="show what the bot would do with alert files (no Slack, no database)",
        description=(
            "Reads Alertmanager (v4), generic and PagerDuty (v3) webhook bodies and prints the "
            "normalized signal, its subject, the class and confidence, each proposed action "
            "with the policy's decision, and the ticket, paging and major-incident gates."
        ),
    )
    parser.add_argument("files", nargs="*", type=Path, help="alert bodies (JSON)")
    parser.add_argument("--policy", type=Path, help="policy file (default: the shipped policy)")
    parser.add_argument(
        "--mode", choices=[m.value for m in AutonomyMode], help="override the autonomy mode"
    )
    parser.add_argument("--changes", type=Path, help="change events (a POST /changes body)")
    parser.add_argument(
        "--source", choices=["alertmanager", "generic", "pagerduty"], help="skip detection"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per input file")
    parser.add_argument("--cases", type=Path, help="a cases file of alerts and expected outcomes")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        setup = _setup(args)
        if args.cases is not None:
            return _run_cases(args.cases, setup, args.source)
        if not args.files:
            raise InputError("give at least one alert file, or --cases FILE")
        for path in args.files:
            sim = _simulate_file(path, setup, args.source)
            print(sim.model_dump_json() if args.json else render(sim) + "\n")
    except (InputError, CasesError, ConfigError) as exc:
        print(f"smokejumper simulate: {exc}", file=sys.stderr)
        return BAD_INPUT
    return 0


def _setup(args: argparse.Namespace) -> Setup:
    loaded = load_policy(args.policy)
    if loaded.problem is not None:
        problem = loaded.problem
        where = f" line {problem.line}" if problem.line is not None else ""
        raise InputError(f"{problem.source}{where}: {problem.reason}")
    policy = loaded.policy
    if args.mode is not None:
        policy = _with_mode(policy, AutonomyMode(args.mode))
    changes = read_changes(args.changes) if args.changes is not None else []
    return Setup(
        rules=subject_rules(load_settings()),
        policy=policy,
        runbooks=load_runbooks(),
        changes=changes,
        now=datetime.now(UTC),
    )


def _with_mode(policy: Policy, mode: AutonomyMode) -> Policy:
    autonomy = policy.rules.autonomy.model_copy(update={"mode": mode, "services": {}})
    rules = policy.rules.model_copy(update={"autonomy": autonomy})
    return Policy(rules=rules, version=policy.version, source=policy.source)


def _simulate_file(path: Path, setup: Setup, source: str | None) -> Simulation:
    document = read_json(path)
    name = source or detect_source(document)
    signals = signals_of(path, document, name, setup.rules.default_environment)
    if not signals:
        raise InputError(f"{path}: the body holds no alerts")
    return simulate(str(path), name, signals, setup)


def _run_cases(path: Path, setup: Setup, source: str | None) -> int:
    failed = 0
    cases = load_cases(path)
    for case in cases:
        sim = _simulate_file(Path(case.file), setup, case.source or source)
        problems = mismatches(case, sim)
        if problems:
            failed += 1
            print(f"FAIL {case.name}: " + "; ".join(problems))
        else:
            print(f"ok   {case.name}")
    print(f"{len(cases) - failed} of {len(cases)} cases hold")
    return CASES_FAILED if failed else 0
