"""The shipped Grafana dashboard is valid JSON and asks only for series /metrics exposes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.support.harness import Harness

DASHBOARD = Path(__file__).parents[2] / "dashboards" / "smokejumper.json"
SERIES = re.compile(r"smokejumper_[a-z_]+")


async def test_every_panel_queries_a_series_that_exists(harness: Harness) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert len(exprs) >= 15
    wanted = {name for expr in exprs for name in SERIES.findall(expr)}
    async with harness.http.get(harness.app.url + "/metrics") as resp:
        text = await resp.text()
    # Declared families, whether or not they have a sample yet.
    declared = set(re.findall(r"^# TYPE (\S+) ", text, flags=re.MULTILINE))
    suffixes = ("_total", "_bucket", "_count", "_sum")
    missing = {
        name
        for name in wanted
        if name not in declared
        and not any(name.endswith(s) and name.removesuffix(s) in declared for s in suffixes)
    }
    assert missing == set()
    for needed in ("time_to_acknowledge", "autonomous_share", "escalation_precision", "429"):
        assert needed in json.dumps(dashboard)
