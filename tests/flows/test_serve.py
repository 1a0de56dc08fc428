"""Serving: the deployments and their schedules, and `make serve`'s launcher end to end."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bridge import serve
from bridge.settings import load_settings
from store import database
from store.tables import documents
from tests import prefect_db
from tests.flows.conftest import simulator_env

pytestmark = pytest.mark.prefect


def _settings(monkeypatch, tmp_path, **env: str):
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("BRIDGE_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings()


def test_each_configured_system_gets_a_poller_that_never_overlaps(monkeypatch, tmp_path):
    from prefect.client.schemas.objects import ConcurrencyLimitStrategy

    settings = _settings(
        monkeypatch, tmp_path,
        BRIDGE_IOFFICE__BASE_URL="http://127.0.0.1:9", BRIDGE_TRACKING__BASE_URL="http://127.0.0.1:9",
    )  # fmt: skip
    by_name = {f"{d.flow_name}/{d.name}": d for d in serve.build_deployments(settings)}
    assert set(by_name) == {
        "sync-system/ioffice", "sync-system/tracking", "deadline-watch/deadline-watch",
        "health-check/health-check", "resync/resync", "push-updates/push-updates",
        "retry-failures/retry-failures",
    }  # fmt: skip
    sync = by_name["sync-system/ioffice"]
    assert sync.parameters == {"system": "ioffice"}
    assert [(s.schedule.cron, s.schedule.timezone) for s in sync.schedules] == [
        ("*/5 7-17 * * 1-6", "Asia/Ho_Chi_Minh"),
        ("0 0-6,18-23 * * 1-6", "Asia/Ho_Chi_Minh"),
        ("0 * * * 0", "Asia/Ho_Chi_Minh"),
    ]
    for name in (
        "sync-system/ioffice",
        "deadline-watch/deadline-watch",
        "health-check/health-check",
    ):
        deployment = by_name[name]
        assert deployment.concurrency_limit == 1
        assert (
            deployment.concurrency_options.collision_strategy is ConcurrencyLimitStrategy.CANCEL_NEW
        )
    (watch,) = by_name["deadline-watch/deadline-watch"].schedules
    assert watch.parameters == {"skip_days_off": True}
    assert by_name["resync/resync"].entrypoint == "flows.resync"
    # The form offers only what is configured here: a choice of systems and of their streams,
    # and local days (a date picker, no time zone to get wrong).
    form = by_name["resync/resync"]._parameter_openapi_schema.model_dump()["properties"]
    assert form["system"]["enum"] == ["ioffice", "tracking"]
    assert form["streams"]["type"] == "array" and form["streams"]["default"] == []
    assert form["streams"]["items"]["enum"] == ["incoming", "outgoing", "directives", "tasks"]
    assert (
        "ioffice: incoming, outgoing, directives; tracking: tasks" in form["streams"]["description"]
    )
    assert form["since"]["anyOf"][0] == {"format": "date", "type": "string"}
    assert form["dry_run"]["type"] == "boolean"
    # The retry form: what to retry, and the system as a choice of the registered ones.
    retry = by_name["retry-failures/retry-failures"]
    assert retry.entrypoint == "flows.retry_failures"
    assert retry.concurrency_limit == 1
    form = retry._parameter_openapi_schema.model_dump()["properties"]
    assert form["which"]["enum"] == ["all", "system", "ids", "time_range"]
    assert form["system"]["anyOf"][0]["enum"] == ["ioffice", "idesk", "tracking"]
    assert form["since"]["anyOf"][0] == {"format": "date", "type": "string"}
    sync_form = by_name["sync-system/ioffice"]._parameter_openapi_schema.model_dump()
    assert sync_form["properties"]["system"]["enum"] == ["ioffice", "tracking"]


def test_no_resync_is_offered_without_a_configured_system(monkeypatch, tmp_path):
    names = {d.flow_name for d in serve.build_deployments(_settings(monkeypatch, tmp_path))}
    assert "resync" not in names and "health-check" in names


def test_the_periodic_reports_are_served_only_when_enabled(monkeypatch, tmp_path):
    names = {d.flow_name for d in serve.build_deployments(_settings(monkeypatch, tmp_path))}
    assert "periodic-report" not in names
    enabled = _settings(monkeypatch, tmp_path, BRIDGE_SCHEDULES__REPORTS_ENABLED="true")
    reports = [d for d in serve.build_deployments(enabled) if d.flow_name == "periodic-report"]
    assert {d.name: d.schedules[0].schedule.cron for d in reports} == {
        "weekly": "0 8 * * 4", "monthly": "0 8 15 * *", "quarterly": "0 8 15 3,6,9,12 *",
        "half_yearly": "0 8 15 6,12 *", "yearly": "0 8 15 12 *",
    }  # fmt: skip


def test_a_wrong_cron_line_names_its_setting(monkeypatch, tmp_path):
    settings = _settings(monkeypatch, tmp_path, BRIDGE_SCHEDULES__HEALTH_CHECK='["99 * * * *"]')
    with pytest.raises(ValueError, match=r"schedules.health_check: '99 \* \* \* \*'"):
        serve.build_deployments(settings)


# --- make serve, for real ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait(what: str, check, timeout_s: float, launcher: subprocess.Popen, log_path):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if launcher.poll() is not None:
            pytest.fail(f"the launcher exited ({launcher.returncode}) while waiting for {what}:\n"
                        + log_path.read_text(errors="replace")[-4000:])  # fmt: skip
        found = check()
        if found:
            return found
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}:\n" + log_path.read_text(errors="replace")[-4000:])


@contextlib.contextmanager
def _launched(sim, tmp_path, **extra_env: str):
    """`make serve`'s launcher on a free port, and a client of its server once resync is
    registered; stopped with SIGTERM at the end, as systemd or Ctrl-C would."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    port = _free_port()
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("BRIDGE_", "PREFECT_"))}  # fmt: skip
    env.update(
        simulator_env(sim, f"sqlite:///{tmp_path / 'bridge.db'}"),
        PREFECT_HOME=str(prefect_db.seed(tmp_path / "prefect")),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_RUNNER_POLL_FREQUENCY="1",
        BRIDGE_PREFECT_PORT=str(port),
        **extra_env,
    )
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "bridge.serve", "--with-server"],
            env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        with (
            temporary_settings({PREFECT_API_URL: f"http://127.0.0.1:{port}/api"}),
            get_client(sync_client=True) as client,
        ):

            def registered():
                # Until the server answers and serve has registered it: refused, then 404.
                try:
                    return client.read_deployment_by_name("resync/resync")
                except Exception:
                    return None

            _wait("the resync deployment", registered, 240, launcher, log_path)
            yield client, launcher, log_path, port
    finally:
        launcher.send_signal(signal.SIGTERM)
        try:
            launcher.wait(timeout=120)
        except subprocess.TimeoutExpired:
            launcher.kill()
            launcher.wait()


@pytest.mark.slow
@pytest.mark.own_prefect_server
def test_make_serve_runs_a_resync_asked_for_through_the_api_and_shuts_down(sim, tmp_path):
    from prefect.client.schemas.objects import ConcurrencyLimitStrategy

    far_away = '["0 3 1 1 *"]'  # no scheduled run may start during the test
    ids = [str(d["id"]) for d in sim.ground_truth("documents") if not d.get("secrecy")][:2]
    with _launched(
        sim, tmp_path, BRIDGE_SCHEDULES__SYNC=far_away,
        BRIDGE_SCHEDULES__DEADLINE_WATCH=far_away, BRIDGE_SCHEDULES__HEALTH_CHECK=far_away,
    ) as (client, launcher, log_path, port):  # fmt: skip
        poller = client.read_deployment_by_name("sync-system/ioffice")
        assert poller.concurrency_options.collision_strategy is ConcurrencyLimitStrategy.CANCEL_NEW
        assert client.read_global_concurrency_limit_by_name("ioffice").limit == 2

        # What the UI's "Custom run" sends: the deployment and the form's parameters.
        resync = client.read_deployment_by_name("resync/resync")
        run = client.create_flow_run_from_deployment(
            resync.id,
            parameters={"system": "ioffice", "streams": ["incoming"], "source_ids": ids},
        )

        def finished():
            state = client.read_flow_run(run.id).state
            return state if state is not None and state.is_final() else None

        state = _wait("the resync run", finished, 180, launcher, log_path)
        assert state.is_completed(), f"{state.name}: {state.message}"
        assert any(a.key == "resync-ioffice" for a in client.read_artifacts())

    engine = database.connect(f"sqlite:///{tmp_path / 'bridge.db'}")
    with engine.connect() as conn:
        assert set(conn.execute(select(documents.c.source_id)).scalars()) == set(ids)
    engine.dispose()
    output = log_path.read_text(errors="replace")
    assert launcher.returncode == 0, output[-4000:]
    assert output.index("stopping the serve process") < output.index("stopping the Prefect server")
    assert not _port_in_use(port), "the Prefect server is still listening"


@pytest.mark.slow
@pytest.mark.own_prefect_server
def test_the_server_schedules_the_pollers(sim, tmp_path):
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    with _launched(sim, tmp_path, BRIDGE_SCHEDULES__SYNC='["0 3 1 1 *"]') as (client, *_rest):
        poller = client.read_deployment_by_name("sync-system/ioffice")
        only_it = DeploymentFilter(id=DeploymentFilterId(any_=[poller.id]))
        deadline = time.monotonic() + 30
        while not (scheduled := client.read_flow_runs(deployment_filter=only_it)):
            if time.monotonic() > deadline:
                break
            time.sleep(1)
    assert scheduled and all(run.state.is_scheduled() for run in scheduled)
    first = min(run.expected_start_time for run in scheduled).astimezone(
        ZoneInfo("Asia/Ho_Chi_Minh")
    )
    assert (first.month, first.day, first.hour) == (1, 1, 3)  # the cron line, read in local time
