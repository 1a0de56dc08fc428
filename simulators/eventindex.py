"""Change-ordered indexes over the generated world, 8 bytes per event.

Each listing (incoming, directives, outgoing, tasks) is ordered by (change time, record index).
An event is packed into one int, `time << 24 | index`, and kept in a sorted `array('q')`; a
position in a listing is just such an int, so a cursor is a number and a page is a bisect.
The arrays are filled in one streaming pass over the documents: every event of document i
happens at or after its arrival, and arrivals never decrease, so a heap holding only the events
still ahead of the current arrival is enough to emit them in order.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Callable, Iterable

INDEX_BITS = 24
INDEX_MASK = (1 << INDEX_BITS) - 1
MAX_INDEX = INDEX_MASK


def pack(instant: int, index: int) -> int:
    return (instant << INDEX_BITS) | index


def unpack(position: int) -> tuple[int, int]:
    return position >> INDEX_BITS, position & INDEX_MASK


def build_indexes(
    total: int,
    arrival: Callable[[int], int],
    events_of: Callable[[int], Iterable[tuple[str, int]]],
    streams: Iterable[str],
) -> dict[str, array]:
    """One pass over documents 0..total-1; `events_of(i)` yields (stream, instant) pairs."""
    if total > MAX_INDEX:
        raise ValueError(f"a world holds at most {MAX_INDEX} documents")
    out = {name: array("q") for name in streams}
    pending: dict[str, list[int]] = {name: [] for name in out}
    for index in range(total):
        floor = pack(arrival(index), 0)
        for name, heap in pending.items():
            while heap and heap[0] < floor:
                out[name].append(heapq.heappop(heap))
        for name, instant in events_of(index):
            heapq.heappush(pending[name], pack(instant, index))
    for name, heap in pending.items():
        while heap:
            out[name].append(heapq.heappop(heap))
    return out
