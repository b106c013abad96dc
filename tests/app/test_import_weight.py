"""A smokejumper with no integrations configured loads none of their vendor packages.

The server stays small because the Kubernetes, OpenAI, ServiceNow and PagerDuty packages
load only when their integration is configured, and Alembic only in the child process
that migrates. This builds and starts the app the way `smokejumper serve` does, in a
fresh interpreter, on a database that needs migrating, and reads its sys.modules.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# Each is large (kubernetes_asyncio alone is ~850 modules) and unused at idle.
HEAVY = (
    "kubernetes_asyncio",
    "openai",
    "pysnow",
    "pagerduty",
    "httpx2",
    "requests",
    "alembic",
    "mako",
    "pygments",
)

_SCRIPT = """
import asyncio, json, logging, sys

import bot.cli  # what the `smokejumper` command imports before `serve` runs
from bot.app import Smokejumper
from bot.config import load_settings
from bot.logs import configure

configure(logging.INFO)

HEAVY = set(sys.argv[1].split(","))


def loaded():
    return sorted({name.split(".")[0] for name in sys.modules} & HEAVY)


settings = load_settings()
app = Smokejumper(settings)
built = loaded()


async def serve_once():
    await app.start("127.0.0.1", 0)
    await app.stop()


asyncio.run(serve_once())
print(json.dumps({"built": built, "started": loaded()}))
"""


def test_serve_loads_no_vendor_package_it_does_not_use(tmp_path: Path) -> None:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SMOKEJUMPER_", "SLACK_", "OPENAI_"))
    }
    env.update(
        SLACK_BOT_TOKEN="xoxb-import-weight",
        SLACK_SIGNING_SECRET="import-weight-secret",
        # A fresh file: the start migrates it, in a child process.
        SMOKEJUMPER_DATABASE_URL=f"sqlite:///{tmp_path / 'smokejumper.db'}",
    )
    result = subprocess.run(  # noqa: S603  (this file's own script)
        [sys.executable, "-c", _SCRIPT, ",".join(HEAVY)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    modules = json.loads(result.stdout.strip().splitlines()[-1])
    assert modules == {"built": [], "started": []}
    # The schema really was migrated, by the child.
    assert "migrating in a child process" in result.stderr
