"""Settings: environment over config file over defaults; secrets never printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import cli
from bridge.settings import load_settings


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("BRIDGE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_use_the_embedded_sqlite_store_under_var(clean_env):
    settings = load_settings()
    assert settings.effective_database_url == f"sqlite:///{clean_env / 'var' / 'bridge.db'}"
    assert not settings.ioffice.enabled


def test_environment_overrides_the_config_file(clean_env, monkeypatch):
    (clean_env / "bridge.toml").write_text(
        'agency_name = "Sở Nội vụ"\n[ioffice]\nbase_url = "https://ioffice.example.vn"\n'
        'username = "vanthu"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("BRIDGE_IOFFICE__USERNAME", "admin")
    settings = load_settings()
    assert settings.agency_name == "Sở Nội vụ"
    assert settings.ioffice.base_url == "https://ioffice.example.vn"
    assert settings.ioffice.username == "admin"


def test_bridge_config_masks_every_secret(clean_env, monkeypatch, capsys):
    monkeypatch.setenv("BRIDGE_IOFFICE__PASSWORD", "hunter2-ioffice")
    monkeypatch.setenv("BRIDGE_TRACKING__CLIENT_SECRET", "lgsp-client-secret")
    monkeypatch.setenv("BRIDGE_DATABASE_URL", "postgresql+psycopg://bridge:db-pass@127.0.0.1/x")
    assert cli.main(["config"]) == 0
    text = capsys.readouterr().out
    assert cli.main(["config", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    for secret in ("hunter2-ioffice", "lgsp-client-secret", "db-pass"):
        assert secret not in text
        assert secret not in json.dumps(shown)
    assert shown["ioffice"]["password"] == "**********"
    assert shown["database_url"] == "postgresql+psycopg://bridge:***@127.0.0.1/x"


def test_a_missing_ca_bundle_is_a_clear_error_with_exit_status_2(clean_env):
    env = {**os.environ, "BRIDGE_HTTP__CA_BUNDLE": str(clean_env / "missing.pem")}
    result = subprocess.run(
        [sys.executable, "-m", "cli", "config"],
        capture_output=True, text=True, env=env, cwd=clean_env, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "missing.pem does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_named_config_file_that_does_not_exist_is_an_error(clean_env, monkeypatch, capsys):
    monkeypatch.setenv("BRIDGE_CONFIG", str(clean_env / "nope.toml"))
    assert cli.main(["config"]) == 2
    assert "nope.toml, which does not exist" in capsys.readouterr().err


def test_report_settings_default_to_placeholders_the_cut_off_and_the_due_basis(clean_env):
    settings = load_settings()
    # No real agency name as a default: the 2025 reorganisation renamed them.
    assert settings.agency_name == "Sở ... tỉnh ..."
    assert (settings.reports.basis, settings.reports.calendar_periods) == ("due", False)
    assert settings.reports.monthly_cron == "0 8 15 * *"  # the day after the cut-off


def test_report_settings_from_the_file_and_a_wrong_basis_named(clean_env, monkeypatch):
    (clean_env / "bridge.toml").write_text(
        '[reports]\nbasis = "received"\ncalendar_periods = true\nagency_abbreviation = "SKHCN"\n',
        encoding="utf-8",
    )
    settings = load_settings()
    assert settings.reports.basis == "received" and settings.reports.calendar_periods
    assert settings.reports.agency_abbreviation == "SKHCN"
    monkeypatch.setenv("BRIDGE_REPORTS__BASIS", "sent")
    with pytest.raises(ValueError, match="basis"):
        load_settings()
