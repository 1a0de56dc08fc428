"""`base_url` means the service root for every system (issue 17): the connector adds its API's
path, and a full endpoint pasted as base_url is refused at load, naming the setting and the
root to set instead."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.settings import load_settings
from connectors.soap import service_address, service_path
from simulators import idesk as idesk_simulator
from simulators import tracking as tracking_simulator

ROOT = Path(__file__).resolve().parents[2]

FULL_ENDPOINTS = {
    "ioffice": ("https://io.example.vn/qlvb/api", "https://io.example.vn"),
    "idesk": (
        "https://idesk.example.vn/idesk/ws/VanBanService?wsdl",
        "https://idesk.example.vn",
    ),
    "tracking": (
        "https://lgsp.example.vn/gw/tdnv/services/NhiemVuService/",
        "https://lgsp.example.vn/gw",
    ),
}


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("BRIDGE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_soap_paths_come_from_the_wsdls_and_the_simulators_serve_them():
    assert service_path("idesk.wsdl") == idesk_simulator.SERVICE_PATH
    assert service_path("tracking.wsdl") == tracking_simulator.SERVICE_PATH
    assert (
        service_address("https://lgsp.example.vn/gw/", "tracking.wsdl")
        == "https://lgsp.example.vn/gw/tdnv/services/NhiemVuService"
    )


@pytest.mark.parametrize("system", sorted(FULL_ENDPOINTS))
def test_a_full_endpoint_is_refused_with_the_root_to_set(system, clean_env, monkeypatch):
    endpoint, root = FULL_ENDPOINTS[system]
    monkeypatch.setenv(f"BRIDGE_{system.upper()}__BASE_URL", endpoint)
    with pytest.raises(ValueError) as refused:
        load_settings()
    text = str(refused.value)
    assert f"{system}.base_url" in text and f"set the service root instead: {root}" in text


@pytest.mark.parametrize("system", sorted(FULL_ENDPOINTS))
def test_roots_with_or_without_a_gateway_prefix_load(system, clean_env, monkeypatch):
    for root in ("https://host.example.vn", "https://host.example.vn:8443/gateway/"):
        monkeypatch.setenv(f"BRIDGE_{system.upper()}__BASE_URL", root)
        assert getattr(load_settings(), system).base_url == root


def test_the_command_says_it_in_one_line_naming_the_variable_and_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    env["PYTHONPATH"] = str(ROOT)
    env["BRIDGE_IDESK__BASE_URL"] = FULL_ENDPOINTS["idesk"][0]
    result = subprocess.run(
        [sys.executable, "-m", "cli", "check"], cwd=tmp_path, env=env, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "idesk.base_url" in lines[0] and "BRIDGE_IDESK__BASE_URL" in lines[0]
    assert "https://idesk.example.vn" in lines[0] and "Traceback" not in result.stderr
