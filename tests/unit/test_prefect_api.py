"""The Prefect server process helpers (bridge/prefect_api.py) with real processes on loopback:
a server that dies is reported at once with its status, one that never answers is given up on
after the time allowed, and a stop ends the whole process group."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from bridge import prefect_api


def test_a_server_that_exits_is_reported_with_its_status_not_waited_for():
    died = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    url = f"http://127.0.0.1:{prefect_api.free_port()}/api"
    # Given up on at the time limit, it would say "did not answer": the status is only known
    # from the process itself.
    with pytest.raises(RuntimeError, match="exited with status 3"):
        prefect_api.wait_until_healthy(url, died, timeout_s=60, poll_s=0.05)


def test_a_server_that_never_answers_is_given_up_on():
    silent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                              start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{prefect_api.free_port()}/api"
    try:
        with pytest.raises(RuntimeError, match=r"did not answer .*/health in 1 s"):
            prefect_api.wait_until_healthy(url, silent, timeout_s=1, poll_s=0.05)
    finally:
        prefect_api.stop(silent, "silent server", quiet=True)
    assert silent.poll() is not None


def test_stop_ends_the_child_and_what_it_started():
    # A parent that starts a grandchild in its group, as the server starts its workers.
    script = (
        "import subprocess, sys, time; "
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        "print(child.pid, flush=True); time.sleep(60)"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                              text=True, start_new_session=True)  # fmt: skip
    grandchild = int(parent.stdout.readline())
    prefect_api.stop(parent, "test server", quiet=True)
    assert parent.poll() is not None
    for _ in range(100):
        try:
            with open(f"/proc/{grandchild}/stat") as stat:
                if stat.read().split()[2] == "Z":
                    break
        except FileNotFoundError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the grandchild outlived the stop")
    parent.stdout.close()


def test_a_free_port_is_free():
    port = prefect_api.free_port()
    assert prefect_api.port_is_free(port)
