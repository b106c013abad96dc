"""Kubernetes API failures as AdapterErrors that say whether a retry can help."""

from __future__ import annotations

from http import HTTPStatus

import aiohttp

from bot.domain.retry import retryable_status
from bot.ports.adapters import AdapterError

# Stable codes for the statuses a caller may want to branch on.
STATUS_CODES = {
    400: "bad_request",
    401: "forbidden",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "invalid",
    429: "rate_limited",
}


def _phrase(status: int) -> str:
    # Our own phrase, never the server's: a proxy in between may echo anything.
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown status"


def from_status(status: int, operation: str) -> AdapterError:
    """The error for an HTTP error status answered to `operation` (e.g. 'get deployment a/b')."""
    retryable = retryable_status(status)
    code = STATUS_CODES.get(status) or ("server_error" if status >= 500 else "rejected")
    return AdapterError(
        code,
        f"Kubernetes {operation} failed: HTTP {status} {_phrase(status)}",
        retryable=retryable,
    )


def from_transport(exc: BaseException, operation: str) -> AdapterError:
    """The error for a call that got no HTTP answer: timeout, refused connection, TLS."""
    if isinstance(exc, TimeoutError):
        return AdapterError("timeout", f"Kubernetes {operation} timed out", retryable=True)
    if isinstance(exc, aiohttp.ClientSSLError):
        # A certificate the CA bundle does not trust stays untrusted on the next attempt.
        return AdapterError(
            "tls_error",
            f"Kubernetes {operation} failed: TLS verification failed ({type(exc).__name__})",
            retryable=False,
        )
    return AdapterError(
        "unreachable",
        f"Kubernetes {operation} failed: API server unreachable ({type(exc).__name__})",
        retryable=True,
    )
