"""Table API calls through pysnow: one thread, one timeout and a fresh resource per call.

Each call is one request; a failure says whether trying again can help and how long the
instance asked us to wait, and whoever runs the ticket job decides when that happens.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from bot.domain.clock import Clock, utcnow
from bot.domain.retry import retry_after_seconds, retryable_status
from integrations.common.errors import VendorHttpError
from integrations.servicenow.config import ServiceNowConfig

if TYPE_CHECKING:
    import requests

# pysnow and requests are imported by the calls that use them, so a smokejumper without
# a ServiceNow section never loads them.

log = logging.getLogger(__name__)

T = TypeVar("T")

Record = dict[str, Any]

SYS_ID = re.compile(r"[0-9a-f]{32}")
TABLE_NAME = re.compile(r"[a-z][a-z0-9_]*")

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    408: "timeout",
    409: "conflict",
    415: "unsupported_media_type",
    429: "rate_limited",
}
# Table API v1 answers an empty query with 404 and this message; v2 answers 200 with [].
EMPTY_RESULT_MESSAGE = "No Record found"


class ServiceNowError(VendorHttpError):
    """A Table API call failed."""


def _retry_after(response: requests.Response, now: datetime) -> float | None:
    return retry_after_seconds(response.headers.get("Retry-After"), now)


def _error_message(response: requests.Response | None) -> str:
    if response is None:
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return message if isinstance(message, str) else ""


def classify(exc: BaseException, action: str, now: datetime) -> ServiceNowError:
    """An error that says whether retrying `action` can help, built without any secret.

    `now` reads a Retry-After given as an HTTP date.
    """
    import requests
    from pysnow.exceptions import PysnowException

    if isinstance(exc, ServiceNowError):
        return exc
    if isinstance(exc, TimeoutError | requests.Timeout):
        return ServiceNowError("timeout", f"ServiceNow {action} timed out", retryable=True)
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        status = exc.response.status_code
        retryable = retryable_status(status)
        code = STATUS_CODES.get(status, "server_error" if status >= 500 else f"http_{status}")
        return ServiceNowError(
            code,
            f"ServiceNow {action} failed with HTTP {status}",
            retryable=retryable,
            status=status,
            retry_after=_retry_after(exc.response, now) if retryable else None,
        )
    if isinstance(exc, requests.ConnectionError):
        return ServiceNowError(
            "connection_error", f"ServiceNow {action}: instance unreachable", retryable=True
        )
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.InvalidHeader):
        return ServiceNowError(
            "invalid_request", f"ServiceNow {action}: request could not be built", retryable=False
        )
    if isinstance(exc, requests.RequestException):
        # Broken chunked bodies and the like: the transport failed mid-way.
        return ServiceNowError(
            "transport_error", f"ServiceNow {action}: {type(exc).__name__}", retryable=True
        )
    if isinstance(exc, PysnowException | ValueError):
        # A 200 carrying an error object, or a body that is not the Table API's JSON:
        # typically a proxy or maintenance page in front of the instance.
        return ServiceNowError(
            "bad_response", f"ServiceNow {action}: unexpected response body", retryable=True
        )
    return ServiceNowError(
        "unexpected_error", f"ServiceNow {action}: {type(exc).__name__}", retryable=False
    )


def _check_table(table: str) -> None:
    if not TABLE_NAME.fullmatch(table):
        raise ServiceNowError(
            "invalid_table", "ServiceNow table name is malformed", retryable=False
        )


def _check_sys_id(sys_id: str) -> None:
    if not SYS_ID.fullmatch(sys_id):
        raise ServiceNowError("invalid_sys_id", "ServiceNow sys_id is malformed", retryable=False)


class TableClient:
    """Synchronous pysnow calls made safe for asyncio; the only module that imports pysnow."""

    def __init__(self, config: ServiceNowConfig, *, clock: Clock = utcnow) -> None:
        import pysnow

        self._timeout = config.timeout_seconds
        self._clock = clock
        self._session = self._build_session(config)
        # The session carries the credentials, so pysnow never sees or logs them.
        self._client = pysnow.Client(
            host=config.host, use_ssl=config.use_tls, session=self._session
        )

    def __repr__(self) -> str:
        return f"<TableClient {self._client.base_url}>"

    @staticmethod
    def _build_session(config: ServiceNowConfig) -> requests.Session:
        import requests
        from requests.adapters import HTTPAdapter
        from requests.auth import HTTPBasicAuth

        session = requests.Session()
        session.auth = HTTPBasicAuth(
            config.user.get_secret_value(), config.password.get_secret_value()
        )
        # A retry reruns the whole ticket job, lookup first, never a bare resend.
        session.mount("https://", HTTPAdapter(max_retries=0))
        session.mount("http://", HTTPAdapter(max_retries=0))
        session.trust_env = False
        if config.ca_bundle is not None:
            session.verify = str(config.ca_bundle)
        return session

    def _resource(self, table: str) -> Any:
        # A new resource per call: pysnow keeps query parameters on the resource object,
        # and a stale sysparm_query would otherwise ride along on the next request.
        _check_table(table)
        return self._client.resource(api_path=f"/table/{table}", timeout=self._timeout)

    async def _run(self, action: str, call: Callable[[], T]) -> T:
        worker = asyncio.ensure_future(asyncio.to_thread(call))
        try:
            return await asyncio.wait_for(asyncio.shield(worker), self._timeout)
        except TimeoutError:
            # The thread cannot be cancelled and its request may still land; let it settle
            # (requests gives up after the same timeout) so the next lookup sees its effect.
            await asyncio.wait({worker}, timeout=self._timeout)
            if worker.done() and not worker.cancelled():
                worker.exception()
            else:
                worker.add_done_callback(lambda done: done.cancelled() or done.exception())
            raise classify(TimeoutError(), action, self._clock()) from None
        except asyncio.CancelledError:
            worker.add_done_callback(lambda done: done.cancelled() or done.exception())
            raise
        except Exception as exc:
            raise classify(exc, action, self._clock()) from None

    async def query(
        self, table: str, query: str, *, fields: Sequence[str], limit: int
    ) -> list[Record]:
        """Records of `table` matching an encoded query, with only `fields`."""
        import requests

        def call() -> list[Record]:
            resource = self._resource(table)
            try:
                response = resource.get(
                    query=query, limit=limit, fields=list(fields), exclude_reference_link=True
                )
                return list(response.all())
            except requests.HTTPError as exc:
                if (
                    exc.response is not None
                    and exc.response.status_code == 404
                    and _error_message(exc.response) == EMPTY_RESULT_MESSAGE
                ):
                    return []
                raise

        return await self._run(f"query {table}", call)

    async def get(self, table: str, sys_id: str, *, fields: Sequence[str]) -> Record:
        """One record by sys_id."""
        _check_sys_id(sys_id)

        def call() -> Record:
            resource = self._resource(table)
            resource.parameters.fields = list(fields)
            resource.parameters.exclude_reference_link = True
            record: Record = resource.request("GET", path_append=f"/{sys_id}").one()
            return record

        return await self._run(f"get {table}", call)

    async def create(self, table: str, payload: Mapping[str, str]) -> Record:
        """Insert a record and return it as stored."""

        def call() -> Record:
            record: Record = self._resource(table).create(dict(payload)).one()
            return record

        return await self._run(f"create {table}", call)

    async def patch(self, table: str, sys_id: str, payload: Mapping[str, str]) -> Record:
        """Change only the given fields (pysnow's update() would GET then PUT everything)."""
        _check_sys_id(sys_id)
        body = json.dumps(dict(payload))

        def call() -> Record:
            resource = self._resource(table)
            response = resource.request("PATCH", path_append=f"/{sys_id}", data=body)
            record: Record = response.one()
            return record

        return await self._run(f"update {table}", call)

    async def close(self) -> None:
        """Release pooled connections."""
        await asyncio.to_thread(self._session.close)
