"""The policy file: strict loading, a content-hash version, and the safe fallback."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from pydantic import ValidationError

from policies.policy_schema import ActionPolicy, AutonomyMode, AutonomySettings, PolicyRules
from policies.strict_yaml import StrictYamlError, line_of, load_strict_yaml

DEFAULT_POLICY_FILE = "default_policy.yml"
FALLBACK_SOURCE = "built-in fallback"
# A policy is a page of rules; anything far larger is a mistake or an attack on the parser.
MAX_POLICY_BYTES = 256 * 1024
_PATH_PREFIX = re.compile(r"^([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*): ")


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    """Why a policy file was not used, precise enough to fix it."""

    source: str
    reason: str
    line: int | None = None
    # The dotted path of the offending field, e.g. actions.scale_deployment.risk.
    field: str | None = None

    @property
    def message(self) -> str:
        """One line: the file, where in it, and what is wrong."""
        where = f"{self.source}, line {self.line}" if self.line is not None else self.source
        return f"{where}: {self.reason}"

    @property
    def fix(self) -> str:
        """One sentence saying what to change."""
        at = f" at line {self.line}" if self.line is not None else ""
        if self.field is not None:
            return f"Fix {self.field}{at} in {self.source}."
        if self.line is not None:
            return f"Fix the YAML{at} in {self.source}."
        return f"Fix this: {self.reason}."


@dataclass(frozen=True, slots=True)
class Policy:
    """Validated rules with their version; a fallback says so and why."""

    rules: PolicyRules
    version: str
    source: str
    fallback_reason: str | None = None

    @property
    def is_fallback(self) -> bool:
        return self.fallback_reason is not None

    def action(self, name: str) -> ActionPolicy | None:
        """The policy of catalog action `name`, if any."""
        return self.rules.actions.get(name)

    def mode_for(self, service: str, environment: str) -> AutonomyMode:
        """The mode the file sets for one service in one environment."""
        return self.rules.autonomy.mode_for(service, environment)


@dataclass(frozen=True, slots=True)
class PolicyLoad:
    """What loading gave: the policy in force, and the problem when it is the fallback."""

    policy: Policy
    problem: PolicyProblem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def default_policy_file() -> Traversable:
    """The policy shipped with the package."""
    return files("policies").joinpath(DEFAULT_POLICY_FILE)


def policy_version(rules: PolicyRules, *, prefix: str = "policy") -> str:
    """A content hash of the rules: changes with any rule, not with formatting or comments."""
    canonical = json.dumps(rules.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return f"{prefix}-{hashlib.sha256(canonical.encode()).hexdigest()[:12]}"


def parse_policy(text: str, source: str) -> Policy | PolicyProblem:
    """The policy in `text`, or the first problem that stops it from loading."""
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        return PolicyProblem(source, f"the file is larger than {MAX_POLICY_BYTES} bytes")
    try:
        document = load_strict_yaml(text)
    except StrictYamlError as exc:
        at = f" at column {exc.column}" if exc.column is not None else ""
        return PolicyProblem(source, f"invalid YAML{at}: {exc.problem}", exc.line)
    if not isinstance(document, dict):
        return PolicyProblem(source, "the policy must be a mapping at the top level")
    try:
        rules = PolicyRules.model_validate(document)
    except ValidationError as exc:
        return _problem(source, text, exc)
    return Policy(rules=rules, version=policy_version(rules), source=source)


def load_policy(path: Path | Traversable | None = None) -> PolicyLoad:
    """The policy at `path` (the shipped one when None), or the fallback and the reason."""
    entry = default_policy_file() if path is None else path
    source = str(entry)
    try:
        raw = entry.read_bytes()
    except FileNotFoundError:
        return _fallen_back(PolicyProblem(source, "file not found"))
    except OSError as exc:
        return _fallen_back(PolicyProblem(source, f"unreadable: {exc.strerror or exc}"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _fallen_back(PolicyProblem(source, "the file is not UTF-8 text"))
    loaded = parse_policy(text, source)
    if isinstance(loaded, PolicyProblem):
        return _fallen_back(loaded)
    return PolicyLoad(policy=loaded)


def fallback_policy(reason: str = "no valid policy file") -> Policy:
    """The safe policy used when the file is invalid: assist mode, nothing runs by itself."""
    # Adapters, risks, bounds, thresholds and approvers come from the shipped policy,
    # which tests keep valid; only its autonomy is replaced, by assist mode everywhere.
    rules = _fallback_rules()
    return Policy(
        rules=rules,
        version=policy_version(rules, prefix="policy-fallback"),
        source=FALLBACK_SOURCE,
        fallback_reason=reason,
    )


@cache
def _fallback_rules() -> PolicyRules:
    shipped = parse_policy(default_policy_file().read_text(encoding="utf-8"), FALLBACK_SOURCE)
    if isinstance(shipped, PolicyProblem):
        # The shipped file is tested; reaching this is a packaging fault, not a user error.
        raise RuntimeError(f"the shipped policy is invalid: {shipped.message}")
    assist = AutonomySettings(mode=AutonomyMode.ASSIST)
    return PolicyRules.model_validate(
        {**shipped.rules.model_dump(), "autonomy": assist.model_dump()}
    )


def _fallen_back(problem: PolicyProblem) -> PolicyLoad:
    return PolicyLoad(policy=fallback_policy(problem.message), problem=problem)


def _problem(source: str, text: str, exc: ValidationError) -> PolicyProblem:
    # The first error is the one to fix first; the rest often follow from it.
    errors = exc.errors()
    error = errors[0]
    location: list[str | int] = [p for p in error["loc"] if isinstance(p, str | int)]
    message = str(error["msg"]).removeprefix("Value error, ")
    prefix = _PATH_PREFIX.match(message)
    if prefix is not None:
        location.extend(prefix.group(1).split("."))
        message = message[prefix.end() :]
    where = ".".join(str(p) for p in location) or "(top level)"
    more = len(errors) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return PolicyProblem(source, f"{where}: {message}{tail}", line_of(text, location), field=where)
