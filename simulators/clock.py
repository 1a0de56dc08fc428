"""The simulated clock every server reads. It only moves forward.

It moves on its own at `speed` simulated seconds per real second (0 = frozen, the default for
tests) and jumps when an admin call advances it. Everything the world does over time is a pure
function of the clock's value, so advancing needs no background work.
"""

from __future__ import annotations

import threading
import time


class SimClock:
    def __init__(self, start: int, speed: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._base = start
        self._speed = speed
        self._real_anchor = time.monotonic()

    def now(self) -> int:
        with self._lock:
            return self._now_locked()

    def _now_locked(self) -> int:
        return self._base + int((time.monotonic() - self._real_anchor) * self._speed)

    def advance(self, seconds: int) -> int:
        if seconds < 0:
            raise ValueError("the simulated clock never goes back")
        with self._lock:
            self._rebase()
            self._base += seconds
            return self._base

    def advance_until(self, instant: int) -> int:
        with self._lock:
            self._rebase()
            if instant < self._base:
                raise ValueError("the simulated clock never goes back")
            self._base = instant
            return self._base

    def set_speed(self, speed: float) -> None:
        with self._lock:
            self._rebase()
            self._speed = speed

    @property
    def speed(self) -> float:
        return self._speed

    def _rebase(self) -> None:
        self._base = self._now_locked()
        self._real_anchor = time.monotonic()
