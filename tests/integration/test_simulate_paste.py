"""What `bridge simulate` prints pastes into a shell, and `bridge check` then reaches every
system (issue 17: the printed iOffice address used to end in 404).

The simulators run as a person runs them (`bridge simulate`, real HTTP on loopback); their
output is handed to a shell whole, followed by `bridge check`, in a directory without a
bridge.toml and an environment without any BRIDGE_ variable.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


@pytest.mark.slow
def test_the_printed_lines_pasted_into_a_shell_make_bridge_check_pass(tmp_path):
    simulate = subprocess.Popen(
        [sys.executable, "-m", "cli", "simulate", "--size", "40", "--speed", "0"],
        cwd=tmp_path, env=_clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        printed = []
        assert simulate.stdout is not None
        for line in simulate.stdout:
            printed.append(line)
            if "Ctrl-C stops" in line:
                break
        output = "".join(printed)
        assert "export BRIDGE_IDESK__BASE_URL=" in output, output
        script = output + f"\nexec {sys.executable} -m cli check\n"
        check = subprocess.run(
            ["bash", "-c", script], cwd=tmp_path, env=_clean_env(), capture_output=True,
            text=True, timeout=120, check=False,
        )  # fmt: skip
        assert check.returncode == 0, check.stdout + check.stderr
        verdicts = [line.split()[:2] for line in check.stdout.splitlines()]
        assert verdicts[:3] == [["ioffice", "OK"], ["idesk", "OK"], ["tracking", "OK"]]
    finally:
        simulate.send_signal(signal.SIGINT)
        try:
            simulate.wait(timeout=15)
        except subprocess.TimeoutExpired:
            simulate.kill()
            simulate.wait()
