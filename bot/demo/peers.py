"""The local peers the sandbox bot talks to, and the adapters file that points at them.

Each is a server speaking the vendor's real HTTP protocol on 127.0.0.1 (an ephemeral
port): Slack's Web API, a Kubernetes API server, a ServiceNow instance's Table API and
PagerDuty's Events and REST APIs over HTTPS with a throwaway CA. The bot reaches them
through the same `SMOKEJUMPER_ADAPTERS_FILE` and services file a user writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.demo.cluster import TOKEN, SandboxCluster
from bot.domain.clock import TimeSource
from integrations.common.tls import make_test_tls
from integrations.pagerduty.emulator import PagerDutyServer
from integrations.servicenow.emulator import ServiceNowServer
from integrations.slack.emulator import SlackEmulator

BOT_TOKEN = "xoxb-sandbox"  # noqa: S105  (the emulator's own token)
ANNOUNCE_CHANNEL = "incidents"
# Sandbox-only credentials of the local peers: nothing real is reachable with them.
PAGERDUTY_ROUTING_KEY = "R0ut1ngKeySandboxAbCdEf012345678"
PAGERDUTY_API_TOKEN = "sandbox-pagerduty-token"  # noqa: S105
PAGERDUTY_FROM = "smokejumper@example.com"

SERVICES = {
    "services": [
        {
            "name": "checkout",
            "environment": "production",
            "team": "oncall",
            "namespaces": ["shop"],
            "workloads": ["shop/checkout"],
            "runbooks": ["https://wiki.example.com/runbooks/checkout"],
        },
        {
            "name": "cart",
            "environment": "production",
            "team": "oncall",
            "namespaces": ["shop"],
            "workloads": ["shop/cart"],
        },
        {
            "name": "payments",
            "environment": "production",
            "team": "oncall",
            "namespaces": ["payments"],
        },
    ]
}


@dataclass
class SandboxPeers:
    """Slack, Kubernetes, ServiceNow and PagerDuty, started and stopped together."""

    workdir: Path
    time: TimeSource
    slack: SlackEmulator = field(init=False)
    cluster: SandboxCluster = field(default_factory=SandboxCluster, init=False)
    servicenow: ServiceNowServer = field(default_factory=ServiceNowServer, init=False)
    pagerduty: PagerDutyServer = field(init=False)
    adapters_file: Path = field(init=False)
    services_file: Path = field(init=False)

    async def start(self) -> None:
        """Start every peer, create #incidents, and write the adapters and services files."""
        self.slack = SlackEmulator(bot_token=BOT_TOKEN, clock=self.time.monotonic)
        await self.slack.start()
        # #incidents exists before the bot starts, with the bot in it, as in a workspace.
        self.slack.state.add_channel(
            ANNOUNCE_CHANNEL,
            creator="U0ALICE",
            members=["U0ALICE", "U0BOB", "U0CAROL", self.slack.state.bot_user_id],
            record=False,
        )
        await self.cluster.start(self.time.now())
        await self.servicenow.start()
        tls = make_test_tls(self.workdir / "pagerduty-tls")
        self.pagerduty = PagerDutyServer(
            tls,
            routing_keys={PAGERDUTY_ROUTING_KEY},
            api_token=PAGERDUTY_API_TOKEN,
            users={PAGERDUTY_FROM},
        )
        await self.pagerduty.start()
        adapters = {
            "kubernetes": {
                "credentials": {"kind": "token", "host": self.cluster.url, "bearer_token": TOKEN},
            },
            "pagerduty": {
                "routing_key": PAGERDUTY_ROUTING_KEY,
                "api_token": PAGERDUTY_API_TOKEN,
                "from_email": PAGERDUTY_FROM,
                "events_url": self.pagerduty.url,
                "api_url": self.pagerduty.url,
                "ca_bundle": str(tls.ca_file),
            },
            "servicenow": {
                "instance_url": self.servicenow.url,
                "user": self.servicenow.user,
                "password": self.servicenow.password,
            },
        }
        self.adapters_file = self.workdir / "adapters.yml"
        self.adapters_file.write_text(yaml.safe_dump(adapters, sort_keys=False), encoding="utf-8")
        self.services_file = self.workdir / "services.yml"
        self.services_file.write_text(yaml.safe_dump(SERVICES, sort_keys=False), encoding="utf-8")

    async def stop(self) -> None:
        """Stop whatever started, in reverse order."""
        for stop in (self.pagerduty.stop, self.servicenow.stop, self.cluster.stop, self.slack.stop):
            try:
                await stop()
            except AttributeError:
                continue  # never started
