"""Reading what `simulate` is given: alert bodies of any supported source, and changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.changes.models import ChangeItem, ChangeReport
from bot.domain.errors import IntakeError
from bot.domain.signals import Signal
from bot.ports.alerts import AlertSource, NormalizeDefaults, Rejected
from bot.triage.context import ChangeEvent
from integrations.alertmanager.source import AlertmanagerSource
from integrations.common.payloads import validate
from integrations.generic.source import GenericSource
from integrations.pagerduty.webhook_source import PagerDutySource

SOURCES = ("alertmanager", "generic", "pagerduty")
# Nothing is verified offline; the sources only need a secret to be constructed.
_UNUSED = SecretStr("simulate")


class InputError(Exception):
    """A file cannot be simulated; the message names the file and the problem."""


def read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None


def detect_source(document: Any) -> str:
    """Which sender wrote this body, by the fields only that sender uses."""
    if isinstance(document, dict):
        if "alerts" in document and ("groupKey" in document or "version" in document):
            return "alertmanager"
        event = document.get("event")
        if isinstance(event, dict) and "event_type" in event:
            return "pagerduty"
    return "generic"


def source_named(name: str) -> AlertSource:
    if name == "alertmanager":
        return AlertmanagerSource()
    if name == "pagerduty":
        return PagerDutySource(_UNUSED, timedelta(days=3650))
    return GenericSource(_UNUSED, timedelta(days=3650))


def signals_of(path: Path, document: Any, source_name: str, default_env: str) -> list[Signal]:
    """The normalized signals of one body, as the intake would make them."""
    source = source_named(source_name)
    try:
        payload = source.parse(document)
        results = source.normalize(
            payload, NormalizeDefaults(environment=default_env, received_at=datetime.now(UTC))
        )
    except IntakeError as exc:
        raise InputError(f"{path}: not a valid {source_name} body: {exc.message}") from None
    rejected = [r for r in results if isinstance(r, Rejected)]
    if rejected:
        raise InputError(f"{path}: not a valid {source_name} body: {rejected[0].reason}")
    return [s for s in results if isinstance(s, Signal)]


def read_changes(path: Path) -> list[tuple[str, ChangeEvent]]:
    """Change events from a file holding a POST /changes body or a list of its changes."""
    document = read_json(path)
    items = document.get("changes", document) if isinstance(document, dict) else document
    try:
        report = validate(
            ChangeReport,
            {"timestamp": datetime.now(UTC).isoformat(), "changes": items},
            "changes file",
        )
    except IntakeError as exc:
        raise InputError(f"{path}: {exc.message}") from None
    return [(item.service, _event(item)) for item in report.changes]


def _event(item: ChangeItem) -> ChangeEvent:
    return ChangeEvent(
        kind=item.kind,
        description=item.description,
        at=item.at,
        pointer=item.pointer,
        subject=item.subject,
    )
