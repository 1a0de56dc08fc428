"""Run the simulated systems in-process on loopback, for tests, the demo and benchmarks.

    with SimulatorCluster(size=1000, seed=7) as sim:
        requests.post(f"{sim.ioffice_url}/qlvb/api/login", json=sim.ioffice_credentials)
        sim.advance(minutes=60)
        sim.set_faults("ioffice", http_5xx={"rate": 0.1})
        for task in sim.ground_truth("tasks"): ...

Each server is a uvicorn instance in a background thread, bound to 127.0.0.1 on a port the OS
picks. All servers share one world, one clock and one state.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import uvicorn

from simulators import admin, groundtruth, idesk, ioffice, tracking
from simulators.auth import TokenStore
from simulators.clock import SimClock
from simulators.faults import FaultMiddleware, FaultPlan, apply_settings
from simulators.load import LoadMeter
from simulators.state import SimState
from simulators.timeutil import epoch_utc, iso_local, parse_instant
from simulators.world import World, WorldConfig

SERVERS = ("ioffice", "idesk", "tracking")


@dataclass
class SimulatorSettings:
    size: int = 1000
    seed: int = 7
    start: str = "2024-02-01T08:00:00+07:00"
    speed: float = 0.0  # simulated seconds per real second; 0 = moves only when advanced
    history_days: int = 120
    horizon_days: int = 90
    deadlines_as_dates: bool = False  # structured task deadlines held as dates (docs/simulators.md)
    split: bool = False  # iOffice and iDesk hold two agencies' documents (docs/simulators.md)
    token_ttl_seconds: int = 3600  # simulated seconds
    # Simulator-only credentials, printed by the CLI on purpose; they guard nothing real.
    ioffice_username: str = "bridge"
    ioffice_password: str = "sim-ioffice-password"  # noqa: S105
    idesk_username: str = "bridge"
    idesk_password: str = "sim-idesk-password"  # noqa: S105
    tracking_client_id: str = "bridge"
    tracking_client_secret: str = "sim-lgsp-secret"  # noqa: S105
    require_bearer: bool = True
    request_cost_s: int = 0  # simulated seconds every request moves the clock (simulators/load.py)
    faults: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)


class Simulation:
    """The shared world, clock, state, fault plans and the three ASGI apps."""

    def __init__(self, settings: SimulatorSettings) -> None:
        self.settings = settings
        start = parse_instant(settings.start)
        self.world = World(
            WorldConfig(settings.size, settings.seed, start, settings.history_days,
                        settings.horizon_days, settings.deadlines_as_dates)
        )  # fmt: skip
        self.clock = SimClock(start, settings.speed)
        self.state = SimState(self.world, self.clock, settings.split)
        self.plans = {name: FaultPlan(name, settings.seed) for name in SERVERS}
        for server, kinds in settings.faults.items():
            for kind, values in kinds.items():
                apply_settings(self._plan(server), kind, values)
        self.ioffice_tokens = TokenStore(self.clock, settings.token_ttl_seconds)
        self.tracking_tokens = TokenStore(self.clock, settings.token_ttl_seconds)
        admin_routes = admin.routes(self.state, self.plans)
        self.apps = {
            "ioffice": FaultMiddleware(
                ioffice.build_app(
                    self.state, self.plans["ioffice"], self.ioffice_tokens,
                    (settings.ioffice_username, settings.ioffice_password), admin_routes,
                ),
                self.plans["ioffice"], self.ioffice_tokens.expire_all,
            ),
            "idesk": FaultMiddleware(
                idesk.build_app(
                    self.state, self.plans["idesk"],
                    (settings.idesk_username, settings.idesk_password), admin_routes,
                ),
                self.plans["idesk"], lambda: None,
            ),
            "tracking": FaultMiddleware(
                tracking.build_app(
                    self.state, self.plans["tracking"], self.tracking_tokens,
                    (settings.tracking_client_id, settings.tracking_client_secret),
                    settings.require_bearer, admin_routes,
                ),
                self.plans["tracking"], self.tracking_tokens.expire_all,
            ),
        }  # fmt: skip
        # Outermost: a request held by an injected latency counts as in flight.
        self.meters = {
            name: LoadMeter(app, self.clock, settings.request_cost_s)
            for name, app in self.apps.items()
        }
        self.apps = dict(self.meters)

    def _plan(self, server: str) -> FaultPlan:
        if server not in self.plans:
            raise ValueError(f"unknown server {server!r}; servers: {', '.join(SERVERS)}")
        return self.plans[server]

    def set_faults(self, server: str, clear: bool = False, **faults: dict[str, Any]) -> None:
        plan = self._plan(server)
        if clear:
            plan.clear()
        for kind, values in faults.items():
            apply_settings(plan, kind, values)


class _ServerThread:
    def __init__(self, name: str, app) -> None:
        self.name = name
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP,
        # and without it every small answer waits ~40 ms for the client's delayed ACK (Nagle).
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(
            app, log_level="critical", access_log=False, lifespan="off",
            timeout_graceful_shutdown=1,
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, name=f"sim-{name}",
            daemon=True,
        )  # fmt: skip

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the {self.name} simulator did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


class SimulatorCluster:
    """The three simulated systems on loopback; use as a context manager."""

    def __init__(self, settings: SimulatorSettings | None = None, **overrides: Any) -> None:
        self.settings = settings or SimulatorSettings(**overrides)
        self.simulation = Simulation(self.settings)
        self._threads = {
            name: _ServerThread(name, app) for name, app in self.simulation.apps.items()
        }

    def __enter__(self) -> SimulatorCluster:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        started = []
        try:
            for server in self._threads.values():
                server.start()
                started.append(server)
        except BaseException:
            for server in started:
                server.stop()
            raise

    def stop(self) -> None:
        for server in self._threads.values():
            server.stop()

    # -- addresses and credentials ---------------------------------------------------------
    def url(self, server: str) -> str:
        return f"http://127.0.0.1:{self._threads[server].port}"

    @property
    def ioffice_url(self) -> str:
        return self.url("ioffice")

    # Each *_url is the server's root: what a client's base_url is set to (the client adds
    # the API's path, as the bridge's connectors do). The SOAP endpoints themselves:
    # *_endpoint.
    @property
    def idesk_url(self) -> str:
        return self.url("idesk")

    @property
    def tracking_url(self) -> str:
        return self.url("tracking")

    @property
    def idesk_endpoint(self) -> str:
        return self.url("idesk") + idesk.SERVICE_PATH

    @property
    def tracking_endpoint(self) -> str:
        return self.url("tracking") + tracking.SERVICE_PATH

    @property
    def token_url(self) -> str:
        return self.url("tracking") + "/token"

    @property
    def ioffice_credentials(self) -> dict[str, str]:
        s = self.settings
        return {"username": s.ioffice_username, "password": s.ioffice_password}

    @property
    def idesk_credentials(self) -> tuple[str, str]:
        return self.settings.idesk_username, self.settings.idesk_password

    @property
    def tracking_credentials(self) -> dict[str, str]:
        s = self.settings
        return {"client_id": s.tracking_client_id, "client_secret": s.tracking_client_secret}

    def client_settings(self, server: str) -> dict[str, str]:
        """What a client needs to reach ``server``: its address and credentials, under the
        usual names of a client's settings (base_url, username, password; token_url,
        client_id, client_secret for the tracking system behind its token endpoint)."""
        if server == "ioffice":
            return {"base_url": self.ioffice_url, **self.ioffice_credentials}
        if server == "idesk":
            username, password = self.idesk_credentials
            return {"base_url": self.idesk_url, "username": username, "password": password}
        if server == "tracking":
            return {"base_url": self.tracking_url, "token_url": self.token_url,
                    **self.tracking_credentials}  # fmt: skip
        raise KeyError(f"no simulated server {server!r}; servers: {', '.join(SERVERS)}")

    def bridge_environment(self, servers: tuple[str, ...] = SERVERS) -> dict[str, str]:
        """The ``BRIDGE_<SYSTEM>__<SETTING>`` variables pointing a bridge at ``servers``
        (simulator credentials only), in the order a person would write them."""
        return {
            f"BRIDGE_{server.upper()}__{key.upper()}": value
            for server in servers
            for key, value in self.client_settings(server).items()
        }

    # -- control ---------------------------------------------------------------------------
    @property
    def state(self) -> SimState:
        return self.simulation.state

    def now(self) -> str:
        return iso_local(self.simulation.clock.now())

    def advance(
        self, minutes: float = 0, seconds: int = 0, until: str | datetime | None = None
    ) -> str:
        clock = self.simulation.clock
        if until is not None:
            clock.advance_until(
                epoch_utc(until) if isinstance(until, datetime) else parse_instant(until)
            )
        clock.advance(seconds + int(minutes * 60))
        return self.now()

    def set_faults(self, server: str, clear: bool = False, **faults: dict[str, Any]) -> None:
        self.simulation.set_faults(server, clear=clear, **faults)

    def inject(
        self, server: str, stream: str, fields: dict[str, str] | None = None,
        marker: str | None = None,
    ) -> None:  # fmt: skip
        """Queue a hostile record (or page marker) for the next page of ``stream``
        (simulators.faults.FaultPlan.inject says what the values mean)."""
        self.simulation._plan(server).inject(stream, fields, marker)

    def injected(self, server: str) -> list[tuple[str, str]]:
        """(stream, record id) of every record a hostile value was put into, in order."""
        return list(self.simulation._plan(server).injected)

    def set_request_cost(self, seconds: int) -> None:
        """Every request to any server moves the simulated clock ``seconds`` forward."""
        for meter in self.simulation.meters.values():
            meter.cost_s = seconds

    def peak_in_flight(self, server: str) -> int:
        """The most requests ``server`` answered at once since the last ``reset_load``."""
        return self.simulation.meters[server].peak

    def requests_served(self, server: str) -> int:
        return self.simulation.meters[server].requests

    def reset_load(self) -> None:
        for meter in self.simulation.meters.values():
            meter.reset()

    def clear_faults(self) -> None:
        for plan in self.simulation.plans.values():
            plan.clear()

    def ground_truth(self, kind: str) -> Iterator[dict]:
        return groundtruth.iterate(self.simulation.state, kind)

    def describe(self) -> dict[str, str]:
        return {
            "ioffice": self.ioffice_url,
            "idesk": self.idesk_endpoint,
            "tracking": self.tracking_endpoint,
            "token": self.token_url,
        }
