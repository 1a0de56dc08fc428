"""What the simulated systems hold now: the generated world plus a sparse overlay of changes.

The world (simulators.world) says what happens without the bridge. The overlay records what the
bridge (or a fault) changed: deadlines written into the e-office systems, tracking-system writes,
records bumped mid-listing. The overlay grows with the number of writes, never with the world.

Tracking-system rules implemented here (documented in docs/simulators.md):
* a task with a deadline that the clock has passed with no completion *received* by the deadline
  carries a late mark, marked at the deadline instant;
* a completion received after the deadline never clears the late mark, even when its evidence
  was issued before the deadline: the system judges by when it was told;
* a completion received by the deadline means the task is never marked late.

The deadline rules (held as a date, extensions) live in simulators.deadline_rules.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from simulators import eventindex
from simulators.clock import SimClock
from simulators.deadline_rules import DeadlineRules
from simulators.eventindex import INDEX_MASK, pack, unpack
from simulators.timeutil import add_working_days, local_date, local_midnight
from simulators.world import World
from simulators.writes import SimWrites

STREAMS = ("incoming", "directives", "outgoing", "tasks")


@dataclass
class Overlay:
    """Records of one stream whose change time moved after generation."""

    changed: dict[int, int] = field(default_factory=dict)  # index -> change instant
    ordered: list[int] = field(default_factory=list)  # packed (instant, index), sorted

    def bump(self, index: int, instant: int) -> None:
        previous = self.changed.get(index)
        if previous is not None:
            if previous >= instant:
                instant = previous + 1  # a change always moves the record later
            del self.ordered[bisect_left(self.ordered, pack(previous, index))]
        self.changed[index] = instant
        insort(self.ordered, pack(instant, index))


# With a split world, every third document (index % 3 == 1) belongs to the agency on iDesk and
# the others to the agency on iOffice; each e-office server lists and serves only its own.
SPLIT_SERVERS = ("ioffice", "idesk")


class SimState(DeadlineRules, SimWrites):
    def __init__(self, world: World, clock: SimClock, split: bool = False) -> None:
        self.world = world
        self.clock = clock
        self.split = split
        self.lock = threading.RLock()
        self.indexes: dict[str, array] = eventindex.build_indexes(
            world.total, world.arrival, self._base_events, STREAMS
        )
        self.overlays = {name: Overlay() for name in STREAMS}
        self.deadline_writes: dict[int, dict] = {}  # incoming index -> write
        self.completions: dict[int, dict] = {}  # task index -> completion received via SOAP
        self.progress: dict[int, dict] = {}
        self.extensions: dict[int, list[dict]] = {}
        self.task_writes: dict[int, int] = {}  # task index -> applied writes (revision)
        self.ledger: list[dict] = []
        self.idempotency: dict[tuple[str, str], dict] = {}

    # -- generation ------------------------------------------------------------------------
    def _base_events(self, index: int) -> Iterator[tuple[str, int]]:
        fate = self.world._fate(index)  # not cached: the build visits each document once
        yield "incoming", fate.arrival
        if fate.clerk_deadline_at is not None:
            yield "incoming", fate.clerk_deadline_at
        if fate.directive_at is not None:
            yield "directives", fate.directive_at
        if fate.response_at is not None:
            yield "outgoing", fate.response_at
        if fate.has_task:
            assert fate.task_created_at is not None
            yield "tasks", fate.task_created_at
            if fate.manual_completion_at is not None:
                yield "tasks", fate.manual_completion_at
            limit = self._late_after(fate, fate.deadline)
            manual_in_time = (
                fate.manual_completion_at is not None
                and limit is not None
                and fate.manual_completion_at <= limit
            )
            if limit is not None and not manual_in_time:
                yield "tasks", limit + self._mark_delay(fate)  # the late mark, unless prevented

    # -- change times ----------------------------------------------------------------------
    def change_time(self, stream: str, index: int, now: int) -> int | None:
        """When the record last changed as of `now`; None if it does not exist yet."""
        fate = self.world.fate(index)
        if stream == "incoming":
            base = [fate.arrival, fate.clerk_deadline_at]
        elif stream == "directives":
            base = [fate.directive_at]
        elif stream == "outgoing":
            base = [fate.response_at]
        else:
            if not fate.has_task:
                return None
            mark = self.late_mark(index, now)
            base = [
                fate.task_created_at,
                fate.manual_completion_at,
                mark["marked_at"] if mark else None,
            ]
        seen = [t for t in base if t is not None and t <= now]
        if not seen:
            return None
        overlay = self.overlays[stream].changed.get(index)
        return max(seen) if overlay is None or overlay > now else max(max(seen), overlay)

    def holds(self, server: str, index: int) -> bool:
        """Whether ``server`` holds document ``index`` (every server does, unless split)."""
        if not (0 <= index < self.world.total):
            return False
        if not self.split or server not in SPLIT_SERVERS:
            return True
        return SPLIT_SERVERS[1 if index % 3 == 1 else 0] == server

    def bump(self, stream: str, index: int) -> None:
        """Record a change now (a write, or a fault moving a record mid-listing)."""
        with self.lock:
            self.overlays[stream].bump(index, self.clock.now())

    def iterate_changes(
        self, stream: str, after: int, now: int, server: str | None = None
    ) -> Iterator[int]:
        """Packed (change time, index) positions after `after`, oldest first, up to `now`.

        Base events superseded by a later change of the same record are skipped, so every
        record appears once, at its latest change. With ``server``, only what it holds.
        """
        base = self.indexes[stream]
        ordered = self.overlays[stream].ordered
        limit = pack(now, INDEX_MASK)
        b = bisect_right(base, after)
        o = bisect_right(ordered, after)
        while True:
            next_base = base[b] if b < len(base) else None
            next_overlay = ordered[o] if o < len(ordered) else None
            if next_base is None and next_overlay is None:
                return
            if next_overlay is None or (next_base is not None and next_base <= next_overlay):
                position = next_base
                b += 1
                if position == next_overlay:
                    o += 1
            else:
                position = next_overlay
                o += 1
            assert position is not None
            if position > limit:
                return
            instant, index = unpack(position)
            if server is not None and not self.holds(server, index):
                continue
            if self.change_time(stream, index, now) == instant:
                yield position

    def page(
        self, stream: str, after: int, limit: int, server: str | None = None
    ) -> tuple[list[int], int | None, int]:
        """Up to `limit` positions after `after`, the first position beyond them, and now.

        The cursor a client gets back is the last returned position; the one beyond tells the
        server whether there is more (and lets a fault pick the next record).
        """
        with self.lock:
            now = self.clock.now()
            positions: list[int] = []
            for position in self.iterate_changes(stream, after, now, server):
                if len(positions) == limit:
                    return positions, position, now
                positions.append(position)
            return positions, None, now

    # -- documents -------------------------------------------------------------------------
    def processing_deadline(self, index: int, now: int) -> tuple[str | None, str | None]:
        """(hanXuLy date, who set it) as the e-office system shows it at `now`."""
        write = self.deadline_writes.get(index)
        if write is not None and write["applied_at"] <= now:
            return write["deadline"], "bridge"
        fate = self.world.fate(index)
        if fate.structured_deadline is not None:
            return fate.structured_deadline.isoformat(), "document"
        if fate.clerk_deadline_at is not None and fate.clerk_deadline_at <= now:
            deadline = fate.deadline or add_working_days(fate.arrival, 5)
            return local_date(deadline).isoformat(), "clerk"
        return None, None

    def document(self, index: int, now: int) -> dict | None:
        changed = self.change_time("incoming", index, now) if index < self.world.total else None
        if changed is None:
            return None
        record = self.world.incoming(index)
        record["processing_deadline"], record["deadline_set_by"] = self.processing_deadline(
            index, now
        )
        record["changed_at"] = changed
        return record

    def directive(self, index: int, now: int) -> dict | None:
        if index >= self.world.total or self.world.fate(index).directive_at is None:
            return None
        changed = self.change_time("directives", index, now)
        if changed is None:
            return None
        return {**self.world.directive(index), "changed_at": changed}

    def outgoing(self, index: int, now: int) -> dict | None:
        fate = self.world.fate(index) if index < self.world.total else None
        if fate is None or fate.response_at is None or fate.response_at > now:
            return None
        record = self.world.outgoing(index, self.outgoing_number(index))
        record["changed_at"] = self.change_time("outgoing", index, now)
        return record

    def outgoing_number(self, index: int) -> int:
        """The agency's outgoing register number: rank in issue order within the year."""
        fate = self.world.fate(index)
        assert fate.response_at is not None
        order = self.indexes["outgoing"]
        year_start = local_midnight(date(local_date(fate.response_at).year, 1, 1))
        first = bisect_left(order, pack(year_start, 0))
        earlier = self.world.documents_before_origin(year_start) // 2
        return bisect_left(order, pack(fate.response_at, index)) - first + 1 + earlier

    # -- tracking tasks --------------------------------------------------------------------
    def completion(self, index: int, now: int) -> dict | None:
        """The completion the tracking system has received by `now` (bridge or clerk)."""
        received = self.completions.get(index)
        if received is not None and received["received_at"] <= now:
            return received
        fate = self.world.fate(index)
        if fate.manual_completion_at is not None and fate.manual_completion_at <= now:
            assert fate.response_at is not None
            return {
                "received_at": fate.manual_completion_at,
                "completed_at": fate.response_at,
                "evidence": self._evidence_of_response(index),
                "source": "clerk",
                "key": None,
            }
        return None

    def _evidence_of_response(self, index: int) -> dict:
        out = self.world.outgoing(index, self.outgoing_number(index))
        return {
            "number_notation": out["number_notation"],
            "organ_id": out["organ_id"],
            "issued_at": out["issued_at"],
            "abstract": out["abstract"],
        }

    def completion_received_at(self, index: int, now: int) -> int | None:
        """When the tracking system was first told the task is done (cheap: no rendering)."""
        received = self.completions.get(index)
        if received is not None and received["received_at"] <= now:
            return received["received_at"]
        manual = self.world.fate(index).manual_completion_at
        return manual if manual is not None and manual <= now else None

    def task(self, index: int, now: int) -> dict | None:
        if not (0 <= index < self.world.total):
            return None
        changed = self.change_time("tasks", index, now)
        if changed is None:
            return None
        record = self.world.task(index)
        fate = self.world.fate(index)
        done = self.completion(index, now)
        mark = self.late_mark(index, now)
        progress = self.progress.get(index)
        limit = self.late_after(index, now)
        if done is not None:
            status = "DONE"
            timeliness = (
                "NO_DEADLINE" if limit is None
                else "LATE" if done["received_at"] > limit else "ON_TIME"
            )  # fmt: skip
        else:
            status = "IN_PROGRESS" if progress else "NOT_STARTED"
            timeliness = (
                "NO_DEADLINE" if limit is None
                else "OVERDUE" if now > limit else "WITHIN_DEADLINE"
            )  # fmt: skip
        extended = self.granted(index, now)
        base_changes = sum(
            1
            for t in (fate.task_created_at, fate.manual_completion_at)
            if t is not None and t <= now
        )
        record.update(
            status=status,
            timeliness=timeliness,
            completion=done,
            late_mark=mark,
            progress=progress,
            extensions=[e for e in self.extensions.get(index, []) if e["received_at"] <= now],
            deadline=self.deadline_in_force(index, now),
            original_deadline=fate.deadline if extended else None,
            deadline_is_date=self.deadline_is_date(fate),
            revision=base_changes + (1 if mark else 0) + self.task_writes.get(index, 0),
            changed_at=changed,
        )
        return record

    def meta(self) -> dict[str, Any]:
        return {
            "size": self.world.config.size,
            "seed": self.world.config.seed,
            "total": self.world.total,
            "events": {name: len(array_) for name, array_ in self.indexes.items()},
        }
