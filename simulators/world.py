"""The seeded world: every document, directive, response and task derived from (seed, index).

Nothing here is stored per document. `fate(i)` decides the facts of document i (when it arrives,
whether it is secret, its deadline, whether and when it is answered) from a private
`random.Random(f"{seed}:{i}")`, and `incoming(i)` / `directive(i)` / `outgoing(i)` / `task(i)`
render the full records from another private generator, so any record can be regenerated on
demand and a world of a million documents costs no more memory than a world of a hundred.
Documents arrive in pairs sharing one timestamp, so clients meet ties in the change order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from simulators import catalog
from simulators.texts import (
    STAMP_STYLES,
    maybe_nfd,
    notation,
    secrecy_field,
    signer,
    stamp,
    stated_deadline,
    vn_date,
)
from simulators.timeutil import (
    DAY,
    END_OF_DAY,
    OfficeTimeline,
    add_working_days,
    last_working_day_before,
    local_date,
    local_midnight,
    next_working_day_on_or_after,
)
from simulators.vietnamese import tcvn3_mojibake

INCOMING_ID_BASE = 1_000_000
DIRECTIVE_ID_BASE = 3_000_000
OUTGOING_ID_BASE = 5_000_000
SECRET_RATE = 0.02
# Of the replies that answer tasks, how many are secret themselves (a secret report answering an
# ordinary request); of the directives on documents that are not tasks, how many are secret.
SECRET_REPLY_RATE = 0.05
SECRET_DIRECTIVE_RATE = 0.15
LEGACY_SHARE = 0.03  # the oldest 3% of documents are archive records; some are TCVN3


def seeded(*parts: object) -> random.Random:
    """A private generator for one record; simulation, not secrecy, hence no CSPRNG."""
    return random.Random(":".join(map(str, parts)))  # noqa: S311


@dataclass(frozen=True)
class WorldConfig:
    size: int = 1000  # documents that have arrived when the clock starts
    seed: int = 7
    start: int = local_midnight(date(2024, 2, 1)) + 8 * 3600  # 2024-02-01T08:00+07:00
    history_days: int = 120  # the `size` documents are spread over this many days before start
    horizon_days: int = 90  # documents keep arriving at the same rate this long after start
    # Deployments whose tracking system keeps a deadline typed from a document's hanXuLy as a
    # date (no hour): such a task is late only from the day after its deadline day.
    deadlines_as_dates: bool = False


@dataclass(frozen=True, slots=True)
class Fate:
    """The facts of one document; everything else about it is decoration."""

    index: int
    arrival: int
    secrecy: str | None
    has_task: bool
    task_class: int | None
    task_created_at: int | None
    structured_deadline: date | None  # hanXuLy present on arrival
    stated_phrase: str | None  # deadline stated in words in the directive
    deadline: int | None  # the tracking system's deadline of the task
    deadline_source: str  # structured | stated | default | none
    directive_at: int | None
    response_at: int | None
    response_outcome: str | None  # before | on | after | never
    reference_mode: str  # id | number | text: how the response names what it answers
    manual_completion_at: int | None  # a clerk updated the tracking system by hand
    clerk_deadline_at: int | None  # a clerk typed hanXuLy into the e-office system later
    main_unit: int
    coordinating_units: tuple[int, ...]
    response_secrecy: str | None = None  # the reply is secret (Mật, Tối mật, Tuyệt mật)
    directive_secrecy: str | None = None  # the leader's directive is secret
    secrecy_style: str = "field"  # how the mark shows: see `stamp`


class World:
    def __init__(self, config: WorldConfig) -> None:
        self.config = config
        first_day = local_date(config.start - config.history_days * DAY)
        self.timeline = OfficeTimeline(first_day - timedelta(days=first_day.weekday()))
        history = self.timeline.from_instant(config.start)
        # Leave the first week empty so the first documents are not all at the origin.
        self._offset = min(history // 10, 5 * 9 * 3600)
        self.step = (history - self._offset) / max(config.size, 1)
        future = self.timeline.from_instant(config.start + config.horizon_days * DAY) - history
        self.total = config.size + int(future / self.step)
        self.fate = lru_cache(maxsize=8192)(self._fate)

    # -- arrival ---------------------------------------------------------------------------
    def arrival(self, index: int) -> int:
        pair = index // 2
        return self.timeline.to_instant(self._offset + int(pair * 2 * self.step))

    def arrived_count(self, instant: int) -> int:
        """How many documents have arrived by `instant` (inclusive)."""
        office = self.timeline.from_instant(instant) - self._offset
        pair = max(int(office // (2 * self.step)) - 1, -1)
        while 2 * (pair + 1) < self.total and self.arrival(2 * (pair + 1)) <= instant:
            pair += 1
        return min(self.total, 2 * (pair + 1))

    # -- facts -----------------------------------------------------------------------------
    def _fate(self, index: int) -> Fate:
        rng = seeded(self.config.seed, index)
        arrival = self.arrival(index)
        secrecy = rng.choice(catalog.SECRECY) if rng.random() < SECRET_RATE else None
        has_task = secrecy is None and rng.random() < 0.55
        main_unit = rng.randrange(len(catalog.UNITS))
        others = [u for u in range(len(catalog.UNITS)) if u != main_unit]
        coordinating = tuple(sorted(rng.sample(others, rng.choice((0, 0, 1, 1, 2, 3)))))
        has_directive = secrecy is None and rng.random() < (0.75 if has_task else 0.15)
        directive_at = arrival + rng.randint(1800, 2 * DAY) if has_directive else None

        task_class = None
        task_created_at = None
        structured = None
        phrase = None
        deadline = None
        source = "none"
        if has_task:
            task_class = rng.choices((1, 2, 3, 4), weights=(60, 25, 10, 5))[0]
            task_created_at = arrival + rng.randint(3600, DAY)
            if task_class <= 2:
                deadline, source, structured, phrase = self._deadline(rng, arrival, has_directive)
        elif rng.random() < 0.2 and secrecy is None:
            # Some documents carry a deadline without becoming a tracked task.
            structured = next_working_day_on_or_after(local_date(arrival) + timedelta(days=7))

        outcome, response_at = self._response(rng, arrival, deadline, has_task)
        manual = None
        if response_at is not None and response_at < self.config.start and rng.random() < 0.7:
            manual = response_at + rng.randint(600, 2 * DAY)
        clerk = None
        if has_task and structured is None and rng.random() < 0.15:
            clerk = arrival + rng.randint(7200, 3 * DAY)
        reference_mode = rng.choices(("id", "number", "text"), weights=(60, 20, 20))[0]
        # Secret replies and directives come from a generator of their own, so every other
        # fact of the world stays what it was.
        extra = seeded(self.config.seed, index, "secrecy")
        response_secrecy = directive_secrecy = None
        if response_at is not None and extra.random() < SECRET_REPLY_RATE:
            response_secrecy = extra.choice(catalog.SECRECY)
            manual = None  # a secret reply is reported through the secret channel, not here
        if directive_at is not None and not has_task and extra.random() < SECRET_DIRECTIVE_RATE:
            directive_secrecy = extra.choice(catalog.SECRECY)
        style = extra.choice(STAMP_STYLES)
        return Fate(
            index, arrival, secrecy, has_task, task_class, task_created_at, structured, phrase,
            deadline, source, directive_at, response_at, outcome, reference_mode, manual, clerk,
            main_unit, coordinating, response_secrecy, directive_secrecy, style,
        )  # fmt: skip

    def _deadline(
        self, rng: random.Random, arrival: int, has_directive: bool
    ) -> tuple[int, str, date | None, str | None]:
        roll = rng.random()
        if roll < 0.35:
            day = local_date(add_working_days(arrival, rng.randint(3, 15)))
            return local_midnight(day) + END_OF_DAY, "structured", day, None
        if roll < 0.75 and has_directive:
            phrase, deadline = stated_deadline(rng, arrival)
            return deadline, "stated", None, phrase
        return add_working_days(arrival, 5), "default", None, None

    def _response(
        self, rng: random.Random, arrival: int, deadline: int | None, has_task: bool
    ) -> tuple[str | None, int | None]:
        if not has_task:
            return None, None
        if deadline is None:
            if rng.random() < 0.7:
                return "no-deadline", add_working_days(arrival, rng.randint(3, 20)) - rng.randint(
                    0, 8 * 3600
                )
            return "never", None
        outcome = rng.choices(("before", "on", "after", "never"), weights=(55, 15, 15, 15))[0]
        deadline_day_start = local_midnight(local_date(deadline)) + 8 * 3600
        if outcome == "before":
            latest = max(arrival + 3600, min(deadline, deadline_day_start) - 3600)
            return outcome, rng.randint(arrival + 3600, latest) if latest > arrival + 3600 else (
                arrival + 3600
            )
        if outcome == "on":
            earliest = max(deadline_day_start, arrival + 600)
            return outcome, rng.randint(min(earliest, deadline), deadline)
        if outcome == "after":
            return outcome, deadline + rng.randint(3600, 8 * DAY)
        return outcome, None

    # -- numbering -------------------------------------------------------------------------
    def issuer_of(self, index: int) -> catalog.Issuer:
        return catalog.ISSUERS[catalog.ISSUER_SLOTS[index % len(catalog.ISSUER_SLOTS)]]

    def _issuer_sequence(self, index: int, issuer_pos: int) -> int:
        """How many documents of this issuer come before `index` in the stream."""
        slots = catalog.ISSUER_SLOTS
        cycles, rest = divmod(index, len(slots))
        weight = catalog.ISSUERS[issuer_pos].weight
        return cycles * weight + sum(1 for s in slots[:rest] if s == issuer_pos)

    def documents_before_origin(self, year_start: int) -> int:
        """Documents the year had already seen before the world's first one (an estimate)."""
        if year_start >= self.timeline.origin:
            return 0
        office_seconds = (self.timeline.origin - year_start) * 5 * 9 / (7 * 24)
        return int(office_seconds / self.step)

    def _year_start(self, instant: int) -> int:
        return local_midnight(date(local_date(instant).year, 1, 1))

    def _number(self, index: int) -> int:
        """Per-issuer number restarting on 1 January (Decree 30)."""
        slots = catalog.ISSUER_SLOTS
        issuer_pos = slots[index % len(slots)]
        year_start = self._year_start(self.arrival(index))
        first_of_year = self.arrived_count(year_start - 1)
        earlier = self.documents_before_origin(year_start) * catalog.ISSUERS[issuer_pos].weight
        return (
            self._issuer_sequence(index, issuer_pos)
            - self._issuer_sequence(first_of_year, issuer_pos)
            + earlier // len(slots)
            + 1
        )

    def incoming_number(self, index: int) -> int:
        """Số đến: the receiving agency's register, also restarting each year."""
        year_start = self._year_start(self.arrival(index))
        return (
            index
            - self.arrived_count(year_start - 1)
            + 1
            + self.documents_before_origin(year_start)
        )

    # -- records ---------------------------------------------------------------------------
    def incoming(self, index: int) -> dict:
        """The incoming document as the e-office systems hold it on arrival (neutral names)."""
        fate = self.fate(index)
        rng = seeded(self.config.seed, index, "text")
        issuer = self.issuer_of(index)
        doc_type = rng.choice(catalog.DOC_TYPES)
        arrival_day = local_date(fate.arrival)
        promulgated = arrival_day
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            candidate = last_working_day_before(promulgated)
            if candidate.year == arrival_day.year:
                promulgated = candidate
        number = self._number(index)
        number_notation = notation(number, doc_type, issuer, promulgated.year, rng)
        subject = rng.choice(catalog.SUBJECTS).format(
            year=promulgated.year, quarter=(promulgated.month - 1) // 3 + 1
        )
        abstract = (
            f"V/v {subject}" if doc_type.abbreviation is None else f"{doc_type.name} {subject}"
        )
        legacy = index < self.total * LEGACY_SHARE and rng.random() < 0.3
        signer_name, position, competence = signer(rng, issuer)
        return {
            "index": index,
            "id": INCOMING_ID_BASE + index,
            "organ_id": issuer.organ_id,
            "issuer_name": maybe_nfd(rng, issuer.name),
            "number": number,
            "number_notation": number_notation,
            "doc_type": doc_type.name,
            "promulgated_on": promulgated.isoformat(),
            "place": "Bình Định",
            "abstract": tcvn3_mojibake(abstract) if legacy else maybe_nfd(rng, abstract),
            "text_encoding": "TCVN3" if legacy else "unicode",
            "signer": maybe_nfd(rng, signer_name),
            "signer_position": position,
            "competence": competence,
            "received_at": fate.arrival,
            "incoming_number": self.incoming_number(index),
            "urgency": rng.choice(catalog.URGENCY),
            "secrecy": fate.secrecy,
            "structured_deadline": (
                fate.structured_deadline.isoformat() if fate.structured_deadline else None
            ),
            "main_unit": catalog.UNITS[fate.main_unit],
            "coordinating_units": [catalog.UNITS[u] for u in fate.coordinating_units],
        }

    def directive(self, index: int) -> dict:
        fate = self.fate(index)
        assert fate.directive_at is not None
        rng = seeded(self.config.seed, index, "directive")
        doc = self.incoming(index)
        main = catalog.UNITS[fate.main_unit]
        coordinating = [catalog.UNITS[u] for u in fate.coordinating_units]
        opener = rng.choice(catalog.DIRECTIVE_OPENERS).format(
            main=main.name,
            coordinators=", ".join(u.name for u in coordinating) or "các đơn vị liên quan",
        )
        content = f"{opener} văn bản số {doc['number_notation']}."
        if fate.stated_phrase:
            content += f" Báo cáo kết quả về Sở {fate.stated_phrase}."
        author, position, _ = signer(rng, catalog.RECEIVING_AGENCY)
        informed = [u for u in catalog.UNITS if u == catalog.UNITS[0] and u != main]
        title = f"Ý kiến chỉ đạo về văn bản số {doc['number_notation']}"
        content = maybe_nfd(rng, content)
        if fate.directive_secrecy:
            title = stamp(title, fate.directive_secrecy, fate.secrecy_style)
            content = f"{content} Đề nghị quản lý theo chế độ văn bản mật."
        return {
            "index": index,
            "id": DIRECTIVE_ID_BASE + index,
            "document_id": doc["id"],
            "document_number_notation": doc["number_notation"],
            "title": title,
            "content": content,
            "secrecy": secrecy_field(fate.directive_secrecy, fate.secrecy_style),
            "created_at": fate.directive_at,
            "author": f"{position.title()} {author}",
            "main_unit": main,
            "coordinating_units": coordinating,
            "informed_units": informed,
        }

    def outgoing(self, index: int, number: int) -> dict:
        """The response answering document `index`; `number` comes from the outgoing register."""
        fate = self.fate(index)
        assert fate.response_at is not None
        rng = seeded(self.config.seed, index, "outgoing")
        doc = self.incoming(index)
        unit = catalog.UNITS[fate.main_unit]
        agency = catalog.RECEIVING_AGENCY
        issued_on = local_date(fate.response_at)
        answered = (
            f"văn bản số {doc['number_notation']} ngày "
            f"{vn_date(date.fromisoformat(doc['promulgated_on']))} của {doc['issuer_name']}"
        )
        signer_name, position, competence = signer(rng, agency)
        return {
            "index": index,
            "id": OUTGOING_ID_BASE + index,
            "number_notation": f"{number:02d}/{agency.abbreviation}-{unit.abbreviation}",
            "doc_type": "Công văn",
            "organ_id": agency.organ_id,
            "issued_on": issued_on.isoformat(),
            "issued_at": fate.response_at,
            "abstract": stamp(f"V/v phúc đáp {answered}", fate.response_secrecy, fate.secrecy_style)
            if fate.response_secrecy
            else f"V/v phúc đáp {answered}",
            "secrecy": secrecy_field(fate.response_secrecy, fate.secrecy_style),
            "signer": signer_name,
            "signer_position": position,
            "competence": competence,
            "drafting_unit": unit,
            # How the answer names what it answers varies (docs/domain.md §5).
            "replies_to_id": doc["id"] if fate.reference_mode == "id" else None,
            "replies_to_number_notation": (
                doc["number_notation"] if fate.reference_mode in ("id", "number") else None
            ),
        }

    def task_id(self, index: int) -> str:
        return f"NV{local_date(self.arrival(index)).year}-{index:07d}"

    def task_index(self, task_id: str) -> int | None:
        try:
            index = int(task_id.split("-", 1)[1])
        except (IndexError, ValueError):
            return None
        if 0 <= index < self.total and self.fate(index).has_task and self.task_id(index) == task_id:
            return index
        return None

    def task(self, index: int) -> dict:
        """The task as the tracking system created it (state adds status and history)."""
        fate = self.fate(index)
        assert fate.has_task
        doc = self.incoming(index)
        assigning = self.directive(index)["content"] if fate.directive_at else doc["abstract"]
        return {
            "index": index,
            "id": self.task_id(index),
            "title": f"Thực hiện văn bản số {doc['number_notation']}",
            "source": doc,
            "assigning_text": assigning,
            "lead_unit": catalog.UNITS[fate.main_unit],
            "coordinating_units": [catalog.UNITS[u] for u in fate.coordinating_units],
            "monitoring_unit": catalog.MONITORING_UNIT,
            "deadline": fate.deadline,
            "task_class": fate.task_class,
            "created_at": fate.task_created_at,
        }
