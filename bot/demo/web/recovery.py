"""The sandbox cluster's pods recover after a restart: the firing alert resolves.

In a real cluster the restarted pods come up, the crash loop stops and Alertmanager
sends the resolved notification; here the alert the page fired is resolved a few
seconds after the Kubernetes API receives the restart PATCH for its workload.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

import aiohttp

from bot.app import Smokejumper
from bot.demo.alerts import DemoAlert, webhook_body
from bot.demo.peers import SandboxPeers
from bot.demo.rig import post_alert
from bot.domain.clock import TimeSource

RECOVERY_SECONDS = 3.0


@dataclass
class Firing:
    """An alert group the page fired and has not resolved."""

    alerts: list[DemoAlert]
    starts_at: datetime


@dataclass
class Recovery:
    """Watches the cluster's writes and resolves the alerts of restarted workloads."""

    bot: Smokejumper
    peers: SandboxPeers
    time: TimeSource
    http: aiohttp.ClientSession
    firing: list[Firing] = field(default_factory=list)
    _seen: int = 0

    async def run_forever(self, poll: float = 0.5) -> None:
        while True:
            await self.step()
            await asyncio.sleep(poll)

    async def step(self) -> None:
        writes = self.peers.cluster.writes()
        fresh, self._seen = writes[self._seen :], len(writes)
        for write in fresh:
            if write["method"] != "PATCH" or "/deployments/" not in write["path"]:
                continue
            namespace, name = _deployment_of(write["path"])
            for group in list(self.firing):
                if any(_about(alert, namespace, name) for alert in group.alerts):
                    self.firing.remove(group)
                    await asyncio.sleep(RECOVERY_SECONDS)
                    body = webhook_body(
                        group.alerts,
                        status="resolved",
                        starts_at=group.starts_at,
                        ends_at=self.time.now(),
                    )
                    await post_alert(self.http, self.bot, body)


def _deployment_of(path: str) -> tuple[str, str]:
    parts = path.strip("/").split("/")
    # /apis/apps/v1/namespaces/{namespace}/deployments/{name}[/scale]
    return parts[4], parts[6]


def _about(alert: DemoAlert, namespace: str, name: str) -> bool:
    labels = alert.labels
    if labels.get("namespace") != namespace:
        return False
    return labels.get("deployment") == name or labels.get("pod", "").startswith(f"{name}-")
