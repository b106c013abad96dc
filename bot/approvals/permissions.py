"""Whether a Slack user is among a policy's approvers, directly or through a user group."""

from __future__ import annotations

from dataclasses import dataclass

from bot.approvals.directory import GroupDirectory
from policies.engine_inputs import Approver
from policies.policy import Policy
from policies.policy_schema import ApproverSet, RiskClass


@dataclass(frozen=True, slots=True)
class Admission:
    """The answer, with the approver as the engine takes it and groups Slack could not list."""

    admitted: bool
    approver: Approver
    unreadable: frozenset[str] = frozenset()

    def note(self) -> str:
        """A sentence about groups that could not be checked, or nothing."""
        if self.admitted or not self.unreadable:
            return ""
        groups = ", ".join(f"<!subteam^{g}>" for g in sorted(self.unreadable))
        return f" (Slack did not tell me who is in {groups}; try again in a minute.)"


def approvers_of_action(policy: Policy, action: str) -> ApproverSet:
    """Who may approve `action`; an action the policy does not know is human_only."""
    if policy.action(action) is None:
        return policy.rules.approvers.for_risk(RiskClass.HUMAN_ONLY)
    return policy.rules.approvers_for(action)


def human_only_approvers(policy: Policy) -> ApproverSet:
    """Who may approve the riskiest actions, and so may change how autonomous the bot is."""
    return policy.rules.approvers.for_risk(RiskClass.HUMAN_ONLY)


def mentions(approvers: ApproverSet) -> str:
    """The approvers as Slack mentions."""
    names = [f"<!subteam^{g}>" for g in approvers.groups] + [f"<@{u}>" for u in approvers.users]
    return ", ".join(names)


async def admit(directory: GroupDirectory, approvers: ApproverSet, user_id: str) -> Admission:
    """Whether `user_id` is named in `approvers` or belongs to one of its groups."""
    if user_id in approvers.users:
        return Admission(True, Approver.of(user_id))
    membership = await directory.groups_of(user_id, approvers.groups)
    approver = Approver.of(user_id, membership.groups)
    return Admission(approvers.admits(user_id, approver.group_ids), approver, membership.unreadable)
