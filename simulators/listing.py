"""One page of a change-ordered listing, with the listing faults applied.

Shared by every server so that REST and SOAP clients meet the same bad days: a malformed
record within a good page, the same record on two pages, a record that changes while the
listing is paged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simulators.cursor import encode_cursor
from simulators.eventindex import unpack
from simulators.faults import FaultPlan
from simulators.state import SimState


@dataclass
class Page:
    records: list[dict]
    next_cursor: str | None
    marker: int | None  # change time of the last record; None when the page is empty
    malformed: int | None  # position in `records` the renderer must corrupt, if any


def list_changes(
    state: SimState,
    plan: FaultPlan,
    stream: str,
    after: int,
    limit: int,
    fetch: Callable[[int, int], dict | None],
    server: str | None = None,
) -> Page:
    with state.lock:
        positions, beyond, now = state.page(stream, after, limit, server)
        records = [fetch(unpack(p)[1], now) for p in positions]
    assert all(r is not None for r in records), "a listed record must exist"
    next_position = positions[-1] if beyond is not None else None
    if beyond is not None and len(positions) >= 2 and plan.fire("duplicate"):
        # Resume one record early: the last record of this page opens the next page too.
        next_position = positions[-2]
    if beyond is not None and plan.fire("shifting"):
        # The record that would open the next page changes now and moves to the end.
        state.bump(stream, unpack(beyond)[1])
    malformed = None
    if records and plan.fire("malformed"):
        malformed = len(records) // 2
    return Page(
        records=records,  # type: ignore[arg-type]
        next_cursor=encode_cursor(next_position) if next_position is not None else None,
        marker=unpack(positions[-1])[0] if positions else None,
        malformed=malformed,
    )
