"""Serving the flows: deployments, their schedules, and `make serve`'s local Prefect server.

This is the one-machine way. For workers on any number of machines the repository's
prefect.yaml declares the same deployments (`prefect deploy --all`, then `prefect worker start
--pool bridge`; README, "Running it in production"), with the default cron lines fixed there
rather than read from each machine's settings.

``python -m bridge.serve`` (also `bridge serve`) registers the deployments with the Prefect
server at ``PREFECT_API_URL`` and runs their flow runs until stopped; run one on each machine
that should do work. ``--with-server`` first starts a Prefect server of its own on 127.0.0.1
(port ``BRIDGE_PREFECT_PORT``, default 4200), which is what `make serve` does.

Deployments (schedules are cron lines in ``[schedules]`` of the settings, read in
Asia/Ho_Chi_Minh):

* ``sync-system/<system>``, one per configured system: every 5 minutes 07:00-17:55 Monday
  to Saturday, hourly otherwise (``schedules.sync``); sync, reconcile, push.
* ``deadline-watch/deadline-watch``: 07:30 and 13:30 Monday to Saturday, days off in the
  working-day calendar skipped; reconcile, push, the tasks at risk and overdue.
* ``health-check/health-check``: every 15 minutes; each system and the store.
* ``resync/resync``, ``push-updates/push-updates`` and ``retry-failures/retry-failures`` (a
  form: all, a system, ids or a time range): no schedule, run by hand from the UI.
  The resync form offers only the configured systems and their streams (``offer_only``); its
  dates are local days. No system configured, no resync deployment.
* ``periodic-report/weekly`` (``monthly``, ``quarterly``, ``half_yearly``, ``yearly``): only with
  ``schedules.reports_enabled``, on the cron lines of ``[reports]``.

Pushing is the last step of every sync rather than a deployment of its own: an update found by
one sync then goes out in the same run, without a second schedule to keep in step.

A scheduled deployment runs one flow run at a time; a run due while the previous one still runs
is cancelled (``CANCEL_NEW``), so pollers never pile up behind a slow system.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from typing import Any

from bridge import prefect_api
from bridge.settings import BridgeSettings, load_settings

log = logging.getLogger("bridge.serve")

DEFAULT_PORT = 4200
SERVER_START_TIMEOUT_S = 120


# --- deployments -----------------------------------------------------------------------------


def build_deployments(settings: BridgeSettings) -> list[Any]:
    """The deployments to serve, from the settings' configured systems and schedules."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.deployments.runner import EntrypointType

    import flows
    from pipelines.systems import configured_systems

    plan, timezone = settings.schedules, settings.timezone
    one_at_a_time = ConcurrencyLimitConfig(
        limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
    )
    # Module paths, not file paths: a serve process started from any directory finds them.
    common: dict[str, Any] = {"entrypoint_type": EntrypointType.MODULE_PATH, "tags": ["bridge"]}
    deployments = [
        offer_only(
            flows.sync_system.to_deployment(
                name=system,
                parameters={"system": system},
                schedules=_schedules("schedules.sync", plan.sync, timezone),
                concurrency_limit=one_at_a_time,
                description=f"Sync {system}, reconcile, push (schedules.sync)",
                **common,
            ),
            configured_systems(settings),
        )
        for system in configured_systems(settings)
    ]
    deployments += [
        flows.deadline_watch.to_deployment(
            name="deadline-watch",
            schedules=_schedules(
                "schedules.deadline_watch", plan.deadline_watch, timezone, {"skip_days_off": True}
            ),
            concurrency_limit=one_at_a_time,
            **common,
        ),
        flows.health_check.to_deployment(
            name="health-check",
            schedules=_schedules("schedules.health_check", plan.health_check, timezone),
            concurrency_limit=one_at_a_time,
            **common,
        ),
    ]
    systems = configured_systems(settings)
    if systems:
        # On demand only. A resync of another system may run beside one already running: the
        # per-system call limits keep them from crowding one system.
        resync = flows.resync.to_deployment(name="resync", **common)
        deployments.append(offer_only(resync, systems))
    deployments += [
        flows.push_updates.to_deployment(
            name="push-updates", concurrency_limit=one_at_a_time, **common
        ),
        flows.retry_failures.to_deployment(
            name="retry-failures", concurrency_limit=one_at_a_time, **common
        ),
    ]
    if plan.reports_enabled:
        crons = settings.reports
        deployments += [
            flows.periodic_report.to_deployment(
                name=schedule,
                parameters={"schedule": schedule},
                schedules=_schedules(f"reports.{schedule}_cron", [cron], timezone),
                concurrency_limit=one_at_a_time,
                **common,
            )
            for schedule, cron in (
                ("weekly", crons.weekly_cron),
                ("monthly", crons.monthly_cron),
                ("quarterly", crons.quarterly_cron),
                ("half_yearly", crons.half_yearly_cron),
                ("yearly", crons.yearly_cron),
            )
        ]
    return deployments


def offer_only(deployment: Any, systems: Sequence[str]) -> Any:
    """Narrow a deployment's form to ``systems`` and their streams (connectors/registry.py).

    The flow's signature offers every registered system; the form, and the server, which
    checks every run's parameters against it, accept only those configured where it is served.
    """
    from connectors import registry

    form = deployment._parameter_openapi_schema.properties
    form["system"]["enum"] = list(systems)
    if "streams" in form:
        choices = {"enum": list(registry.stream_names(list(systems))), "type": "string"}
        for option in [form["streams"], *form["streams"].get("anyOf", [])]:
            if option.get("type") == "array":
                option["items"] = choices
        which = "; ".join(f"{name}: {', '.join(registry.streams(name))}" for name in systems)
        form["streams"]["description"] = f"{form['streams'].get('description', '')} ({which})"
    return deployment


def _schedules(
    setting: str, lines: Iterable[str], timezone: str, parameters: dict | None = None
) -> list[Any]:
    from prefect.schedules import Cron

    schedules = []
    for line in lines:
        try:
            schedules.append(Cron(line, timezone=timezone, parameters=parameters or {}))
        except ValueError as exc:
            raise ValueError(
                f"{setting}: {line!r} is not a cron line ({exc}); e.g. '*/5 7-17 * * 1-6'"
            ) from None
    return schedules


def ensure_concurrency_limits(names: Iterable[str], limit: int) -> list[str]:
    """Create the global concurrency limit of each system that has none; returns those created.

    An existing limit is left as it is: whoever changed it in the UI meant it.
    """
    from prefect import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    created = []
    with get_client(sync_client=True) as client:
        for name in names:
            try:
                client.read_global_concurrency_limit_by_name(name)
                continue
            except ObjectNotFound:
                pass
            # Another serve process starting at the same moment may win the race: that is fine.
            with contextlib.suppress(ObjectAlreadyExists):
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=limit)
                )
                created.append(name)
    return created


def serve_deployments(settings: BridgeSettings | None = None) -> int:
    """Register the deployments with the server at PREFECT_API_URL and run them until stopped."""
    from prefect.settings import PREFECT_API_URL

    from pipelines.systems import configured_systems, known_systems
    from store import database

    settings = settings or load_settings()
    if not PREFECT_API_URL.value():
        print(
            "bridge serve: PREFECT_API_URL is not set. Point it at the Prefect server "
            "(e.g. http://127.0.0.1:4200/api), or start one here with --with-server (make serve).",
            file=sys.stderr,
        )
        return 2
    database.upgrade(settings.effective_database_url)
    if not configured_systems(settings):
        log.warning("no external system is configured: only the health check and the "
                    "on-demand flows are served")  # fmt: skip
    # Limits for every system, configured or not, so that a system configured later on one
    # machine finds its limit already there.
    created = ensure_concurrency_limits(known_systems(), settings.schedules.calls_per_system)
    if created:
        print(f"created concurrency limits {', '.join(created)} "
              f"({settings.schedules.calls_per_system} calls each)")  # fmt: skip
    # Several serve processes may share the deployments: one stopping must not pause the
    # schedules for the others, so schedules stay on at shutdown.
    runner = _runner_class()(pause_on_shutdown=False)
    deployments = build_deployments(settings)
    for deployment in deployments:
        runner.add_deployment(deployment)
    print(f"serving {len(deployments)} deployments; SIGTERM or Ctrl-C stops", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(runner.start())
    return 0


def _runner_class() -> type:
    """Prefect's Runner, stopped in order on SIGTERM.

    Prefect's own SIGTERM handler calls the runner's stop from inside its running event loop,
    where that call only makes a coroutine nobody awaits ("coroutine 'Runner.astop' was never
    awaited"), then exits on the spot. This one schedules the stop on the loop: the poller
    stops, runs in progress are cancelled and reported, and ``start`` returns.
    """
    from prefect.runner import Runner

    class OrderlyRunner(Runner):
        def handle_sigterm(self, *args: Any, **kwargs: Any) -> None:
            self._logger.info("SIGTERM received, stopping")
            if self.started:
                self._stopping_task = asyncio.get_running_loop().create_task(self.astop())

    return OrderlyRunner


# --- make serve: a local Prefect server, then the deployments --------------------------------


class _StopRequested(Exception):
    pass


def run_with_local_server(port: int) -> int:
    """Start `prefect server start` on 127.0.0.1:port, wait for it, serve; stop both in order.

    On Ctrl-C or SIGTERM the serve process stops first (it reports its runs to the server),
    then the server. The children run in their own sessions so that Ctrl-C in a terminal
    reaches only this process, which then stops them in that order.
    """
    if not prefect_api.port_is_free(port):
        print(f"bridge serve: port {port} on 127.0.0.1 is in use; "
              "choose another with BRIDGE_PREFECT_PORT", file=sys.stderr)  # fmt: skip
        return 2
    api_url = f"http://127.0.0.1:{port}/api"
    env = dict(os.environ)
    env.update(
        PREFECT_SERVER_API_HOST="127.0.0.1",
        PREFECT_SERVER_API_PORT=str(port),  # the --port flag does not reach the UI
        PREFECT_API_URL=api_url,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
    )

    def request_stop(signum: int, _frame: object) -> None:
        raise _StopRequested(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = serving = None
    try:
        print(f"starting the Prefect server on {api_url} (PREFECT_HOME={env.get('PREFECT_HOME')})")
        server = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start"], env=env, start_new_session=True
        )
        prefect_api.wait_until_healthy(api_url, server, SERVER_START_TIMEOUT_S)
        print(f"Prefect UI: http://127.0.0.1:{port}  — serving the deployments; Ctrl-C stops")
        serving = subprocess.Popen(
            [sys.executable, "-m", "bridge.serve"], env=env, start_new_session=True
        )
        while serving.poll() is None and server.poll() is None:
            time.sleep(0.5)
        failed = serving.returncode or server.returncode
        print(f"bridge serve: a child exited unexpectedly (status {failed})", file=sys.stderr)
        return 1
    except _StopRequested as stop:
        print(f"{stop}: shutting down", file=sys.stderr)
        return 0
    except RuntimeError as exc:
        print(f"bridge serve: {exc}", file=sys.stderr)
        return 1
    finally:
        # Ignore further signals while stopping: a second Ctrl-C must not orphan the server.
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        prefect_api.stop(serving, "serve process")
        prefect_api.stop(server, "Prefect server")
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bridge.serve", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--with-server",
        action="store_true",
        help="start a local Prefect server on 127.0.0.1 first (BRIDGE_PREFECT_PORT, default 4200)",
    )
    args = parser.parse_args(argv)
    try:
        # A mistake in the settings is said in one line before any server or process starts.
        load_settings()
    except (ValueError, FileNotFoundError) as exc:
        from commands import errors

        return errors.report("serve", exc)
    # Prefect logs the flow runs itself; ours and the libraries' only when something is wrong.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    if args.with_server:
        port = int(os.environ.get("BRIDGE_PREFECT_PORT", DEFAULT_PORT))
        return run_with_local_server(port)
    return serve_deployments()


if __name__ == "__main__":
    sys.exit(main())
