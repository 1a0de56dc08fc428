"""The `bridge` command's store commands and `make demo`'s entry point, as a user runs them."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest


def _bridge(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=400, check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_demo_runs_the_main_job_against_the_simulators(tmp_path):
    result = _bridge("demo", "--days", "1", "--size", "150", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "demo.db").is_file()
    out = result.stdout
    assert "ioffice/incoming:" in out and "tracking/tasks:" in out
    assert "idesk/incoming:" in out  # an agency on each kind of e-office system
    assert "late marks prevented" in out and "failures: 0" in out
    # Prefect's API is started in the background, quieted first: none of its chatter shows.
    assert "temporary server" not in out + result.stderr
    assert "HTTP Request" not in out + result.stderr


def test_db_upgrade_then_status(tmp_path):
    assert _bridge("db", "current", cwd=tmp_path).stdout.strip() == "(empty store)"
    before = _bridge("status", cwd=tmp_path)
    assert before.returncode == 1 and "bridge db upgrade" in before.stderr
    upgraded = _bridge("db", "upgrade", cwd=tmp_path)
    assert re.search(r"revision \d{4}\b", upgraded.stdout)
    status = _bridge("status", cwd=tmp_path)
    assert status.returncode == 0
    assert "outbox           empty" in status.stdout


def test_an_unknown_command_is_a_usage_error(tmp_path):
    result = _bridge("frobnicate", cwd=tmp_path)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_a_system_that_is_down_or_not_configured_is_one_clear_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    env.update(BRIDGE_IOFFICE__BASE_URL="http://127.0.0.1:9", BRIDGE_HTTP__MAX_ATTEMPTS="1")
    down = subprocess.run(
        [sys.executable, "-m", "cli", "sync", "ioffice"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False,
    )  # fmt: skip
    assert down.returncode == 1
    assert down.stderr.startswith("bridge sync: ioffice login: ConnectionError")
    assert "Traceback" not in down.stderr
    missing = _bridge("sync", "idesk", cwd=tmp_path)
    assert missing.returncode == 2
    assert "idesk has no address: set BRIDGE_IDESK__BASE_URL" in missing.stderr
