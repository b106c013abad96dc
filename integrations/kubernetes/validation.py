"""Checks an ActionRequest against the adapter's actions and the catalog's parameter specs."""

from __future__ import annotations

from bot.ports.adapters import AdapterError
from bot.ports.remediation import ActionRequest
from policies.catalog import catalog_action


def validate_request(request: ActionRequest, adapter: str, actions: frozenset[str]) -> None:
    """Raise a non-retryable AdapterError for an action or parameter the adapter cannot run."""
    spec = catalog_action(request.action)
    if request.action not in actions or spec is None:
        raise AdapterError(
            "unknown_action",
            f"{adapter} does not run action {request.action[:64]!r}",
            retryable=False,
        )
    unknown = sorted(set(request.params) - spec.param_names)
    if unknown:
        raise AdapterError(
            "invalid_params",
            f"{request.action} takes no parameter {', '.join(n[:64] for n in unknown)}",
            retryable=False,
        )
    missing = sorted(spec.required_params - set(request.params))
    if missing:
        raise AdapterError(
            "invalid_params",
            f"{request.action} needs parameter {', '.join(missing)}",
            retryable=False,
        )
    for name, value in request.params.items():
        param = spec.param(name)
        problem = param.problem(value) if param is not None else None
        if problem:
            raise AdapterError(
                "invalid_params", f"{request.action}: {problem[:200]}", retryable=False
            )


def int_param(request: ActionRequest, name: str) -> int:
    """A required integer parameter already checked by `validate_request`."""
    value = request.params.get(name)
    if value is None:
        raise AdapterError(
            "invalid_params", f"{request.action} needs parameter {name}", retryable=False
        )
    return int(value)


def revision_param(request: ActionRequest) -> int | None:
    """The `revision` to roll back to, when given; Deployments number revisions from 1."""
    value = request.params.get("revision")
    if value is None:
        return None
    if not value.isdigit() or int(value) < 1:
        raise AdapterError(
            "invalid_params",
            f"revision must be a positive revision number, got {value[:64]!r}",
            retryable=False,
        )
    return int(value)
