"""The generated world: deterministic, Decree 30-shaped, with the text and deadline quirks."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import date

import pytest

from simulators.timeutil import iso_local, local_date, parse_instant
from simulators.vietnamese import tcvn3_mojibake
from simulators.world import World, WorldConfig

NOTATION = re.compile(
    r"^(\d{2,})/(?:(\d{4})/)?([A-ZĐa-z]+)-([A-ZĐa-z]+)$"
)  # 07/QĐ-STTTT, 1866/SXD-VP, 54/2023/QĐ-UBND


@pytest.fixture(scope="module")
def world() -> World:
    return World(WorldConfig(size=4000, seed=3))


def test_the_same_seed_gives_the_same_world_and_another_seed_another() -> None:
    one, again, other = (World(WorldConfig(size=200, seed=s)) for s in (5, 5, 6))
    assert [one.incoming(i) for i in range(50)] == [again.incoming(i) for i in range(50)]
    assert [one.incoming(i)["abstract"] for i in range(50)] != [
        other.incoming(i)["abstract"] for i in range(50)
    ]


def test_numbers_and_notations_follow_decree_30(world: World) -> None:
    docs = [world.incoming(i) for i in range(world.total)]
    for doc in docs:
        match = NOTATION.match(doc["number_notation"])
        assert match, doc["number_notation"]
        if match.group(2):  # legal documents carry the year of promulgation
            assert match.group(2) == doc["promulgated_on"][:4]
    # Numbers restart on 1 January and are unique per issuer within a year.
    keys = Counter((d["organ_id"], d["promulgated_on"][:4], d["number"]) for d in docs)
    assert max(keys.values()) == 1
    january = [d["number"] for d in docs if d["promulgated_on"].startswith("2024-01")]
    december = [d["number"] for d in docs if d["promulgated_on"].startswith("2023-12")]
    assert min(january) == 1 and min(january) < min(december)
    assert any(d["number_notation"].startswith("0") for d in docs)  # "07/..." leading zero


def test_metadata_is_complete_and_dates_are_working_days_mostly(world: World) -> None:
    docs = [world.incoming(i) for i in range(world.total)]
    weekdays = sum(date.fromisoformat(d["promulgated_on"]).weekday() < 5 for d in docs)
    assert weekdays / len(docs) > 0.9
    assert all(re.fullmatch(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}", d["organ_id"]) for d in docs)
    deputies = [d for d in docs if d["competence"]]
    assert deputies and all(d["competence"].startswith("KT. ") for d in deputies)
    assert all(d["signer_position"].startswith("PHÓ ") for d in deputies)


def test_about_two_percent_are_secret_and_have_no_task(world: World) -> None:
    fates = [world.fate(i) for i in range(world.total)]
    secret = [f for f in fates if f.secrecy]
    assert 0.01 < len(secret) / len(fates) < 0.03
    assert {f.secrecy for f in secret} <= {"Mật", "Tối mật", "Tuyệt mật"}
    assert not any(f.has_task or f.directive_at for f in secret)


def test_some_text_is_nfd_and_some_archive_records_are_tcvn3(world: World) -> None:
    abstracts = [world.incoming(i)["abstract"] for i in range(world.total)]
    nfd = [a for a in abstracts if unicodedata.is_normalized("NFC", a) is False]
    assert 0.005 < len(nfd) / len(abstracts) < 0.05
    legacy = [world.incoming(i) for i in range(world.total)]
    legacy = [d for d in legacy if d["text_encoding"] == "TCVN3"]
    assert legacy and all(d["index"] < world.total * 0.03 for d in legacy)
    assert tcvn3_mojibake("Quyết định") == "QuyÕt ®Þnh"
    assert tcvn3_mojibake("Cộng hoà xã hội") == "Céng hoµ x· héi"


def test_documents_arrive_in_office_hours_and_some_share_a_timestamp(world: World) -> None:
    arrivals = [world.arrival(i) for i in range(world.total)]
    assert arrivals == sorted(arrivals)
    assert len(set(arrivals)) < len(arrivals)  # ties in the change order
    for instant in arrivals[:500]:
        local = iso_local(instant)
        assert "08:00:00" <= local[11:19] <= "17:00:00"
        assert local_date(instant).weekday() < 5
    assert world.arrived_count(world.config.start) == pytest.approx(4000, abs=4)


def test_stated_deadlines_use_every_phrase_form_and_mean_what_they_say(world: World) -> None:
    stated = [world.fate(i) for i in range(world.total) if world.fate(i).stated_phrase]
    phrases = Counter(f.stated_phrase.split(" ")[0] for f in stated)
    assert {"trước", "chậm", "trong", "báo"} <= set(phrases)
    for fate in stated:
        phrase, deadline = fate.stated_phrase, iso_local(fate.deadline)
        m = re.match(r"chậm nhất ngày (\d+)/(\d+)/(\d{4})$", phrase)
        if m:
            assert deadline == f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}T17:00:00+07:00"
        m = re.match(r"trước (\d+)(?:h| giờ)(\d\d)? ngày (\d+)/(\d+)/(\d{4})$", phrase)
        if m:
            assert deadline[11:16] == f"{int(m[1]):02d}:{m[2] or '00'}"
        m = re.match(r"trước ngày (\d+)/(\d+)/(\d{4})$", phrase)
        if m:  # the end of the last working day before D
            day = date(int(m[3]), int(m[2]), int(m[1]))
            assert iso_local(fate.deadline) < f"{day.isoformat()}T00:00"
            assert local_date(fate.deadline).weekday() < 5
    # Every directive with a stated deadline says so in its content.
    sample = next(i for i in range(world.total) if world.fate(i).stated_phrase)
    assert world.fate(sample).stated_phrase in world.directive(sample)["content"]


def test_responses_come_before_on_and_after_the_deadline_and_some_never(world: World) -> None:
    fates = [world.fate(i) for i in range(world.total) if world.fate(i).deadline]
    outcomes = Counter(f.response_outcome for f in fates)
    assert {"before", "on", "after", "never"} <= set(outcomes)
    for f in fates:
        if f.response_outcome in ("before", "on"):
            assert f.response_at <= f.deadline
        if f.response_outcome == "on":
            assert local_date(f.response_at) == local_date(f.deadline)
        if f.response_outcome == "after":
            assert f.response_at > f.deadline
        if f.response_outcome == "never":
            assert f.response_at is None


def test_responses_name_what_they_answer_in_three_ways(world: World) -> None:
    answered = [i for i in range(world.total) if world.fate(i).response_at][:300]
    modes = Counter()
    for i in answered:
        out, doc = world.outgoing(i, 1), world.incoming(i)
        # A secret reply may carry its stamp in NFD or TCVN3 text (test_secret_replies_...).
        abstract = unicodedata.normalize("NFC", out["abstract"])
        assert doc["number_notation"] in abstract or (
            tcvn3_mojibake(doc["number_notation"]) in abstract
        )
        modes["id" if out["replies_to_id"] else "number" if out["replies_to_number_notation"]
              else "text"] += 1  # fmt: skip
        if out["replies_to_id"]:
            assert out["replies_to_id"] == doc["id"]
    assert set(modes) == {"id", "number", "text"}


def test_directives_name_exactly_one_main_handler(world: World) -> None:
    with_directive = [i for i in range(world.total) if world.fate(i).directive_at][:200]
    assert with_directive
    for i in with_directive:
        d = world.directive(i)
        assert d["main_unit"] not in d["coordinating_units"]
        assert d["main_unit"].name in unicodedata.normalize("NFC", d["content"])
        assert d["created_at"] >= world.arrival(i)


def test_a_naive_timestamp_is_local_time() -> None:
    assert parse_instant("2024-02-07 09:15:00") == parse_instant("2024-02-07T02:15:00Z")


def test_the_clock_runs_at_its_speed_and_never_goes_back() -> None:
    import time

    from simulators.clock import SimClock

    clock = SimClock(1_700_000_000, speed=3600)
    time.sleep(0.2)
    assert clock.now() - 1_700_000_000 >= 700  # 0.2 real s x 3600 = 720 simulated s
    frozen = SimClock(1_700_000_000)
    assert frozen.advance(90) == 1_700_000_090 == frozen.now()
    with pytest.raises(ValueError, match="never goes back"):
        frozen.advance_until(1_700_000_000)


def test_secret_replies_and_directives_carry_their_mark_in_varied_forms(world: World) -> None:
    replies = [i for i in range(world.total) if world.fate(i).response_secrecy]
    directives = [i for i in range(world.total) if world.fate(i).directive_secrecy]
    assert len(replies) >= 5 and len(directives) >= 3
    styles = Counter(world.fate(i).secrecy_style for i in replies + directives)
    assert len(styles) >= 5, styles
    for i in replies:
        fate = world.fate(i)
        out = world.outgoing(i, 1)
        assert fate.has_task and fate.manual_completion_at is None  # no clerk copies it
        if fate.secrecy_style.startswith("field"):
            assert out["secrecy"] == fate.response_secrecy
        else:
            assert out["secrecy"] is None and out["abstract"] != out["abstract"].lower()
    for i in directives:
        fate = world.fate(i)
        assert not fate.has_task  # a secret directive never feeds a tracked task's deadline
        assert world.directive(i)["secrecy"] == (
            fate.directive_secrecy if fate.secrecy_style.startswith("field") else None
        )
