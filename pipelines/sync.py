"""Sync and resync of whole systems: connectors + mappings + ingest, one run per stream.

``sync_system`` is the scheduled job: every stream of a system from its cursor. ``resync`` is
the on-demand repair (a time range, or a list of source ids) and runs the same ingest path
without moving the live cursor (docs/design.md, "One transaction per page"). ``reread_rejected``
gives rejected records a second read, so a page corrupted in transit heals by itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from connectors import registry
from connectors.http import ConnectorError, RawPage
from mappings.loader import StreamMapping, load_mappings
from mappings.units import UnitTable, load_unit_table
from pipelines import ingest
from pipelines.ingest import BadMarker, RunCounts, parse_marker
from pipelines.systems import Connector
from store import queries

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Catalog:
    """The validated mapping files and unit table, loaded once per process."""

    mappings: dict[tuple[str, str], StreamMapping]
    units: UnitTable

    @classmethod
    def load(cls) -> Catalog:
        """The packaged mapping files and those of every system registered from outside."""
        return cls(load_mappings(extra_dirs=registry.mapping_dirs()), load_unit_table())

    def streams_of(self, system: str) -> list[str]:
        return [stream for (name, stream) in self.mappings if name == system]

    def mapping(self, system: str, stream: str) -> StreamMapping:
        try:
            return self.mappings[(system, stream)]
        except KeyError:
            known = ", ".join(self.streams_of(system)) or "none"
            raise ValueError(
                f"no mapping file for {system}/{stream} (streams of {system}: {known})"
            ) from None


Progress = Callable[[str, RunCounts], None]


def sync_system(
    engine: Engine,
    connector: Connector,
    catalog: Catalog,
    *,
    streams: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> dict[str, RunCounts]:
    """Every stream of one system, each from its stored cursor minus the overlap."""
    results: dict[str, RunCounts] = {}
    for stream in streams or catalog.streams_of(connector.system):
        mapping = catalog.mapping(connector.system, stream)
        results[stream] = ingest.run_stream(
            engine,
            lambda marker, s=stream: connector.list_changed(s, marker),
            mapping,
            catalog.units,
            progress=(lambda counts, s=stream: progress(s, counts)) if progress else None,
        )
    return results


def resync(
    engine: Engine,
    connector: Connector,
    catalog: Catalog,
    *,
    stream: str,
    since: str | None = None,
    until: str | None = None,
    ids: Sequence[str] | None = None,
    progress: Progress | None = None,
    dry_run: bool = False,
) -> RunCounts:
    """Read a range or a list of records again; the live cursor does not move. A ``dry_run``
    counts what would change and writes nothing."""
    mapping = catalog.mapping(connector.system, stream)
    if ids:

        def fetch(_marker: str | None) -> Iterable[RawPage]:
            return [RawPage([fetch_one(connector, stream, source_id) for source_id in ids])]

    else:

        def fetch(_marker: str | None) -> Iterable[RawPage]:
            return _until(connector.list_changed(stream, since), until)

    return ingest.run_stream(
        engine,
        fetch,
        mapping,
        catalog.units,
        kind="resync",
        resync_since=since,
        move_cursor=False,
        progress=(lambda counts: progress(stream, counts)) if progress else None,
        dry_run=dry_run,
    )


def reread_rejected(
    engine: Engine, connector: Connector, catalog: Catalog, *, limit: int = 100
) -> dict[str, RunCounts]:
    """Read again, one by one, the records rejected earlier (oldest first, at most ``limit``
    per stream). A page corrupted on the way heals here without anyone's help; a record that
    is really wrong is rejected again and stays in `bridge failures` with its count raised.
    The live cursor does not move."""
    results: dict[str, RunCounts] = {}
    for stream in catalog.streams_of(connector.system):
        if stream not in connector.capabilities.read_one:
            continue  # no single-record read for this stream: a resync of a range repairs it
        ids = queries.open_dead_letter_ids(engine, connector.system, stream, limit)
        if ids:
            results[stream], _ = reread_records(engine, connector, catalog, stream, ids)
    return results


def reread_records(
    engine: Engine, connector: Connector, catalog: Catalog, stream: str, ids: Sequence[str]
) -> tuple[RunCounts, dict[str, str]]:
    """Read these records of ``stream`` again one by one and ingest them (the live cursor does
    not move): a record read cleanly resolves its open dead letter, one rejected again raises
    its count. Returns the counts and, per id that could not be fetched, the error."""
    unreachable: dict[str, str] = {}

    def fetch(_marker: str | None) -> list[RawPage]:
        records = []
        for source_id in ids:
            try:
                records.append(fetch_one(connector, stream, source_id))
            except ConnectorError as exc:
                unreachable[source_id] = str(exc)
                log.warning("re-reading %s/%s %s failed: %s", connector.system, stream,
                            source_id, exc)  # fmt: skip
        return [RawPage(records)]

    counts = ingest.run_stream(
        engine, fetch, catalog.mapping(connector.system, stream), catalog.units,
        kind="reread", move_cursor=False,
    )  # fmt: skip
    return counts, unreachable


def fetch_one(connector: Connector, stream: str, source_id: str) -> dict:
    """One record by its id; ``ValueError`` for a stream the system cannot read one by one."""
    if stream not in connector.capabilities.read_one:
        raise ValueError(
            f"{connector.system} reads single records of "
            f"{', '.join(sorted(connector.capabilities.read_one)) or 'no stream'} only, "
            f"not {stream!r}"
        )
    return connector.read_one(stream, source_id)


def _until(pages: Iterable[RawPage], until: str | None) -> Iterator[RawPage]:
    """Pages up to and including the one that passes ``until`` (records are change-ordered)."""
    limit = parse_marker(until)
    for page in pages:
        yield page
        try:
            marker = parse_marker(page.marker)
        except BadMarker:
            continue  # ingest keeps the page and records the marker; the next page decides
        if limit is not None and marker is not None and marker > limit:
            return
