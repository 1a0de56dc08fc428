"""Running the bridge as production does: a Prefect server, `prefect deploy --all` with the
repository's prefect.yaml, and workers of the `bridge` process pool, each its own process.

Helpers for tests/flows/test_workers.py: nothing here is a test.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests import prefect_db

REPO = Path(__file__).resolve().parents[2]
SERVER_START_S = 240
STOP_S = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def base_env(home: Path, api_url: str) -> dict[str, str]:
    """The environment of every process of the test: no developer's BRIDGE_/PREFECT_ settings,
    Prefect pointed at the test's server and home, this checkout importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "PREFECT_"))}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_API_URL=api_url,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PYTHONPATH=str(REPO),
    )
    return env


def wait_for(what: str, check: Callable[[], Any], timeout_s: float, logs: list[Path]) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    tails = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in logs)
    raise AssertionError(f"timed out waiting for {what}\n{tails}")


@contextlib.contextmanager
def prefect_server(tmp: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """`prefect server start` on a free loopback port, SQLite under ``tmp``; stopped after."""
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = base_env(prefect_db.seed(tmp / "prefect-home"), api_url)
    env.update(PREFECT_SERVER_API_HOST="127.0.0.1", PREFECT_SERVER_API_PORT=str(port))
    log_path = tmp / "server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start"],
            env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def healthy() -> bool:
        if server.poll() is not None:
            raise AssertionError("the Prefect server exited:\n" + log_path.read_text()[-3000:])
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as answer:
                return answer.status == 200
        except (urllib.error.URLError, OSError):
            return False

    try:
        wait_for("the Prefect server", healthy, SERVER_START_S, [log_path])
        yield api_url, env
    finally:
        stop(server)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Signal the process group we started (a worker's flow runs are in it), then wait."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=STOP_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def prefect(env: dict[str, str], *args: str) -> str:
    """A `prefect` command from the repository root (where prefect.yaml is); its output."""
    done = subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", *args],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def deploy_all(env: dict[str, str], calls_per_system: int = 2) -> None:
    """What an operator does once per server (README): the pool, the per-system call limits,
    then every deployment of prefect.yaml. The pool and the limits are made through the API,
    as `prefect work-pool create bridge --type process` and `prefect global-concurrency-limit
    create` make them (the process worker's own default job template), without a CLI process
    each (3 s of CPU apiece); `prefect deploy --all` reads our prefect.yaml, so it runs as the
    operator runs it."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.workers.process import ProcessWorker

    from bridge.serve import ensure_concurrency_limits

    with temporary_settings({PREFECT_API_URL: env["PREFECT_API_URL"]}):
        with get_client(sync_client=True) as client:
            client.create_work_pool(WorkPoolCreate(
                name="bridge", type="process",
                base_job_template=ProcessWorker.get_default_base_job_template(),
            ))  # fmt: skip
        ensure_concurrency_limits(("ioffice", "idesk", "tracking"), calls_per_system)
    prefect(env, "deploy", "--all")


def start_worker(env: dict[str, str], store_url: str, sim_env: dict[str, str], log_path: Path,
                 name: str) -> subprocess.Popen:  # fmt: skip
    """`prefect worker start --pool bridge` with the bridge's settings in its environment, as
    on a production machine; its flow runs run in BRIDGE_HOME (this checkout)."""
    worker_env = dict(env)
    worker_env.update(sim_env)
    worker_env.update(
        BRIDGE_DATABASE_URL=store_url,
        BRIDGE_HOME=str(REPO),
        PREFECT_WORKER_QUERY_SECONDS="1",
        PREFECT_WORKER_PREFETCH_SECONDS="0",
    )
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "prefect", "worker", "start", "--pool", "bridge",
             "--type", "process", "--name", name],
            env=worker_env, cwd=log_path.parent, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def pause_every_schedule(client: Any) -> None:
    """The test triggers its runs itself: no schedule may start one while it runs."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    for deployment in client.read_deployments():
        for schedule in deployment.schedules:
            client.update_deployment_schedule(deployment.id, schedule.id, active=False)
    scheduled = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
    )
    for run in client.read_flow_runs(flow_run_filter=scheduled):
        client.delete_flow_run(run.id)


def final_state(client: Any, run_id: Any) -> Any:
    state = client.read_flow_run(run_id).state
    return state if state is not None and state.is_final() else None


def task_runs_of(client: Any, run_id: Any) -> list[Any]:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    return client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
