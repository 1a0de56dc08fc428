"""The process's one deadline thread: each watch's action runs once its deadline passes, an
ended watch's never, a sooner deadline is not held up behind a later one."""

from __future__ import annotations

import threading
import time

from connectors.watchdog import Watchdog


def test_an_action_runs_when_its_deadline_passes_and_an_ended_watch_never_runs():
    watchdog = Watchdog()
    fired: list[str] = []
    done = threading.Event()
    late = watchdog.watch(5.0, lambda: fired.append("late"))
    ended = watchdog.watch(0.05, lambda: fired.append("ended"))
    watchdog.end(ended)
    # Sooner than the one the thread already waits for: it must be woken, not wait 5 s.
    watchdog.watch(0.1, lambda: (fired.append("soon"), done.set()))
    assert done.wait(3.0)
    time.sleep(0.1)
    assert fired == ["soon"]
    watchdog.end(late)


def test_many_ended_watches_are_dropped_and_a_failing_action_stops_no_other():
    watchdog = Watchdog()
    for _ in range(2000):
        watchdog.end(watchdog.watch(60.0, lambda: None))
    assert len(watchdog._heap) < 600  # ended entries do not pile up until their deadline
    done = threading.Event()
    watchdog.watch(0.01, lambda: 1 / 0)
    watchdog.watch(0.02, done.set)
    assert done.wait(3.0)
