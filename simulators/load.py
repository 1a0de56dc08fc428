"""What a load test asks of a simulated server: how many requests it had at once, and what
each one costs on the simulated clock.

``LoadMeter`` wraps a whole server (outside the fault middleware, so a request held by an
injected latency counts as in flight). ``peak`` is the most requests it was answering at the
same moment: a client that says it sends at most N at once can be checked against it.
``cost_s`` moves the simulated clock forward by that many seconds for every request, as if
each took that long: a test measures a client's time budget on the simulated clock, never
on the wall clock.
"""

from __future__ import annotations

import threading

from simulators.clock import SimClock
from simulators.faults import exempt


class LoadMeter:
    def __init__(self, app, clock: SimClock, cost_s: int = 0) -> None:
        self.app = app
        self.clock = clock
        self.cost_s = cost_s
        self._lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.requests = 0

    def reset(self) -> None:
        with self._lock:
            self.peak = self.in_flight
            self.requests = 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or exempt(scope):
            await self.app(scope, receive, send)
            return
        with self._lock:
            self.in_flight += 1
            self.requests += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            if self.cost_s:
                self.clock.advance(self.cost_s)
            await self.app(scope, receive, send)
        finally:
            with self._lock:
                self.in_flight -= 1
