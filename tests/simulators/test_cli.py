"""`python -m simulators` starts every server on loopback, prints addresses, stops on Ctrl-C."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def test_the_cli_serves_until_ctrl_c() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "simulators", "--size", "40", "--speed", "0",
         "--fault", "tracking:soap_fault=next1"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "Ctrl-C stops" in line:
                break
        output = "".join(lines)
        # Every line is a shell comment or an export, so the output pastes whole.
        assert all(line.startswith(("# ", "export BRIDGE_")) for line in lines), output
        exported = dict(re.findall(r"^export (BRIDGE_\w+)=(\S+)$", output, re.MULTILINE))
        ioffice = exported["BRIDGE_IOFFICE__BASE_URL"]
        answer = requests.post(
            f"{ioffice}/qlvb/api/login",
            json={
                "username": exported["BRIDGE_IOFFICE__USERNAME"],
                "password": exported["BRIDGE_IOFFICE__PASSWORD"],
            },
            timeout=5,
        )
        assert answer.json()["status"]["code"] == "0"
        faults = requests.get(f"{ioffice}/admin/faults", timeout=5).json()
        assert faults["tracking"]["soap_fault"]["next"] == 1
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_bad_options_are_refused_with_a_reason(capsys) -> None:
    from simulators.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--fault", "mainframe:http_5xx=0.5"])
    assert exit_info.value.code == 2
    assert "unknown server 'mainframe'" in capsys.readouterr().err
