"""Start and stop the processes the bench talks to: the replay server, the simulators.

Each runs in a process of its own, so the client measured never shares an interpreter lock
with the server answering it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


class Process:
    """A child process that prints one line when ready; stopped with its own pid only."""

    def __init__(self, args: list[str]) -> None:
        env = {**os.environ, "PYTHONPATH": _root() + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.process = subprocess.Popen(
            [sys.executable, *args], stdout=subprocess.PIPE, text=True, env=env
        )
        self.ready = (self.process.stdout.readline() if self.process.stdout else "").strip()
        if not self.ready:
            self.stop()
            raise RuntimeError(f"{' '.join(args[:3])} did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _root() -> str:
    return str(Path(__file__).resolve().parent.parent)


class ReplayServer(Process):
    def __init__(self, directory: Path, pages: int | None = None) -> None:
        extra = ["--pages", str(pages)] if pages else []
        super().__init__(["-m", "bench.replay", "serve", str(directory), *extra])
        self.url = f"http://127.0.0.1:{int(self.ready.split()[1])}"

    @property
    def soap_address(self) -> str:
        from bench.replay import SOAP_PATH

        return self.url + SOAP_PATH


class Simulators(Process):
    """The three simulators in one process of their own (clock still, speed 0)."""

    def __init__(self, documents: int) -> None:
        super().__init__(["-m", "bench.servers", str(documents)])
        self.settings: dict[str, Any] = json.loads(self.ready)


def _serve_simulators(documents: int) -> None:
    import signal
    import threading

    from simulators.harness import SimulatorCluster

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with SimulatorCluster(size=documents, seed=7, speed=0.0) as sim:
        settings = {name: sim.client_settings(name) for name in ("ioffice", "idesk", "tracking")}
        settings["admin"] = sim.ioffice_url + "/admin"
        print(json.dumps(settings), flush=True)
        stop.wait()


if __name__ == "__main__":
    _serve_simulators(int(sys.argv[1]))
