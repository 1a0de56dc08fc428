"""Push's back-off and time budget: pure rules, no network."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bridge.settings import load_settings
from pipelines.push_senders import Backoff, Budget, plan, schedule_budget, shortest_interval


def test_back_off_doubles_with_jitter_up_to_its_cap():
    backoff = Backoff(timedelta(minutes=1), timedelta(minutes=10), random.Random(3))
    for attempts, full in [(1, 60), (2, 120), (3, 240), (4, 480), (5, 600), (9, 600)]:
        delays = [backoff.delay(attempts).total_seconds() for _ in range(200)]
        # Equal jitter: at least half the full wait, never more than it, and spread out.
        assert full / 2 <= min(delays) and max(delays) <= full, attempts
        assert max(delays) - min(delays) > full / 4, attempts


def test_back_off_waits_at_least_what_the_system_asked_for_within_the_cap():
    backoff = Backoff(timedelta(minutes=1), timedelta(minutes=10), random.Random(3))
    assert backoff.delay(1, retry_after=300) == timedelta(seconds=300)
    assert backoff.delay(1, retry_after=86_400) == timedelta(minutes=10)
    assert backoff.delay(1, retry_after=1) >= timedelta(seconds=30)


def test_a_budget_is_spent_on_its_own_clock():
    moments = iter([datetime(2024, 2, 1, 8, tzinfo=UTC) + timedelta(seconds=s)
                    for s in (0, 149, 150)])  # fmt: skip
    budget = Budget.start(lambda: next(moments), timedelta(seconds=150))
    assert not budget.spent()
    assert budget.spent()
    assert not Budget.start(lambda: datetime.now(UTC), None).spent()


@pytest.mark.parametrize(
    ("lines", "interval"),
    [
        (["*/5 7-17 * * 1-6", "0 0-6,18-23 * * 1-6", "0 * * * 0"], timedelta(minutes=5)),
        (["0 * * * *"], timedelta(hours=1)),
        (["*/10 * * * 1-5", "*/15 * * * 6,0"], timedelta(minutes=10)),
        (["30 7,13 * * 1-6"], timedelta(hours=6)),
    ],
)
def test_the_shortest_interval_of_a_schedule(lines, interval):
    assert shortest_interval(tuple(lines)) == interval


def test_the_default_budget_is_half_the_office_hours_interval():
    settings = load_settings()
    assert plan(settings, [])["budget"] == timedelta(minutes=2, seconds=30)
    assert schedule_budget(["*/10 * * * *"], 0.4) == timedelta(minutes=4)
    settings = load_settings(push={"budget_s": 90, "backoff_initial_s": 30})
    chosen = plan(settings, [])
    assert chosen["budget"] == timedelta(seconds=90)
    assert chosen["backoff"].initial == timedelta(seconds=30)
    assert chosen["backoff"].cap == timedelta(hours=1)


TRACKING = "https://tdnv.example.gov.vn"


def test_senders_per_system_come_from_its_section():
    settings = load_settings(tracking={"base_url": TRACKING, "push_workers": 2})
    assert plan(settings, ["tracking"])["workers"] == {"tracking": 2}
    assert plan(load_settings(tracking={"base_url": TRACKING}), ["tracking"])["workers"] == {
        "tracking": 4
    }
    with pytest.raises(ValueError, match="push_workers"):
        load_settings(tracking={"base_url": TRACKING, "push_workers": 0})
