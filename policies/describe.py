"""The policy in words, for `smokejumper policy check FILE` and for people reviewing it."""

from __future__ import annotations

from pathlib import Path

from policies.action_decision import GATED_ACTIONS
from policies.autonomy import MODE_WORDS
from policies.catalog import CATALOG, ActionEffect
from policies.gates import GATE_MODES, PAGING, TICKET
from policies.policy import Policy, load_policy
from policies.policy_schema import ActionPolicy, ApproverSet, AutonomyMode, RiskClass

_GATE_OF = {"page_oncall": PAGING, "create_ticket": TICKET}


def describe_policy(policy: Policy) -> str:
    """Every rule of the policy as sentences: modes, actions, thresholds, limits, approvers."""
    sections = [
        _header(policy),
        _section("Modes", [f"{mode}: {MODE_WORDS[mode]}." for mode in AutonomyMode]),
        _section("Autonomy", _autonomy(policy)),
        _section("Actions", [_action(policy, name) for name in sorted(CATALOG)]),
        _section("Thresholds", _thresholds(policy)),
        _section("Limits", _limits(policy)),
        _section("Escalation", _escalation(policy)),
        _section("Approvers", _approvers(policy)),
    ]
    return "\n\n".join(sections) + "\n"


def check_policy_file(path: Path) -> tuple[int, str]:
    """Exit code and text: 0 with the policy in words, or 1 with what to fix."""
    loaded = load_policy(path)
    if loaded.problem is not None:
        problem = loaded.problem
        return 1, (
            f"invalid: {problem.message}\n"
            f"{problem.fix} Then run `smokejumper policy check {path}` again.\n"
            "Until it loads, the bot runs the safe fallback: assist mode everywhere,"
            " nothing runs by itself.\n"
        )
    return 0, f"valid: {path}\n\n{describe_policy(loaded.policy)}"


def _header(policy: Policy) -> str:
    lines = [f"Policy {policy.version} from {policy.source}."]
    if policy.fallback_reason is not None:
        lines.append(
            f"THIS IS THE SAFE FALLBACK: {policy.fallback_reason}. Every action needs approval;"
            " nothing runs by itself."
        )
    return "\n".join(lines)


def _section(title: str, lines: list[str]) -> str:
    return "\n".join([title, *(f"- {line}" for line in lines)])


def _autonomy(policy: Policy) -> list[str]:
    autonomy = policy.rules.autonomy
    lines = [f"By default every service runs in {autonomy.mode} mode: {MODE_WORDS[autonomy.mode]}."]
    for scope, mode in sorted(autonomy.services.items()):
        environment, _, service = scope.rpartition("/")
        where = (
            f"In {environment}, {service}" if environment else f"In every environment, {service}"
        )
        lines.append(f"{where} runs in {mode} mode: {MODE_WORDS[mode]}.")
    lines.append(f"Shadow mode records what {autonomy.shadow_as} mode would have done.")
    lines.append("A mode set from Slack can lower these modes, never raise them.")
    lines.append("A freeze stops everything from running by itself; approvals still work.")
    return lines


def _action(policy: Policy, name: str) -> str:
    entry = policy.rules.actions[name]
    spec = CATALOG[name]
    traits = f"{entry.risk}, {'reversible' if entry.reversible else 'not reversible'}"
    parts = [f"{name} via {entry.adapter}: {traits}"]
    if not entry.enabled:
        return f"{parts[0]}; disabled: always forbidden."
    for param, bounds in sorted(entry.bounds.items()):
        parts.append(f"{param} {bounds.describe()}")
    if entry.scale is not None:
        parts.append(
            f"at most {entry.scale.max_factor:g} times the current replicas and at most"
            f" {entry.scale.max_replicas} replicas"
        )
    parts.append(_when_autonomous(policy, name, entry))
    approvals = policy.rules.approvals_for(name)
    who = _who(policy.rules.approvers_for(name))
    if approvals == 2:
        parts.append(f"otherwise two different approvers from {who}")
    else:
        parts.append(f"otherwise one approval from {who}")
    if spec.effect is not ActionEffect.HUMAN:
        parts.append(
            "escalated when confidence is low, evidence contradicts or the domain is sensitive"
        )
    return "; ".join(parts) + "."


def _when_autonomous(policy: Policy, name: str, entry: ActionPolicy) -> str:
    if policy.rules.approvals_for(name) == 2:
        return "never runs by itself"
    if entry.risk is not RiskClass.SAFE or not entry.reversible:
        return "never runs by itself (only safe, reversible actions do)"
    if name in GATED_ACTIONS:
        gate = _GATE_OF[name]
        return f"runs by itself in {GATE_MODES[gate]} mode and above when the {gate} gate passes"
    return "runs by itself in limited mode and above"


def _thresholds(policy: Policy) -> list[str]:
    thresholds = policy.rules.thresholds
    ticket = thresholds.ticket
    paging = thresholds.paging
    major = thresholds.major_incident
    rate = policy.rules.limits.paging_rate
    return [
        f"Ticket by itself only if confidence ≥ {ticket.min_confidence:.2f} and the environment"
        f" is {' or '.join(ticket.environments)} (limited mode up to"
        f" {ticket.limited_mode_max_classification}; paging and mim modes any classification).",
        f"Page by itself only if classification ≥ {paging.min_classification}, confidence ≥"
        f" {paging.min_confidence:.2f} and fewer than {rate.pages} pages went out in the last"
        f" {rate.window_minutes} min (paging mode and above).",
        f"Major incident by itself only if sev1, confidence ≥ {major.min_confidence:.2f} and at"
        f" least {major.min_independent_sources} independent sources confirm impact (mim mode).",
        "Otherwise: human review.",
        f"Below confidence {thresholds.action_confidence:.2f}, an action that touches a system is"
        " escalated to humans.",
    ]


def _limits(policy: Policy) -> list[str]:
    limits = policy.rules.limits
    blast = limits.blast_radius
    breaker = limits.circuit_breaker
    return [
        f"Duplicate suppression: the same action with the same parameters does not run by"
        f" itself twice for an incident within {limits.duplicate_window_minutes} min.",
        f"Paging rate: at most {limits.paging_rate.pages} automatic pages per"
        f" {limits.paging_rate.window_minutes} min.",
        f"Blast radius: at most {blast.per_service} autonomous remediations per service and"
        f" {blast.fleet} across the fleet per {blast.window_minutes} min; beyond that, escalate.",
        f"Circuit breaker: while {breaker.services} or more services alert within"
        f" {breaker.window_minutes} min, nothing runs by itself.",
        f"Retries: at most {limits.max_retries} per action.",
        f"Proposals expire after {limits.proposal_expiry_minutes} min.",
        f"Verification window: {limits.verification_window_minutes} min after an action runs.",
    ]


def _escalation(policy: Policy) -> list[str]:
    rules = policy.rules.escalation
    flags = ", ".join(f.value for f in rules.contradicting_flags) or "none"
    labels = "; ".join(
        f"{label} in {', '.join(values)}"
        for label, values in sorted(rules.sensitive.labels.items())
    )
    return [
        f"Evidence contradicts when the triage checks flag: {flags}.",
        f"Sensitive incident classes: {', '.join(rules.sensitive.incident_classes)}.",
        f"Sensitive labels: {labels or 'none'}.",
        "An action that already failed for an incident is not repeated without people.",
    ]


def _approvers(policy: Policy) -> list[str]:
    approvers = policy.rules.approvers
    lines = [f"{risk}: {_who(approvers.for_risk(risk))}." for risk in RiskClass]
    lines.append(
        "human_only and high-risk actions (irreversible changes to a system, or marked"
        " two_approvers) need two different approvers."
    )
    lines.append("Nobody approves an action they proposed by hand.")
    return lines


def _who(approvers: ApproverSet) -> str:
    parts = []
    if approvers.groups:
        parts.append(f"user groups {', '.join(approvers.groups)}")
    if approvers.users:
        parts.append(f"users {', '.join(approvers.users)}")
    return " and ".join(parts)
