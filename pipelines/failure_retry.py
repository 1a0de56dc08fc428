"""Retrying open failures: which ones (every one, a system's, some ids, a time range) and what
became of each, said truthfully. Called by `bridge failures --retry` and the retry-failures
flow alike; knows nothing of Prefect.

* A dead outbox row is queued again with a fresh set of attempts: *queued*, sent by the next
  push (every sync ends with one, or `bridge push`).
* A dead letter is read again from its system, one record by its id, through the same ingest
  as every sync. Ingest resolves a letter only when its record was read cleanly, so the letter
  is *resolved* only after that re-read succeeded; a record rejected again, or that could not
  be fetched, is *still failing* and stays open with its count raised.
* A dead letter of stream ``calendar`` (an item whose deadline needs a year without calendar
  data) is retried by reconciling again, which closes it once the year's file is there.
* What cannot be retried from here is *not retried*, with what to do instead: a task answered
  by a secret document (report through the secret channel), a record without an id (its
  content hash stands in) or of a stream its system cannot read one by one (resync a range).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from pipelines import orchestration, sync, systems
from store import operations, queries
from store.queries import CALENDAR_STREAM, Failure

QUEUED = "queued"
RESOLVED = "resolved"
STILL_FAILING = "still_failing"
NOT_RETRIED = "not_retried"

_TAG = re.compile(r"[LOS][0-9]+")


class ChoiceError(ValueError):
    """The choice names no open failure, or is not a choice at all."""


def parse_tags(values: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"all"`` (or nothing) → () meaning every one; ``"L2,O142"`` or ``["L2", "o142"]`` →
    the tags, upper case, each checked."""
    if values is None:
        return ()
    text = values if isinstance(values, str) else ",".join(values)
    tokens = [t.strip().upper() for t in re.split(r"[,\s]+", text) if t.strip()]
    if tokens in ([], ["ALL"]):
        return ()
    wrong = [t for t in tokens if not _TAG.fullmatch(t)]
    if wrong:
        raise ChoiceError(
            f"{', '.join(wrong)}: a failure is L<id> (dead letter), O<id> (outbox) or S<id> "
            "(secret answer), e.g. L2,O142; or all"
        )
    return tuple(dict.fromkeys(tokens))


@dataclass(frozen=True)
class Choice:
    """Which open failures: the tags, else every one (but secret answers, which no retry can
    fix), narrowed to one system and to those opened between two local dates (inclusive)."""

    tags: tuple[str, ...] = ()
    system: str | None = None
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_form(
        cls,
        which: str,
        system: str | None = None,
        ids: Sequence[str] | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> Choice:
        """The retry-failures form: ``which`` (all, system, ids, time_range) says what to
        retry; the fields it needs must be there, the others are not read."""
        if which == "all":
            return cls()
        if which == "system":
            if not system:
                raise ChoiceError("which=system needs a system")
            return cls(system=system)
        if which == "ids":
            tags = parse_tags(ids)
            if not tags:
                raise ChoiceError("which=ids needs the failures' ids, e.g. L12, O142")
            return cls(tags=tags)
        if which == "time_range":
            if since is None and until is None:
                raise ChoiceError("which=time_range needs since, until or both")
            return cls(system=system, since=since, until=until)
        raise ChoiceError(f"which is all, system, ids or time_range, not {which!r}")

    def pick(
        self, failures: Sequence[Failure], timezone: str, *, listing: bool = False
    ) -> list[Failure]:
        """The chosen ones; ``ChoiceError`` for a tag that names no open failure. A listing
        keeps the secret answers a retry leaves out unless named."""
        if self.since and self.until and self.since > self.until:
            raise ChoiceError(f"since {self.since} is after until {self.until}")
        by_tag = {f.tag: f for f in failures}
        unknown = [tag for tag in self.tags if tag not in by_tag]
        if unknown:
            raise ChoiceError(f"no open failure {', '.join(unknown)} (see `bridge failures`)")
        chosen = (
            [by_tag[tag] for tag in self.tags]
            if self.tags
            else [f for f in failures if listing or f.kind != "secret_answer"]
        )
        zone = ZoneInfo(timezone)
        return [
            f for f in chosen
            if (self.system is None or f.system == self.system)
            and _within(_opened(f).astimezone(zone).date(), self.since, self.until)
        ]  # fmt: skip


def _opened(failure: Failure) -> datetime:
    return failure.since or failure.last_seen


def _within(day: date, since: date | None, until: date | None) -> bool:
    return (since is None or day >= since) and (until is None or day <= until)


@dataclass(frozen=True)
class Retried:
    """What became of one chosen failure; ``detail`` is English, technical (CLI and logs)."""

    failure: Failure
    outcome: str  # QUEUED | RESOLVED | STILL_FAILING | NOT_RETRIED
    detail: str


@dataclass
class RetryOutcome:
    chosen: list[Failure] = field(default_factory=list)
    retried: list[Retried] = field(default_factory=list)
    open: list[Failure] = field(default_factory=list)  # every open failure afterwards

    @property
    def still_open(self) -> list[Retried]:
        return [r for r in self.retried if r.outcome in (STILL_FAILING, NOT_RETRIED)]

    def counts(self) -> dict[str, int]:
        found = dict.fromkeys((QUEUED, RESOLVED, STILL_FAILING, NOT_RETRIED), 0)
        for r in self.retried:
            found[r.outcome] += 1
        return found

    def summary(self) -> str:
        """One English line: how many of each outcome, and the ones still open by tag."""
        c = self.counts()
        line = (
            f"{len(self.chosen)} chosen: {c[QUEUED]} queued again, {c[RESOLVED]} read again and "
            f"resolved, {c[STILL_FAILING]} still failing, {c[NOT_RETRIED]} not retried"
        )
        if self.still_open:
            line += " (" + ", ".join(r.failure.tag for r in self.still_open[:20]) + ")"
        return line


def retry_run(run: orchestration.Run, choice: Choice, now: datetime | None = None) -> RetryOutcome:
    """Retry the open failures ``choice`` picks; each one's outcome, read back from the store."""
    now = now or datetime.now(UTC)
    outcome = RetryOutcome(chosen=choice.pick(operations.open_failures(run.engine),
                                              run.settings.timezone))  # fmt: skip
    verdicts: dict[str, Retried] = {}
    letters: dict[tuple[str, str], list[Failure]] = defaultdict(list)
    calendar: list[Failure] = []
    configured = set(systems.configured_systems(run.settings))
    for f in outcome.chosen:
        if f.kind == "outbox":
            queued = queries.retry_dead_outbox(run.engine, f.id, now)
            verdicts[f.tag] = Retried(f, QUEUED, "queued again; the next push sends it") if queued \
                else Retried(f, NOT_RETRIED, "no longer dead (another run retried it)")  # fmt: skip
        elif f.kind == "secret_answer":
            verdicts[f.tag] = Retried(f, NOT_RETRIED, "answer is secret: report through the "
                                      "secret channel; nothing to retry")  # fmt: skip
        elif f.stream == CALENDAR_STREAM:
            calendar.append(f)
        elif f.source_id.startswith("sha256:"):
            verdicts[f.tag] = Retried(f, NOT_RETRIED, _resync_hint(f, "the record had no id"))
        elif f.system not in configured:
            verdicts[f.tag] = Retried(f, NOT_RETRIED, f"{f.system} is not configured")
        else:
            letters[(f.system, f.stream)].append(f)
    unreachable = _reread(run, letters, verdicts)
    if calendar:
        orchestration.reconcile_step(run, now)  # closes each one whose year is there now
    outcome.open = operations.open_failures(run.engine)
    still = {f.tag: f for f in outcome.open}
    for f in [f for group in letters.values() for f in group] + calendar:
        if f.tag in verdicts:
            continue
        if f.tag not in still:
            verdicts[f.tag] = Retried(f, RESOLVED, "read again, resolved")
            continue
        why = unreachable.get(f.tag) or f"rejected again: {still[f.tag].reason}"
        verdicts[f.tag] = Retried(f, STILL_FAILING, why)
    outcome.retried = [verdicts[f.tag] for f in outcome.chosen]
    for r in outcome.retried:
        level = run.log.warning if r.outcome in (STILL_FAILING, NOT_RETRIED) else run.log.info
        level("retry %s %s: %s: %s", r.failure.tag, r.failure.where, r.outcome, r.detail)
    return outcome


def _reread(
    run: orchestration.Run,
    letters: dict[tuple[str, str], list[Failure]],
    verdicts: dict[str, Retried],
) -> dict[str, str]:
    """Read each chosen dead letter's record again, a system at a time inside its call slot;
    the tags whose record could not be fetched, with the error."""
    if not letters:
        return {}
    catalog = sync.Catalog.load()
    unreachable: dict[str, str] = {}
    for (system, stream), group in letters.items():
        try:
            connector = systems.build_connector(run.settings, system)
            if stream not in connector.capabilities.read_one:
                for f in group:
                    verdicts[f.tag] = Retried(f, NOT_RETRIED, _resync_hint(
                        f, f"{system} cannot read {stream} records one by one"))  # fmt: skip
                continue
            with run.limit([system]):
                _, errors = sync.reread_records(
                    run.engine, connector, catalog, stream, [f.source_id for f in group]
                )
        except Exception as exc:  # the system down, a mapping missing: these stay open
            errors = {f.source_id: f"{exc.__class__.__name__}: {exc}" for f in group}
        unreachable.update({f.tag: errors[f.source_id] for f in group if f.source_id in errors})
    return unreachable


def _resync_hint(failure: Failure, why: str) -> str:
    return (
        f"{why}: read the range it changed in again, e.g. bridge resync --system "
        f"{failure.system} --stream {failure.stream} --since <a date before it changed>"
    )
