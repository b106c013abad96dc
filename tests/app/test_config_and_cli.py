"""Start-up settings: a missing or invalid one stops start-up with one line naming it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.cli import main
from bot.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_need_no_configuration() -> None:
    settings = load_settings()
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.group_by == ["subject"]
    assert settings.max_body_bytes == 1024 * 1024


def test_lists_and_urls_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMOKEJUMPER_RESPONDERS", "U1, U2 ,U3")
    monkeypatch.setenv("SMOKEJUMPER_DATABASE_URL", "postgresql://u@db:5432/sj")
    settings = load_settings()
    assert settings.responders == ["U1", "U2", "U3"]
    assert settings.database_url == "postgresql+asyncpg://u@db:5432/sj"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SMOKEJUMPER_DATABASE_URL": "mysql://x"}, "SMOKEJUMPER_DATABASE_URL is invalid"),
        ({"SMOKEJUMPER_MAX_BODY_BYTES": "-5"}, "SMOKEJUMPER_MAX_BODY_BYTES is invalid"),
        ({"SMOKEJUMPER_GROUP_BY": " , "}, "SMOKEJUMPER_GROUP_BY is invalid"),
        ({"SMOKEJUMPER_OUTBOX_WORKERS": "many"}, "SMOKEJUMPER_OUTBOX_WORKERS is invalid"),
    ],
)
def test_invalid_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value).startswith(expected)
    assert "\n" not in str(error.value)


def test_serving_slack_requires_its_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET is not set"):
        load_settings().require_slack()
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-user-token-value")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cr3t")
    with pytest.raises(ConfigError, match="starts with 'xoxb-'") as error:
        load_settings().require_slack()
    assert "xoxp-user-token-value" not in str(error.value)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-ok")
    monkeypatch.setenv("SLACK_APP_TOKEN", "not-an-app-token")
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN is invalid"):
        load_settings().require_slack()


def test_serve_without_credentials_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["serve", "--port", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "smokejumper: configuration error: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET is not set: "
        "the Slack app needs it to start"
    )


def test_cli_process_reports_bad_database_url(tmp_path: object) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "upgrade"],
        env={"SMOKEJUMPER_DATABASE_URL": "ftp://nope", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "SMOKEJUMPER_DATABASE_URL is invalid" in result.stderr
    assert "Traceback" not in result.stderr
