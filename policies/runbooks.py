"""Runbooks as versioned YAML: their schema, a strict loader and pure signal matching."""

from __future__ import annotations

import hashlib
import json
import re
import string
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.domain.signals import Severity, Signal
from bot.domain.subject import SubjectKind
from bot.domain.triage import Classification
from policies.catalog import CATALOG, ActionEffect, ParamType
from policies.strict_yaml import StrictYamlError, load_strict_yaml

SCHEMA_VERSION = 1

# Text alone is attacker-controllable, so it can add at most this much to a match.
KEYWORDS_WEIGHT = 0.30
ALERTNAME_WEIGHT = 0.55
LABELS_WEIGHT = 0.45
# One keyword is enough to match, never enough to outweigh a name or a label.
KEYWORD_WEIGHT = 0.2
MATCH_THRESHOLD = 0.2
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# The monitoring system's own heartbeats, plumbing and capacity notices: no runbook
# applies, a responder looks (the "unknown" class, escalation only).
META_ALERTS: tuple[str, ...] = (
    "Watchdog",
    "DeadMansSwitch",
    "DeadMansSnitch",
    "InfoInhibitor",
    "TargetDown",
    # Corrupted storage is an integrity problem, whoever's storage it is.
    "Prometheus(?!.*Corrupt).*",
    "Alertmanager(FailedReload|FailedToSendAlerts|ClusterFailedToSendAlerts|ConfigInconsistent"
    "|MembersInconsistent|ClusterDown)",
    "ConfigReloaderSidecarErrors",
    "KubeQuota.*",
    "Kube(CPU|Memory)(Quota)?Overcommit",
    "KubeStateMetrics.*",
    "NodeExporter.*",
    "NodeTextFileCollectorScrapeError",
    "NodeClockNotSynchronising",
    "NodeClockSkewDetected",
)

UNKNOWN_CLASS = "unknown"
# Classes that may never keep an action which touches a system, whatever a runbook says.
HUMAN_ONLY_CLASSES = frozenset({"security_or_data_integrity"})

_NAME = r"^[a-z][a-z0-9_]{0,63}$"
_TEMPLATE_FIELDS = frozenset({"service", "environment", "alertname"})
_TEMPLATE_CHOICE = r"[a-z_]+(?::[A-Za-z0-9_.-]+)?"
_PARAM_TEMPLATE = re.compile(rf"^\{{({_TEMPLATE_CHOICE}(?:\|{_TEMPLATE_CHOICE})*)\}}$")
_PARAM_SOURCES = frozenset({"service", "environment", "label", "change"})


def classification_for(severity: Severity) -> Classification:
    """The classification a signal's own severity suggests; sev1 is never implied by one."""
    return {
        Severity.INFO: Classification.LOW,
        Severity.WARNING: Classification.MEDIUM,
        Severity.ERROR: Classification.HIGH,
        Severity.CRITICAL: Classification.HIGH,
    }[severity]


class ChangeKind(StrEnum):
    """What sort of change a change event records."""

    DEPLOY = "deploy"
    CONFIG = "config"
    FEATURE_FLAG = "feature_flag"
    INFRASTRUCTURE = "infrastructure"
    OTHER = "other"


class EvidenceKind(StrEnum):
    """Where a runbook's required evidence is looked for."""

    LABEL = "label"
    ANNOTATION = "annotation"
    CHANGE = "change"
    PAST_INCIDENT = "past_incident"


class RunbookError(ValueError):
    """A runbook file is unreadable or invalid; the message names the file and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LabelCondition(_Strict):
    """A condition on one label: equal to a value, or fully matching a regex."""

    label: str = Field(min_length=1)
    equals: str | None = None
    regex: str | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Self:
        if (self.equals is None) == (self.regex is None):
            raise ValueError("give exactly one of 'equals' or 'regex'")
        if self.regex is not None:
            _compile(self.regex)
        return self

    def holds(self, labels: dict[str, str]) -> bool:
        """Whether the labels satisfy this condition."""
        value = labels.get(self.label)
        if value is None:
            return False
        if self.equals is not None:
            return value == self.equals
        return re.fullmatch(self.regex or "", value) is not None


class MatchSpec(_Strict):
    """How a runbook recognizes its signals."""

    alertnames: list[str] = Field(default_factory=list, max_length=50)
    labels: list[LabelCondition] = Field(default_factory=list, max_length=50)
    keywords: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("alertnames")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        for pattern in value:
            _compile(pattern)
        return value

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str]) -> list[str]:
        cleaned = [_fold(k) for k in value]
        if any(not k for k in cleaned):
            raise ValueError("keywords may not be empty")
        return cleaned

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not (self.alertnames or self.labels or self.keywords):
            raise ValueError("give at least one of alertnames, labels or keywords")
        return self


class EvidenceSpec(_Strict):
    """One piece of evidence the runbook expects to find before it is confident."""

    id: str = Field(pattern=_NAME)
    kind: EvidenceKind
    key: str = ""
    description: str = Field(min_length=1, max_length=300)

    @model_validator(mode="after")
    def _key_fits_kind(self) -> Self:
        if self.kind is EvidenceKind.PAST_INCIDENT:
            if self.key:
                raise ValueError("past_incident evidence takes no key")
        elif not self.key:
            raise ValueError(f"{self.kind} evidence needs a key")
        if self.kind is EvidenceKind.CHANGE and self.key not in set(ChangeKind):
            kinds = ", ".join(ChangeKind)
            raise ValueError(f"change evidence key must be one of {kinds}, got {self.key!r}")
        return self


class IntBounds(_Strict):
    """Tighter limits a runbook puts on an integer parameter."""

    min: StrictInt | None = None
    max: StrictInt | None = None


class RunbookAction(_Strict):
    """An action a runbook allows, and whether its own triage proposes it."""

    action: str
    propose: StrictBool = False
    params: dict[str, str] = Field(default_factory=dict)
    bounds: dict[str, IntBounds] = Field(default_factory=dict)
    needs: list[str] = Field(default_factory=list)
    # Kinds of subject this runbook proposes the action for; empty: any the catalog allows.
    subjects: list[SubjectKind] = Field(default_factory=list)
    rationale: str = Field(default="", max_length=400)

    @field_validator("action")
    @classmethod
    def _in_catalog(cls, value: str) -> str:
        if value not in CATALOG:
            raise ValueError(f"{value!r} is not a catalog action")
        return value

    @model_validator(mode="after")
    def _against_catalog(self) -> Self:
        spec = CATALOG[self.action]
        for name, value in self.params.items():
            param = spec.param(name)
            if param is None:
                raise ValueError(f"{self.action} has no parameter {name!r}")
            if value.startswith("{"):
                _check_param_template(value)
            elif (problem := param.problem(value)) is not None:
                raise ValueError(problem)
        for name in self.bounds:
            param = spec.param(name)
            if param is None or param.type is not ParamType.INTEGER:
                raise ValueError(f"bounds given for {name!r}, not an integer parameter")
        if self.propose:
            missing = spec.required_params - set(self.params)
            if missing:
                raise ValueError(f"a proposed {self.action} needs params {sorted(missing)}")
            if not self.rationale:
                raise ValueError("a proposed action needs a rationale")
        return self


class EscalationWhen(_Strict):
    """Conditions that must all hold for an escalation to apply."""

    severity_at_least: Severity | None = None
    min_signals: StrictInt | None = Field(default=None, ge=1)
    environments: list[str] = Field(default_factory=list)


class Escalation(_Strict):
    """Raises the classification or the people involved when its conditions hold."""

    when: EscalationWhen
    classification: Classification | None = None
    page: StrictBool = False
    mim: StrictBool = False
    reason: str = Field(min_length=1, max_length=200)


class Runbook(_Strict):
    """One incident class: how to recognize it, what it needs, what may be done."""

    # The file format's version; what changed in the rules is tracked by runbooks_version.
    version: StrictInt
    name: str = Field(pattern=_NAME)
    title: str = Field(min_length=1, max_length=100)
    description: str = Field(min_length=1, max_length=1000)
    team: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    classification: Classification
    hypothesis: str = Field(min_length=1, max_length=300)
    human_only: StrictBool = False
    ticket: StrictBool = True
    page: StrictBool = False
    mim: StrictBool = False
    change_window_minutes: StrictInt = Field(default=120, ge=1, le=10080)
    match: MatchSpec
    evidence: list[EvidenceSpec] = Field(default_factory=list, max_length=20)
    actions: list[RunbookAction] = Field(min_length=1, max_length=20)
    escalations: list[Escalation] = Field(default_factory=list, max_length=20)

    @field_validator("version")
    @classmethod
    def _known_format(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise ValueError(f"unsupported format {value}; this build reads {SCHEMA_VERSION}")
        return value

    @field_validator("hypothesis")
    @classmethod
    def _hypothesis_fields(cls, value: str) -> str:
        for _, field_name, _, _ in string.Formatter().parse(value):
            if field_name is not None and field_name not in _TEMPLATE_FIELDS:
                allowed = ", ".join(sorted(_TEMPLATE_FIELDS))
                raise ValueError(f"hypothesis may only use {{{allowed}}}, not {{{field_name}}}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.name in HUMAN_ONLY_CLASSES and not self.human_only:
            raise ValueError(f"{self.name} must be human_only")
        seen: set[str] = set()
        for item in self.evidence:
            if item.id in seen:
                raise ValueError(f"evidence id {item.id!r} is declared twice")
            seen.add(item.id)
        names = [a.action for a in self.actions]
        if len(names) != len(set(names)):
            raise ValueError("an action is listed twice")
        for entry in self.actions:
            unknown = set(entry.needs) - seen
            if unknown:
                raise ValueError(f"{entry.action} needs undeclared evidence {sorted(unknown)}")
            if self.human_only and CATALOG[entry.action].effect is not ActionEffect.HUMAN:
                raise ValueError(f"a human_only runbook may not allow {entry.action}")
        return self

    def allowed(self, action: str) -> RunbookAction | None:
        """This runbook's entry for `action`, if it allows it."""
        return next((a for a in self.actions if a.action == action), None)

    def render_hypothesis(self, service: str, environment: str, alertname: str) -> str:
        """The hypothesis sentence for one incident."""
        return self.hypothesis.format(service=service, environment=environment, alertname=alertname)


@dataclass(frozen=True, slots=True)
class RunbookMatch:
    """How strongly a runbook matched an incident's signals, and why."""

    runbook: Runbook
    score: float
    fingerprints: tuple[str, ...]
    reasons: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.runbook.name


def default_runbooks_dir() -> Traversable:
    """The runbooks shipped with the package."""
    # A sibling data folder, not a package: an __init__.py there would shadow this module.
    return files("policies").joinpath("runbooks")


def load_runbooks(directory: Traversable | Path | None = None) -> list[Runbook]:
    """Every `*.yml` runbook in `directory`, validated; one bad file fails the whole set."""
    folder = default_runbooks_dir() if directory is None else directory
    if not folder.is_dir():
        raise RunbookError(f"{folder}: runbook directory not found")
    entries = sorted(
        (e for e in folder.iterdir() if e.is_file() and e.name.endswith((".yml", ".yaml"))),
        key=lambda e: e.name,
    )
    if not entries:
        raise RunbookError(f"{folder}: no runbook files (*.yml)")
    runbooks = [_load_file(entry) for entry in entries]
    by_name: dict[str, str] = {}
    for entry, runbook in zip(entries, runbooks, strict=True):
        if runbook.name in by_name:
            first = by_name[runbook.name]
            raise RunbookError(f"{entry.name}: name: {runbook.name!r} is already used by {first}")
        by_name[runbook.name] = entry.name
    return runbooks


def runbooks_version(runbooks: Iterable[Runbook]) -> str:
    """A content hash of the set: changes whenever any rule changes, not with formatting."""
    canonical = json.dumps(
        sorted((r.model_dump(mode="json") for r in runbooks), key=lambda d: str(d["name"])),
        sort_keys=True,
        separators=(",", ":"),
    )
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()[:16]


def match_runbooks(signals: Sequence[Signal], runbooks: Sequence[Runbook]) -> list[RunbookMatch]:
    """The runbooks that match any signal, strongest first; ties break by name.

    A runbook's score is its best score over the signals. Per signal, an alertname
    pattern matching in full, ignoring case, adds ALERTNAME_WEIGHT; any label condition
    that holds adds LABELS_WEIGHT (label values such as condition=DiskPressure are as
    telling as a name); each distinct keyword found, as whole words, in the alertname's
    words, the summary or the annotations adds KEYWORD_WEIGHT, up to KEYWORDS_WEIGHT.
    One strong sign clears MATCH_THRESHOLD on its own. Meta-alerts (the monitoring
    system's own heartbeats and plumbing) match nothing.
    """
    considered = [s for s in signals if not is_meta_alert(s.labels.get("alertname", ""))]
    matches: list[RunbookMatch] = []
    for runbook in runbooks:
        best = 0.0
        fingerprints: list[str] = []
        reasons: list[str] = []
        for signal in considered:
            score, why = _score(runbook.match, signal)
            if score < MATCH_THRESHOLD:
                continue
            fingerprints.append(signal.fingerprint)
            reasons.extend(r for r in why if r not in reasons)
            best = max(best, score)
        if fingerprints:
            matches.append(
                RunbookMatch(
                    runbook=runbook,
                    score=round(min(best, 1.0), 4),
                    fingerprints=tuple(sorted(set(fingerprints))),
                    reasons=tuple(reasons),
                )
            )
    return sorted(matches, key=lambda m: (-m.score, m.name))


def is_meta_alert(alertname: str) -> bool:
    """Whether the alert is about the monitoring system itself rather than a service."""
    return any(re.fullmatch(p, alertname, re.IGNORECASE) for p in META_ALERTS)


def alertname_words(alertname: str) -> str:
    """`KubePodCrashLooping` → `kube pod crash looping`; `HostOOMKill` → `host oom kill`."""
    spaced = _CAMEL_BOUNDARY.sub(" ", alertname)
    return _fold(re.sub(r"[^0-9A-Za-z]+", " ", spaced))


def _score(spec: MatchSpec, signal: Signal) -> tuple[float, list[str]]:
    score = 0.0
    reasons: list[str] = []
    alertname = signal.labels.get("alertname", "")
    pattern = next((p for p in spec.alertnames if re.fullmatch(p, alertname, re.IGNORECASE)), None)
    if pattern is not None:
        score += ALERTNAME_WEIGHT
        reasons.append(f"alertname matches {pattern}")
    holding = [c for c in spec.labels if c.holds(signal.labels)]
    if holding:
        score += LABELS_WEIGHT
        reasons.extend(f"label {c.label} matches" for c in holding)
    if spec.keywords:
        text = " ".join(
            [
                alertname_words(alertname),
                _fold(" ".join([signal.summary, *signal.annotations.values()])),
            ]
        )
        hits = [k for k in spec.keywords if re.search(rf"\b{re.escape(k)}\b", text)]
        score += min(KEYWORD_WEIGHT * len(hits), KEYWORDS_WEIGHT)
        reasons.extend(f"text mentions {k!r}" for k in hits)
    return score, reasons


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regex {pattern!r}: {exc}") from exc


def _check_param_template(value: str) -> None:
    found = _PARAM_TEMPLATE.match(value)
    if found is None:
        raise ValueError(f"invalid parameter template {value!r}")
    for choice in found.group(1).split("|"):
        source, _, key = choice.partition(":")
        if source not in _PARAM_SOURCES:
            raise ValueError(f"unknown template source {source!r} in {value!r}")
        if source in {"label", "change"} and not key:
            raise ValueError(f"template {choice!r} needs a key, as in {source}:name")
        if source == "change" and key not in set(ChangeKind):
            raise ValueError(f"unknown change kind {key!r} in {value!r}")


def _load_file(entry: Traversable) -> Runbook:
    try:
        document = load_strict_yaml(entry.read_text(encoding="utf-8"))
    except (StrictYamlError, UnicodeDecodeError) as exc:
        raise RunbookError(f"{entry.name}: invalid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise RunbookError(f"{entry.name}: a runbook must be a mapping at the top level")
    try:
        runbook = Runbook.model_validate(document)
    except ValidationError as exc:
        raise RunbookError(f"{entry.name}: {_describe(exc)}") from exc
    stem = entry.name.rsplit(".", 1)[0]
    if runbook.name != stem:
        raise RunbookError(f"{entry.name}: name: {runbook.name!r} must match the file name")
    return runbook


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        location = ".".join(str(p) for p in error["loc"]) or "(top level)"
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{location}: {message}")
    return "; ".join(parts)
