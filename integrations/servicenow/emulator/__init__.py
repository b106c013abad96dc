"""A local ServiceNow Table API that the sandbox runs and the tests talk to."""

from .server import FaultKind, RecordedRequest, ServiceNowServer

__all__ = ["FaultKind", "RecordedRequest", "ServiceNowServer"]
