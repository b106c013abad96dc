"""A local HTTPS PagerDuty (Events API v2, REST API v2) that the sandbox runs and tests use."""

from .oncalls import OnCallEntry
from .server import REST_ACCEPT, PagerDutyServer, RecordedRequest

__all__ = ["REST_ACCEPT", "OnCallEntry", "PagerDutyServer", "RecordedRequest"]
