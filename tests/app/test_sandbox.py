"""`smokejumper sandbox` runs with no credentials and prints the conversation."""

from __future__ import annotations

import os
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

from bot.sandbox import run_sandbox


async def test_sandbox_conversation(tmp_path: Path) -> None:
    transcript = await run_sandbox(database_url=f"sqlite+aiosqlite:///{tmp_path / 'sb.db'}")
    lines = transcript.splitlines()
    assert any("created #inc-" in line for line in lines)
    assert any("pinned a message" in line for line in lines)
    # The announcement: its head line, then its one block (its marker for a rerun's check).
    assert any(
        line.startswith("[#incidents]") and "Incident #1 opened" in after
        for line, after in pairwise(lines)
    )
    assert any("Alertmanager HA peer" in line and '"duplicate": 1' in line for line in lines)
    assert any("Signal resolved" in line for line in lines)
    assert sum("created #inc-" in line for line in lines) == 2  # the alert, and a day later


async def test_sandbox_runs_the_whole_loop(tmp_path: Path) -> None:
    transcript = await run_sandbox(database_url=f"sqlite+aiosqlite:///{tmp_path / 'sb.db'}")
    lines = transcript.splitlines()
    # The recent deploy reached the triage card.
    assert any("_deploy_ checkout v2.13.2 -&gt; v2.14.0 by ci-bot" in line for line in lines)
    # A responder approved the restart and the Kubernetes API saw the rollout restart.
    assert any("@alice clicked [Approve]" in line for line in lines)
    [patch] = [line for line in lines if line.startswith("Kubernetes API received")]
    assert "PATCH /apis/apps/v1/namespaces/shop/deployments/checkout" in patch
    assert "kubectl.kubernetes.io/restartedAt" in patch
    # The resolved alert verified it, the handoff was posted, the ticket was resolved.
    assert "restart_deployment #2 is verified" in lines
    assert any("✅ verified by @alice" in line for line in lines)
    assert any("== Handoff: #1" in line for line in lines)
    [ticket] = [line for line in lines if line.startswith("ServiceNow INC")]
    assert "(state 6," in ticket
    assert any("Handed off" in line or "Handoff" in line for line in lines if "|" in line)
    assert sum(line.startswith("    work note [smokejumper batch") for line in lines) >= 3
    # A day later the same alert: outcome memory and the similar past incident.
    second = transcript.split("created #inc-", 2)[2]
    assert "restart_deployment was verified on #1" in second
    assert "_past_incident_ Similar: Pod is crash looping." in second


def test_sandbox_command_needs_no_environment(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "sandbox"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "== the Slack conversation ==" in result.stdout
    assert "Traceback" not in result.stderr
