"""The production kit (issue 17, item 7): starting never installs (`make serve`, the systemd
units), installing is `make install`, and the example environment is settings the bridge
accepts as they are."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bridge.settings import load_settings, settings_model
from bridge.settings_check import check_environment

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
ENV_EXAMPLE = ROOT / "deploy" / "bridge.env.example"

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _make(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    return subprocess.run(
        ["make", "--no-print-directory", "-f", str(ROOT / "Makefile"), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@needs_make
def test_make_serve_without_a_venv_refuses_in_one_line_and_installs_nothing(tmp_path):
    result = _make("serve", cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "run 'make install' first" in result.stderr
    assert not (tmp_path / ".venv").exists()


@needs_make
def test_make_serve_with_a_stale_venv_starts_without_pip_and_install_runs_pip(tmp_path):
    # A venv older than pyproject.toml (a `git pull` brought a new one): serve starts anyway.
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    bridge = tmp_path / ".venv" / "bin" / "bridge"
    bridge.write_text("#!/bin/sh\n", encoding="utf-8")
    bridge.chmod(0o755)
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    serve = _make("-n", "serve", cwd=tmp_path)
    assert serve.returncode == 0, serve.stderr
    assert "pip" not in serve.stdout and "bridge.serve --with-server" in serve.stdout
    install = _make("-n", "install", cwd=tmp_path)
    assert "pip install" in install.stdout and "-c constraints.txt" in install.stdout
    # The README's two commands keep setting themselves up.
    for target in ("demo", "test"):
        assert "pip install" in _make("-n", target, cwd=tmp_path).stdout


def _directives(unit: Path) -> list[tuple[str, str]]:
    pairs = []
    for line in unit.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith(("#", "[")) and "=" in line:
            key, _, value = line.partition("=")
            pairs.append((key.strip(), value.strip()))
    return pairs


@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_units_start_programs_of_the_venv_and_never_install(unit):
    directives = _directives(unit)
    commands = [value for key, value in directives if key.startswith("Exec")]
    assert commands, unit
    for command in commands:
        assert not re.search(r"\b(pip|make|uv|poetry)\b", command), command
        assert command.startswith("/srv/bridge/.venv/bin/"), command
    keys = {key for key, _ in directives}
    assert {"User", "ExecStart", "Restart", "WantedBy"} <= keys
    assert ("KillSignal", "SIGINT") in directives  # bridge serve and Prefect stop on Ctrl-C


def test_the_bridge_units_read_the_example_environment_file():
    for name in ("bridge-serve.service", "bridge-worker@.service"):
        directives = _directives(ROOT / "deploy" / "systemd" / name)
        assert ("EnvironmentFile", "/etc/bridge/bridge.env") in directives
        assert ("ExecStartPre", "/srv/bridge/.venv/bin/bridge db upgrade") in directives
    worker = dict(_directives(ROOT / "deploy" / "systemd" / "bridge-worker@.service"))
    assert "--pool bridge" in worker["ExecStart"] and worker["Environment"]
    assert "/etc/bridge/bridge.env" in ENV_EXAMPLE.read_text(encoding="utf-8")


def _example_environment() -> dict[str, str]:
    variables = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            variables[name] = value
    return variables


def test_the_example_environment_is_accepted_by_the_settings(monkeypatch, tmp_path):
    example = _example_environment()
    assert example["PREFECT_API_URL"].endswith("/api")
    assert check_environment(settings_model(), example) == []
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("BRIDGE_"):
            monkeypatch.delenv(name)
    for name, value in example.items():
        if name.startswith("BRIDGE_"):
            monkeypatch.setenv(name, value)
    settings = load_settings()  # roots, block names: nothing refused
    assert settings.ioffice.password_block and settings.ioffice.password is None
    assert settings.tracking.client_secret_block
