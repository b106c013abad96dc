"""`smokejumper sandbox` runs with no credentials and prints the conversation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.sandbox import run_sandbox


async def test_sandbox_conversation(tmp_path: Path) -> None:
    transcript = await run_sandbox(database_url=f"sqlite+aiosqlite:///{tmp_path / 'sb.db'}")
    lines = transcript.splitlines()
    assert any("created #inc-" in line for line in lines)
    assert any("pinned a message" in line for line in lines)
    assert any(line.startswith("[#incidents]") and "Incident #1 opened" in line for line in lines)
    assert any("HA duplicate" in line and '"duplicate": 1' in line for line in lines)
    assert any("Signal resolved" in line for line in lines)
    assert any("set incident #1 to *acknowledged*" in line for line in lines)
    assert sum("created #inc-" in line for line in lines) == 1


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
