"""The sending window of a course: lessons go out only on some weekdays between two times.

Times are wall-clock times in a time zone (the subscriber's own, else the course's), so
"09:00 to 12:00" means the reader's morning whatever the machine's clock says, across DST.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass

from publisher.config import CourseSettings, Project, SeriesSettings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def minutes(hhmm: str) -> int:
    """``"09:30"`` -> 570; ``"24:00"`` -> 1440 (config validated the format)."""
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


@functools.lru_cache(maxsize=256)
def zone(name: str) -> zoneinfo.ZoneInfo:
    """A cached ZoneInfo (a run checks thousands of subscribers in a handful of zones)."""
    return zoneinfo.ZoneInfo(name)


@dataclass(frozen=True)
class Window:
    """Weekdays (0 = Monday) and [start, end) minutes of the day; start > end spans midnight."""

    days: frozenset[int]
    start: int
    end: int
    timezone: str

    @classmethod
    def of(cls, series: SeriesSettings, project: Project) -> Window:
        course: CourseSettings = series.course
        return cls(days=frozenset(WEEKDAYS.index(d) for d in course.window_days),
                   start=minutes(course.window_start), end=minutes(course.window_end),
                   timezone=course.timezone or project.settings.site.timezone)

    @property
    def always_open(self) -> bool:
        return len(self.days) == 7 and self.start == 0 and self.end == 1440

    def _open_at(self, local: dt.datetime) -> bool:
        if local.weekday() not in self.days:
            return False
        now = local.hour * 60 + local.minute
        if self.start < self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def contains(self, moment: dt.datetime, timezone: str = "") -> bool:
        """Whether an aware ``moment`` is inside the window in ``timezone`` (default: course's)."""
        if self.always_open:
            return True
        return self._open_at(moment.astimezone(zone(timezone or self.timezone)))

    def next_open(self, moment: dt.datetime, timezone: str = "") -> dt.datetime | None:
        """The earliest minute at or after ``moment`` inside the window (None: never opens).

        The window opens at ``start`` on an allowed day, so the answer is the start of the first
        allowed day whose opening is not in the past; at most 8 days are looked at.
        """
        if self.always_open or self.contains(moment, timezone):
            return moment
        if not self.days or self.start == self.end:
            return None
        tz = zone(timezone or self.timezone)
        local = moment.astimezone(tz).replace(second=0, microsecond=0)
        for offset in range(9):
            day = (local + dt.timedelta(days=offset)).date()
            if day.weekday() not in self.days:
                continue
            start = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=self.start)
            candidate = start.replace(tzinfo=tz)
            if candidate >= moment.astimezone(tz) and self.contains(candidate, timezone):
                return candidate
        return None

    def describe(self) -> str:
        days = [WEEKDAYS[d] for d in sorted(self.days)]
        span = f"{self.start // 60:02d}:{self.start % 60:02d}-{self.end // 60:02d}:" \
               f"{self.end % 60:02d}"
        return f"{','.join(days)} {span} {self.timezone}"
