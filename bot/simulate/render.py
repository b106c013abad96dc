"""The human-readable form of a simulation, for a terminal."""

from __future__ import annotations

from bot.simulate.run import Simulation


def render(sim: Simulation) -> str:
    subject = sim.subject
    lines = [f"== {sim.file} ({sim.source}) =="]
    for signal in sim.signals:
        lines.append(
            f"signal   {signal.alertname} [{signal.status}, {signal.severity}]"
            f" service={signal.service} environment={signal.environment}"
        )
    lines.append(
        f"subject  {subject.kind} {subject.target} (service {subject.service},"
        f" environment {subject.environment})"
    )
    lines += [f"         from {step}" for step in subject.derived_from]
    lines.append(
        f"class    {sim.incident_class}, {sim.classification}, confidence {sim.confidence:.2f}"
    )
    lines += [f"         because {reason}" for reason in sim.why]
    lines.append(f"mode     {sim.mode} (policy {sim.policy_version})")
    if not sim.proposed_actions:
        lines.append("actions  none proposed")
    for action in sim.proposed_actions:
        params = " ".join(f"{k}={v}" for k, v in sorted(action.params.items()))
        lines.append(f"action   {action.action} → {action.target} {params}".rstrip())
        lines.append(f"         decision {action.decision}")
        lines += [f"         - {reason['text']}" for reason in action.reasons]
    lines += [f"note     {why}" for why in sim.not_proposed]
    for name, gate in sim.gates.items():
        lines.append(f"gate     {name}: {gate.outcome}")
        lines += [f"         - {reason['text']}" for reason in gate.reasons]
    for other in sim.other_subjects:
        lines.append(f"also     {other.kind} {other.target}: would open an incident of its own")
    return "\n".join(lines)
