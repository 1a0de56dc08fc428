"""Simulated-time arithmetic shared by the world and the servers.

All instants are whole seconds since the Unix epoch (UTC). The simulated agencies live in
Asia/Ho_Chi_Minh, which has been UTC+7 without daylight saving since 1975, so a fixed offset is
exact and avoids a tz database lookup per record.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

LOCAL_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
LOCAL_OFFSET = 7 * 3600
DAY = 86_400

# Documents arrive in office hours only: 08:00-17:00, Monday to Friday.
OFFICE_OPEN = 8 * 3600
OFFICE_SECONDS_PER_DAY = 9 * 3600
END_OF_DAY = 17 * 3600


def parse_instant(text: str) -> int:
    """ISO 8601 with or without offset; a naive value is local (Asia/Ho_Chi_Minh) time."""
    value = datetime.fromisoformat(text.strip().replace(" ", "T", 1).replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return int(value.timestamp())


def iso_local(epoch: int) -> str:
    """`2024-02-07T09:15:00+07:00`: the form every simulated server sends."""
    return datetime.fromtimestamp(epoch, LOCAL_TZ).isoformat()


def local_date(epoch: int) -> date:
    return datetime.fromtimestamp(epoch, LOCAL_TZ).date()


def local_midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ).timestamp())


def epoch_utc(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def is_working_day(day: date) -> bool:
    # The simulated systems know weekends only; holidays are the bridge's calendar's business.
    return day.weekday() < 5


def add_working_days(start: int, days: int, hour_seconds: int = END_OF_DAY) -> int:
    """End (17:00 local by default) of the Nth working day after the day of `start`."""
    day = local_date(start)
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return local_midnight(day) + hour_seconds


def last_working_day_before(day: date) -> date:
    day -= timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def next_working_day_on_or_after(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


class OfficeTimeline:
    """A bijection between 'office seconds' (counted in opening hours only) and instants.

    Arrival times are laid out on this timeline so that index -> arrival and time -> index are
    both O(1): nothing about the world has to be kept in memory to answer "which documents had
    arrived by time t".
    """

    def __init__(self, origin_monday: date) -> None:
        assert origin_monday.weekday() == 0, "the timeline starts on a Monday"
        self.origin = local_midnight(origin_monday)
        self.week = 5 * OFFICE_SECONDS_PER_DAY

    def to_instant(self, office_seconds: int) -> int:
        weeks, rest = divmod(office_seconds, self.week)
        day, second = divmod(rest, OFFICE_SECONDS_PER_DAY)
        return self.origin + weeks * 7 * DAY + day * DAY + OFFICE_OPEN + second

    def from_instant(self, instant: int) -> int:
        """Office seconds elapsed by `instant` (closed hours count as zero)."""
        weeks, rest = divmod(instant - self.origin, 7 * DAY)
        day, second = divmod(rest, DAY)
        if day >= 5:
            return (weeks + 1) * self.week
        second = min(max(second - OFFICE_OPEN, 0), OFFICE_SECONDS_PER_DAY)
        return weeks * self.week + day * OFFICE_SECONDS_PER_DAY + second
