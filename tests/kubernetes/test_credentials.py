"""Each kind of credentials reaches the API server, or fails setup with NotReady."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from kmock import KubernetesEmulator

from bot.ports.adapters import NotReady
from integrations.kubernetes.adapter import setup
from integrations.kubernetes.config import KubernetesConfig
from tests.kubernetes.conftest import TOKEN, action_request, make_deployment, seed_deployment


def write_kubeconfig(path: Path, server: str) -> None:
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "kmock", "cluster": {"server": server}},
            {"name": "elsewhere", "cluster": {"server": "http://127.0.0.1:9"}},
        ],
        "users": [
            {"name": "bot", "user": {"token": TOKEN}},
            {"name": "nobody", "user": {"token": "wrong"}},
        ],
        "contexts": [
            {"name": "incident-bot", "context": {"cluster": "kmock", "user": "bot"}},
            {"name": "default", "context": {"cluster": "elsewhere", "user": "nobody"}},
        ],
        "current-context": "default",
    }
    path.write_text(yaml.safe_dump(document))


async def test_a_kubeconfig_context_is_used(cluster: KubernetesEmulator, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "config"
    write_kubeconfig(kubeconfig, str(cluster.url).rstrip("/"))
    seed_deployment(cluster, make_deployment())
    config = KubernetesConfig.model_validate(
        {"credentials": {"kind": "kubeconfig", "path": str(kubeconfig), "context": "incident-bot"}}
    )
    remediator = await setup(config)
    try:
        await remediator.probe()
        plan = await remediator.describe(action_request("restart_deployment"))
    finally:
        await remediator.close()
    assert plan.summary.startswith("restart deployment prod/payments")
    assert [r.headers["Authorization"] for r in cluster] == [f"Bearer {TOKEN}"] * 2


@pytest.mark.parametrize(
    "credentials",
    [
        {"kind": "kubeconfig", "path": "/nonexistent/kubeconfig"},
        {"kind": "kubeconfig", "path": "KUBECONFIG", "context": "no-such-context"},
        {"kind": "in_cluster"},
    ],
    ids=["missing file", "unknown context", "not inside a pod"],
)
async def test_unusable_credentials_are_not_ready(
    credentials: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    if credentials.get("path") == "KUBECONFIG":
        write_kubeconfig(tmp_path / "config", "http://127.0.0.1:9")
        credentials = {**credentials, "path": str(tmp_path / "config")}
    with pytest.raises(NotReady) as caught:
        await setup(KubernetesConfig.model_validate({"credentials": credentials}))
    assert caught.value.reason.startswith(f"could not load {credentials['kind']} credentials")
    assert caught.value.retryable
