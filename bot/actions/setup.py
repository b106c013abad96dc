"""Build the adapter registry from the adapters file: one section per integration.

The file is YAML; values may name environment variables as ${NAME}, so secrets stay in
the environment (or a secret store that fills it), never in the file:

    kubernetes: {credentials: {kind: in_cluster}}
    unleash: {base_url: https://unleash.example.com, token: "${UNLEASH_ADMIN_TOKEN}"}
    pagerduty: {routing_key: "${PAGERDUTY_ROUTING_KEY}"}
    servicenow: {instance_url: https://x.service-now.com, user: sj, password: "${SN_PASSWORD}"}
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.actions.registry import Adapters
from bot.config import ConfigError
from bot.domain.clock import REAL_TIME, TimeSource
from integrations.kubernetes import KubernetesConfig
from integrations.kubernetes import setup as kubernetes_setup
from integrations.launchdarkly import LaunchDarklyConfig
from integrations.launchdarkly import setup as launchdarkly_setup
from integrations.pagerduty.pager import build_pager
from integrations.pagerduty.pager_config import PagerDutyPagerConfig
from integrations.servicenow import ServiceNowConfig
from integrations.servicenow import setup as servicenow_setup
from integrations.unleash import UnleashConfig
from integrations.unleash import setup as unleash_setup
from integrations.webhook_action import WebhookActionConfig
from integrations.webhook_action import setup as webhook_setup

_ENV_REF = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")


class AdaptersFile(BaseModel):
    """Which integrations run, each validated by its own adapter's config."""

    model_config = ConfigDict(extra="forbid")

    kubernetes: KubernetesConfig | None = None
    unleash: UnleashConfig | None = None
    launchdarkly: LaunchDarklyConfig | None = None
    webhooks: WebhookActionConfig | None = None
    pagerduty: PagerDutyPagerConfig | None = None
    servicenow: ServiceNowConfig | None = None


def _expand(value: Any, environ: Mapping[str, str], where: str) -> Any:
    if isinstance(value, str):

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in environ:
                raise ConfigError(f"{where} names ${{{name}}}, but {name} is not set")
            return environ[name]

        return _ENV_REF.sub(lookup, value)
    if isinstance(value, dict):
        return {k: _expand(v, environ, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, environ, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def load_adapters_file(path: Path, environ: Mapping[str, str] | None = None) -> AdaptersFile:
    """Parse and validate the file; a problem raises ConfigError naming the field, no values."""
    env = os.environ if environ is None else environ
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(
            f"SMOKEJUMPER_ADAPTERS_FILE is invalid: cannot read {path}: {exc.strerror}"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"SMOKEJUMPER_ADAPTERS_FILE is invalid: not YAML{line}") from None
    if not isinstance(document, dict):
        raise ConfigError("SMOKEJUMPER_ADAPTERS_FILE is invalid: expected a mapping of sections")
    expanded = _expand(document, env, "adapters")
    try:
        return AdaptersFile.model_validate(expanded)
    except ValidationError as exc:
        first = exc.errors(include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(
            f"SMOKEJUMPER_ADAPTERS_FILE is invalid: {where}: {first['msg']}"
        ) from None


@dataclass
class BuiltAdapters:
    """The registry plus what must be closed at shutdown."""

    adapters: Adapters
    http: aiohttp.ClientSession | None = None
    closers: list[Any] = field(default_factory=list)

    async def close(self) -> None:
        for adapter in self.closers:
            for name in ("aclose", "close"):
                method = getattr(adapter, name, None)
                if method is not None:
                    result = method()
                    if hasattr(result, "__await__"):
                        await result
                    break
        if self.http is not None:
            await self.http.close()


async def build_adapters(config: AdaptersFile, time: TimeSource = REAL_TIME) -> BuiltAdapters:
    """One adapter per configured section, sharing one HTTP session.

    Adapters that retry by themselves (PagerDuty, ServiceNow) wait on `time`.
    """
    built = BuiltAdapters(Adapters())
    needs_http = any((config.unleash, config.launchdarkly, config.webhooks))
    if needs_http:
        built.http = aiohttp.ClientSession()
    if config.kubernetes is not None:
        remediator = await kubernetes_setup(config.kubernetes)
        built.adapters.remediators.append(remediator)
        built.closers.append(remediator)
    if config.unleash is not None and built.http is not None:
        built.adapters.remediators.append(unleash_setup(config.unleash, built.http))
    if config.launchdarkly is not None and built.http is not None:
        built.adapters.remediators.append(launchdarkly_setup(config.launchdarkly, built.http))
    if config.webhooks is not None and built.http is not None:
        built.adapters.remediators.append(webhook_setup(config.webhooks, built.http))
    if config.pagerduty is not None:
        pager = build_pager(config.pagerduty, clock=time.now)
        built.adapters.pager = pager
        built.closers.append(pager)
    if config.servicenow is not None:
        ticketing = servicenow_setup(config.servicenow, clock=time.now)
        built.adapters.ticketing = ticketing
        built.closers.append(ticketing)
    return built
