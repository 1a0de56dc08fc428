"""One thread for the whole process that runs actions when their deadlines pass (the total
deadline of each HTTP exchange, ``bodies.deadline_watch``)."""

from __future__ import annotations

import contextlib
import heapq
import threading
import time
from typing import Any


class Watchdog:
    """One thread for the whole process that runs each watch's action when its deadline
    passes. A thread started per request (``threading.Timer``) cost about 0.1 ms of CPU and a
    wait for the thread to start on every exchange; here a watch is a heap entry. A watch
    ended before its deadline is only marked (its action dropped) and leaves the heap when its
    time comes, or when marked entries outnumber live ones."""

    def __init__(self) -> None:
        self._wake = threading.Condition(threading.Lock())
        self._heap: list[list[Any]] = []  # [deadline, sequence, action or None]
        self._sequence = 0
        self._ended = 0
        self._thread: threading.Thread | None = None

    def watch(self, seconds: float, action: Any) -> list[Any]:
        with self._wake:
            self._sequence += 1
            entry = [time.monotonic() + seconds, self._sequence, action]
            if self._ended > 256 and self._ended * 2 > len(self._heap):
                self._heap = [kept for kept in self._heap if kept[2] is not None]
                heapq.heapify(self._heap)
                self._ended = 0
            heapq.heappush(self._heap, entry)
            if self._thread is None or not self._thread.is_alive():  # first use, or a fork
                self._thread = threading.Thread(target=self._run, name="deadline-watchdog",
                                                daemon=True)  # fmt: skip
                self._thread.start()
            elif self._heap[0] is entry:
                self._wake.notify()  # sooner than what the thread is waiting for
        return entry

    def end(self, entry: list[Any]) -> None:
        with self._wake:
            if entry[2] is not None:
                entry[2] = None
                self._ended += 1

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._heap and self._heap[0][2] is None:
                    heapq.heappop(self._heap)
                    self._ended -= 1
                if not self._heap:
                    self._wake.wait()
                    continue
                delay = self._heap[0][0] - time.monotonic()
                if delay > 0:
                    self._wake.wait(delay)
                    continue
                action = heapq.heappop(self._heap)[2]
            with contextlib.suppress(Exception):  # a watch's action never stops the others
                action()
