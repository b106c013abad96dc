"""Thin JSON calls to the Kubernetes API through kubernetes_asyncio's ApiClient."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import aiohttp

from bot.ports.adapters import AdapterError, NotReady
from integrations.kubernetes.config import (
    InClusterCredentials,
    KubeconfigCredentials,
    KubernetesConfig,
    TokenCredentials,
)
from integrations.kubernetes.errors import from_status, from_transport
from integrations.kubernetes.targets import DeploymentRef

if TYPE_CHECKING:
    from kubernetes_asyncio.client import ApiClient

# kubernetes_asyncio (hundreds of modules) is imported by the calls that use it, so a
# smokejumper without a Kubernetes section never loads it.

ADAPTER_NAME = "kubernetes"
USER_AGENT = "smokejumper-kubernetes"
_DEPLOYMENT_PATH = "/apis/apps/v1/namespaces/{namespace}/deployments/{name}"
_REPLICA_SETS_PATH = "/apis/apps/v1/namespaces/{namespace}/replicasets"
_EVENTS_PATH = "/api/v1/namespaces/{namespace}/events"
_PODS_PATH = "/api/v1/namespaces/{namespace}/pods"
_POD_LOG_PATH = "/api/v1/namespaces/{namespace}/pods/{name}/log"


class _DropResponseBodies(logging.Filter):
    """Keeps the library's debug dump of response bodies out of the logs.

    Pod templates can hold literal environment values, secrets among them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("response body")


def _quiet_library_logging() -> None:
    library_logger = logging.getLogger("kubernetes_asyncio.client.rest")
    if not any(isinstance(f, _DropResponseBodies) for f in library_logger.filters):
        library_logger.addFilter(_DropResponseBodies())


class PatchType(StrEnum):
    """The PATCH content types the API server accepts."""

    JSON = "application/json-patch+json"
    MERGE = "application/merge-patch+json"
    STRATEGIC = "application/strategic-merge-patch+json"


async def build_api_client(config: KubernetesConfig) -> ApiClient:
    """An ApiClient for the configured credentials; `NotReady` when they cannot be loaded."""
    from kubernetes_asyncio.client import ApiClient, Configuration
    from kubernetes_asyncio.config import load_incluster_config, load_kube_config

    _quiet_library_logging()
    configuration = Configuration()
    credentials = config.credentials
    try:
        if isinstance(credentials, TokenCredentials):
            configuration.host = credentials.host
            configuration.api_key["BearerToken"] = credentials.bearer_token.get_secret_value()
            configuration.api_key_prefix["BearerToken"] = "Bearer"
            configuration.verify_ssl = credentials.verify_tls
            if credentials.ca_cert_path is not None:
                configuration.ssl_ca_cert = str(credentials.ca_cert_path)
        elif isinstance(credentials, KubeconfigCredentials):
            await load_kube_config(
                config_file=str(credentials.path) if credentials.path else None,
                context=credentials.context,
                client_configuration=configuration,
                persist_config=False,
            )
        elif isinstance(credentials, InClusterCredentials):
            load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        api = ApiClient(configuration)
    except Exception as exc:
        # Loader messages can quote exec-plugin output, so only the type is reported.
        failure = f"could not load {credentials.kind} credentials ({type(exc).__name__})"
    else:
        api.user_agent = USER_AGENT
        return api
    raise NotReady(ADAPTER_NAME, failure)


class KubernetesClient:
    """Deployment, ReplicaSet and Event calls returning raw JSON objects.

    Raw JSON rather than the generated models: an undo copies a pod template verbatim,
    and the models would drop any field this client version does not know.
    """

    def __init__(self, api: ApiClient, *, timeout_seconds: float) -> None:
        self._api = api
        self._timeout = timeout_seconds

    async def close(self) -> None:
        await self._api.close()

    async def api_resources(self, group_version: str) -> dict[str, Any]:
        """The discovery document of one API group version, e.g. `apps/v1`."""
        return await self._call("GET", f"/apis/{group_version}", f"discover {group_version}")

    async def get_deployment(self, ref: DeploymentRef) -> dict[str, Any]:
        return await self._call(
            "GET",
            _DEPLOYMENT_PATH,
            f"get deployment {ref}",
            path_params={"namespace": ref.namespace, "name": ref.name},
        )

    async def get_object(
        self, path: str, namespace: str, name: str, operation: str
    ) -> dict[str, Any]:
        """One namespaced object by its API path template."""
        return await self._call(
            "GET", path, operation, path_params={"namespace": namespace, "name": name}
        )

    async def patch_deployment(
        self, ref: DeploymentRef, patch: Mapping[str, Any] | Sequence[Any], patch_type: PatchType
    ) -> dict[str, Any]:
        return await self._call(
            "PATCH",
            _DEPLOYMENT_PATH,
            f"patch deployment {ref}",
            path_params={"namespace": ref.namespace, "name": ref.name},
            body=patch,
            content_type=patch_type,
        )

    async def list_replica_sets(
        self, namespace: str, label_selector: str | None
    ) -> list[dict[str, Any]]:
        query = [("labelSelector", label_selector)] if label_selector else []
        listing = await self._call(
            "GET",
            _REPLICA_SETS_PATH,
            f"list replicasets in {namespace}",
            path_params={"namespace": namespace},
            query=query,
        )
        return _items(listing)

    async def list_events(self, namespace: str, field_selector: str) -> list[dict[str, Any]]:
        listing = await self._call(
            "GET",
            _EVENTS_PATH,
            f"list events in {namespace}",
            path_params={"namespace": namespace},
            query=[("fieldSelector", field_selector)],
        )
        return _items(listing)

    async def list_pods(self, namespace: str, label_selector: str | None) -> list[dict[str, Any]]:
        query = [("labelSelector", label_selector)] if label_selector else []
        listing = await self._call(
            "GET",
            _PODS_PATH,
            f"list pods in {namespace}",
            path_params={"namespace": namespace},
            query=query,
        )
        return _items(listing)

    async def previous_log(
        self, namespace: str, pod: str, container: str, *, tail_lines: int, limit_bytes: int
    ) -> str:
        """The last lines the container's previous (crashed) instance wrote, bounded."""
        from kubernetes_asyncio.client.exceptions import ApiException

        operation = f"read previous log of {namespace}/{pod}/{container}"
        query = [
            ("container", container),
            ("previous", "true"),
            ("tailLines", str(tail_lines)),
            ("limitBytes", str(limit_bytes)),
        ]
        error: AdapterError
        try:
            # Raw bytes: a log is text, never JSON to be deserialized.
            response = await self._api.call_api(
                _POD_LOG_PATH,
                "GET",
                path_params={"namespace": namespace, "name": pod},
                query_params=query,
                header_params={"Accept": "text/plain"},
                auth_settings=["BearerToken"],
                _return_http_data_only=True,
                _preload_content=False,
                _request_timeout=self._timeout,
            )
            status = int(response.status)
            # Unloaded responses are not checked by the library: an error is ours to see.
            body: bytes = await response.content.read(limit_bytes) if status < 400 else b""
            response.release()
            if status >= 400:
                raise ApiException(status=status)
        except ApiException as exc:
            error = from_status(int(exc.status or 0), operation)
        except (TimeoutError, aiohttp.ClientError) as exc:
            error = from_transport(exc, operation)
        else:
            return body.decode("utf-8", errors="replace")
        raise error

    async def _call(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        path_params: Mapping[str, str] | None = None,
        query: Sequence[tuple[str, str]] = (),
        body: Mapping[str, Any] | Sequence[Any] | None = None,
        content_type: PatchType | None = None,
    ) -> dict[str, Any]:
        from kubernetes_asyncio.client.exceptions import ApiException

        headers = {"Accept": "application/json"}
        if content_type is not None:
            headers["Content-Type"] = content_type.value
        error: AdapterError
        try:
            data = await self._api.call_api(
                path,
                method,
                path_params=dict(path_params or {}),
                query_params=list(query),
                header_params=headers,
                body=body,
                response_types_map={200: "object", 201: "object"},
                auth_settings=["BearerToken"],
                _return_http_data_only=True,
                _request_timeout=self._timeout,
            )
        except ApiException as exc:
            # str(exc) carries response headers and body; only the status is used.
            error = from_status(int(exc.status or 0), operation)
        except (TimeoutError, aiohttp.ClientError) as exc:
            error = from_transport(exc, operation)
        else:
            if isinstance(data, dict):
                return data
            error = AdapterError(
                "bad_response", f"Kubernetes {operation} returned no JSON object", retryable=True
            )
        # Raised outside the handler so the library exception is not chained as context.
        raise error


def _items(listing: Mapping[str, Any]) -> list[dict[str, Any]]:
    items = listing.get("items")
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, dict)]
