"""Autonomy controls in words, for status replies, announcements and App Home."""

from __future__ import annotations

from datetime import datetime

from bot.autonomy.scope import FLEET, label
from bot.slack_text import clip, escape
from policies.autonomy import MODE_WORDS, effective_mode
from policies.engine_inputs import Freeze, FreezeState
from policies.policy import Policy, PolicyProblem


def when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC"


def freeze_text(scope: str, held: Freeze, now: datetime) -> str:
    """One freeze: where, until when, by whom and why."""
    if held.until is not None:
        left = max(0, int((held.until - now).total_seconds() // 60))
        span = f"until {when(held.until)} ({left // 60}h {left % 60}m left)"
    else:
        span = "until lifted"
    who = f" by <@{escape(held.set_by)}>" if held.set_by else ""
    why = f": {escape(clip(held.reason, 300))}" if held.reason else ""
    return f"🧊 {label(scope)} frozen {span}{who}{why}"


def freeze_lines(state: FreezeState, now: datetime) -> list[str]:
    """Every freeze in force, the fleet-wide one first."""
    lines = []
    if state.fleet is not None and state.fleet.active(now):
        lines.append(freeze_text(FLEET, state.fleet, now))
    for service, held in sorted(state.services.items()):
        if held.active(now):
            lines.append(freeze_text(service, held, now))
    return lines


def freeze_summary(state: FreezeState, now: datetime) -> str:
    """Freezes in force, or a line saying there are none."""
    lines = freeze_lines(state, now)
    return "\n".join(lines) if lines else "▶️ Not frozen: autonomy follows the policy."


def service_autonomy(
    policy: Policy, state: FreezeState, service: str, environment: str, now: datetime
) -> str:
    """The mode in force for one service and whether a freeze holds it."""
    mode = effective_mode(policy, state, service, environment)
    from_file = policy.mode_for(service, environment)
    source = "policy file" if mode is from_file else "lowered from Slack"
    text = f"*Autonomy mode:* `{mode.value}` ({source}) — {MODE_WORDS[mode]}"
    held = state.freeze_for(service, now)
    if held is not None:
        scope = FLEET if held is state.fleet else service
        text += "\n" + freeze_text(scope, held, now) + " — nothing runs by itself"
    return text


def modes_summary(policy: Policy, state: FreezeState) -> str:
    """The file's default and per-service modes, and the caps set from Slack."""
    autonomy = policy.rules.autonomy
    lines = [f"*Policy mode:* `{autonomy.mode.value}` by default"]
    if autonomy.services:
        per = ", ".join(
            f"`{escape(k)}`: {v.value}" for k, v in sorted(autonomy.services.items())[:20]
        )
        lines.append(f"*Per service (file):* {per}")
    if state.mode_caps:
        caps = ", ".join(
            f"{label(scope)}: {mode.value}" for scope, mode in sorted(state.mode_caps.items())
        )
        lines.append(f"*Set from Slack (caps, never raise the file's mode):* {caps}")
    return "\n".join(lines)


def policy_line(policy: Policy) -> str:
    return f"*Policy:* `{escape(policy.version)}` from `{escape(clip(policy.source, 120))}`"


def policy_alarm(policy: Policy, problem: PolicyProblem | None) -> str | None:
    """A loud warning when the policy file was not used, with what to fix; else None."""
    if problem is None and not policy.is_fallback:
        return None
    if problem is not None:
        detail = f"{escape(clip(problem.message, 400))}. {escape(clip(problem.fix, 300))}"
    else:
        detail = escape(clip(policy.fallback_reason or "no valid policy file", 400))
    return (
        "🚨 *POLICY FILE INVALID — the safe fallback is in force:* assist mode everywhere,"
        f" nothing runs by itself. {detail}"
    )
