"""Credentials from Prefect Secret blocks instead of the environment (issue 17, item 7): real
blocks saved on the session's Prefect API, read when the connector is built, used against the
simulators over HTTP, and registered for redaction."""

from __future__ import annotations

import os

import pytest

from bridge import secret_blocks
from bridge.settings import load_settings
from connectors.redaction import redact
from pipelines import systems

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


@pytest.fixture
def blank(monkeypatch, tmp_path):
    """No BRIDGE_ variable and no bridge.toml: only what the test sets."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("BRIDGE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BRIDGE_HTTP__MAX_ATTEMPTS", "1")


def _save(name: str, value) -> None:
    from prefect.blocks.system import Secret

    Secret(value=value).save(name, overwrite=True, _sync=True)


def test_passwords_and_client_secrets_come_from_secret_blocks(sim, blank, monkeypatch):
    _save("sim-ioffice-password", sim.ioffice_credentials["password"])
    _save("sim-lgsp-secret", sim.tracking_credentials["client_secret"])
    monkeypatch.setenv("BRIDGE_IOFFICE__BASE_URL", sim.ioffice_url)
    monkeypatch.setenv("BRIDGE_IOFFICE__USERNAME", sim.ioffice_credentials["username"])
    monkeypatch.setenv("BRIDGE_IOFFICE__PASSWORD_BLOCK", "sim-ioffice-password")
    monkeypatch.setenv("BRIDGE_TRACKING__BASE_URL", sim.tracking_url)
    monkeypatch.setenv("BRIDGE_TRACKING__TOKEN_URL", sim.token_url)
    monkeypatch.setenv("BRIDGE_TRACKING__CLIENT_ID", sim.tracking_credentials["client_id"])
    monkeypatch.setenv("BRIDGE_TRACKING__CLIENT_SECRET_BLOCK", "sim-lgsp-secret")
    settings = load_settings()
    assert settings.ioffice.password is None  # nothing secret in the settings themselves
    for system in ("ioffice", "tracking"):
        result = systems.check_system(settings, system)
        assert result.ok, result.detail
    # Read values are redacted wherever they would be printed, like any other credential.
    said = f"login refused for {sim.ioffice_credentials['password']}"
    assert sim.ioffice_credentials["password"] not in redact(said)
    assert sim.tracking_credentials["client_secret"] not in redact(
        f"secret={sim.tracking_credentials['client_secret']}x"
    )


def test_a_rotated_secret_is_used_by_the_next_connector_built(sim, blank, monkeypatch):
    _save("rotating-password", "an-old-password-no-longer-valid")
    monkeypatch.setenv("BRIDGE_IOFFICE__BASE_URL", sim.ioffice_url)
    monkeypatch.setenv("BRIDGE_IOFFICE__USERNAME", sim.ioffice_credentials["username"])
    monkeypatch.setenv("BRIDGE_IOFFICE__PASSWORD_BLOCK", "rotating-password")
    settings = load_settings()
    refused = systems.check_system(settings, "ioffice")
    assert not refused.ok and "HTTP 401" in refused.detail
    assert "an-old-password-no-longer-valid" not in refused.detail
    _save("rotating-password", sim.ioffice_credentials["password"])
    assert systems.check_system(settings, "ioffice").ok


def test_a_missing_or_non_text_block_is_one_line_naming_the_setting(sim, blank, monkeypatch):
    monkeypatch.setenv("BRIDGE_IDESK__BASE_URL", sim.idesk_url)
    monkeypatch.setenv("BRIDGE_IDESK__USERNAME", sim.idesk_credentials[0])
    monkeypatch.setenv("BRIDGE_IDESK__PASSWORD_BLOCK", "no-such-block")
    missing = systems.check_system(load_settings(), "idesk")
    assert not missing.ok
    assert "idesk.password_block: no Prefect Secret block named 'no-such-block'" in missing.detail
    _save("a-json-secret", {"user": "x", "password": "y"})
    monkeypatch.setenv("BRIDGE_IDESK__PASSWORD_BLOCK", "a-json-secret")
    with pytest.raises(systems.NotConfigured, match="holds dict, not text"):
        systems.build_connector(load_settings(), "idesk")


def test_a_secret_and_its_block_together_or_a_bad_block_name_are_refused(blank, monkeypatch):
    monkeypatch.setenv("BRIDGE_IOFFICE__PASSWORD", "a-password-here")
    monkeypatch.setenv("BRIDGE_IOFFICE__PASSWORD_BLOCK", "ioffice-password")
    with pytest.raises(ValueError, match="set password or password_block, not both"):
        load_settings()
    monkeypatch.delenv("BRIDGE_IOFFICE__PASSWORD")
    monkeypatch.setenv("BRIDGE_IOFFICE__PASSWORD_BLOCK", "Pasted Password!")
    with pytest.raises(ValueError) as refused:
        load_settings()
    assert "not a Prefect block name" in str(refused.value)
    assert "Pasted Password!" not in str(refused.value)


def test_sections_without_blocks_never_ask_prefect(blank, monkeypatch):
    monkeypatch.setenv("BRIDGE_IOFFICE__BASE_URL", "https://io.example.vn")
    section = load_settings().ioffice
    assert not secret_blocks.names_any(section)
    assert secret_blocks.resolve(section, "ioffice") is section
