"""`python -m simulators` (and `bridge simulate`): run the simulated systems until Ctrl-C.

Everything printed is a shell comment or an ``export BRIDGE_...`` line, so the whole output
can be pasted into a shell to point a bridge at the simulators.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import threading
from typing import Any

from simulators.faults import FAULT_KINDS, parse_fault_option
from simulators.harness import SERVERS, SimulatorCluster, SimulatorSettings


def build_parser() -> argparse.ArgumentParser:
    kinds = ", ".join(FAULT_KINDS)
    parser = argparse.ArgumentParser(
        prog="python -m simulators",
        description="Simulated iOffice (REST), iDesk (SOAP) and task tracking (SOAP + LGSP "
        "token) servers on loopback, sharing one seeded world and one simulated clock.",
    )
    parser.add_argument("--size", type=int, default=1000, help="documents at the clock start")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", default="2024-02-01T08:00:00+07:00", help="clock start")
    parser.add_argument(
        "--speed", type=float, default=60.0,
        help="simulated seconds per real second (0: the clock moves only via /admin)",
    )  # fmt: skip
    parser.add_argument(
        "--fault", action="append", default=[], metavar="SERVER:KIND=SPEC",
        help=f"e.g. ioffice:http_5xx=0.1 or tracking:timeout=next2,seconds=5; kinds: {kinds}",
    )  # fmt: skip
    parser.add_argument(
        "--no-bearer", action="store_true", help="do not require the LGSP bearer token"
    )
    parser.add_argument(
        "--deadlines-as-dates", action="store_true",
        help="the tracking system keeps deadlines typed from hanXuLy as dates (late next day)",
    )  # fmt: skip
    parser.add_argument(
        "--split", action="store_true",
        help="iOffice and iDesk hold two agencies' documents (every third on iDesk), not the same",
    )  # fmt: skip
    return parser


def settings_from(args: argparse.Namespace) -> SimulatorSettings:
    faults: dict[str, dict[str, dict[str, Any]]] = {}
    for option in args.fault:
        server, kind, values = parse_fault_option(option)
        if server not in SERVERS:
            raise ValueError(f"--fault {option}: unknown server {server!r}")
        faults.setdefault(server, {})[kind] = values
    return SimulatorSettings(
        size=args.size, seed=args.seed, start=args.start, speed=args.speed,
        require_bearer=not args.no_bearer, faults=faults,
        deadlines_as_dates=args.deadlines_as_dates, split=args.split,
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = settings_from(args)
    except ValueError as exc:
        parser.error(str(exc))
    print(
        f"# Generating a world of {settings.size} documents (seed {settings.seed})...", flush=True
    )
    stop = threading.Event()
    cluster = SimulatorCluster(settings)
    cluster.start()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        print(describe(cluster), flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        signal.signal(signal.SIGINT, previous)
        print("# Stopping the simulators...", flush=True)
        cluster.stop()
    return 0


def describe(cluster: SimulatorCluster) -> str:
    """What is running, as lines a shell can take whole: comments, then one ``export`` per
    setting a bridge needs to reach the simulators (base URLs are service roots, as in the
    bridge's settings), so ``bridge check`` works right after pasting them."""
    s = cluster.settings
    exports = [
        f"export {name}={shlex.quote(value)}"
        for name, value in cluster.bridge_environment().items()
    ]
    return "\n".join(
        [
            f"# Simulated clock: {cluster.now()} (speed {s.speed:g} simulated s per real s)",
            f"# iOffice REST  {cluster.ioffice_url}/qlvb/api",
            f"# iDesk SOAP    {cluster.idesk_endpoint}   (?wsdl)",
            f"# Tracking SOAP {cluster.tracking_endpoint}   (?wsdl)",
            f"# LGSP token    {cluster.token_url}"
            + ("" if s.require_bearer else "   (bearer not required)"),
            f"# Admin         {cluster.ioffice_url}/admin/clock | /admin/clock/advance | "
            "/admin/ground-truth?kind=... | /admin/faults | /admin/tracking/grant-extension"
            "  (on every server)",
            "# Settings for the bridge (simulator credentials only); paste them into a shell,",
            "# then run e.g. `bridge check`:",
            *exports,
            "# Ctrl-C stops.",
        ]
    )
