"""The CronJob controller's schedule: standard five-field cron on the model clock.

Mirrors the parsing ``pkg/controller/cronjob/utils.go`` gets from ``github.com/robfig/cron/v3``
(``cron.ParseStandard``): minute, hour, day of month, month, day of week; each field ``*``, a
number, a range ``a-b``, a step ``*/n`` or ``a-b/n``, or a comma-separated list of those; the
descriptors ``@yearly``/``@annually``, ``@monthly``, ``@weekly``, ``@daily``/``@midnight`` and
``@hourly``. Day of week 0–6 (Sunday 0; 7 is accepted as Sunday, as robfig does). As in cron,
when both day of month and day of week are restricted, a day matches if either does. Month and
day names (``JAN``, ``MON``) and ``TZ=`` prefixes are not modelled.

The model clock's second 0 is 1970-01-01 00:00 UTC (a Thursday).
"""

from __future__ import annotations

import datetime

import attrs

FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))
DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


class ScheduleError(ValueError):
    """A schedule that does not parse; the message says which field and why."""


@attrs.frozen
class Schedule:
    """A parsed schedule: the allowed values of each field, and whether day of month / day of
    week were ``*`` (robfig's ``starBit``: then only the other one restricts the day)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    days_star: bool
    weekdays_star: bool

    def matches(self, t: int) -> bool:
        """Whether the minute starting at model second ``t`` (a multiple of 60) is scheduled."""
        d = EPOCH + datetime.timedelta(seconds=t)
        if d.minute not in self.minutes or d.hour not in self.hours or d.month not in self.months:
            return False
        dom = d.day in self.days
        dow = (d.isoweekday() % 7) in self.weekdays
        if self.days_star or self.weekdays_star:
            return dom and dow
        return dom or dow

    def next_after(self, t: int, limit: int = 366 * 24 * 3600) -> int | None:
        """The first scheduled time strictly after ``t`` (``Schedule.Next``), within ``limit``
        seconds, else None."""
        start = (t // 60 + 1) * 60
        m = start
        while m <= t + limit:
            d = EPOCH + datetime.timedelta(seconds=m)
            if d.month not in self.months or not self._day_ok(d):
                m = (m // 86400 + 1) * 86400  # skip the rest of the day
                continue
            if d.hour not in self.hours:
                m = (m // 3600 + 1) * 3600
                continue
            if d.minute in self.minutes:
                return m
            m += 60
        return None

    def _day_ok(self, d: datetime.datetime) -> bool:
        dom = d.day in self.days
        dow = (d.isoweekday() % 7) in self.weekdays
        if self.days_star or self.weekdays_star:
            return dom and dow
        return dom or dow


def _field(text: str, name: str, lo: int, hi: int) -> tuple[frozenset[int], bool]:
    values: set[int] = set()
    star = False
    for part in text.split(","):
        rng, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError(f"{name}: bad step {step_text!r} in {part!r}")
            step = int(step_text)
        if rng == "*" or rng == "?":
            a, b = lo, hi
            star = star or not step_text
        else:
            first, dash, last = rng.partition("-")
            if not first.isdigit() or (dash and not last.isdigit()):
                raise ScheduleError(f"{name}: expected a number, a range a-b or *, got {part!r}")
            a = int(first)
            b = int(last) if dash else (hi if step_text else a)
            if a < lo or b > hi or a > b:
                raise ScheduleError(f"{name}: {part!r} is outside {lo}-{hi}")
        values.update(range(a, b + 1, step))
    return frozenset(values), star


def parse_schedule(text: str) -> Schedule:
    """``cron.ParseStandard`` (see the module docstring).

    Raises:
        ScheduleError: not five fields (or a known descriptor), or a field that does not parse.
    """
    spec = DESCRIPTORS.get(text.strip(), text)
    parts = spec.split()
    if len(parts) != 5:
        raise ScheduleError(
            f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(parts)}: {text!r}"
        )
    parsed = [_field(p, name, lo, hi) for p, (name, lo, hi) in zip(parts, FIELDS, strict=True)]
    weekdays = frozenset(0 if d == 7 else d for d in parsed[4][0])
    return Schedule(
        minutes=parsed[0][0],
        hours=parsed[1][0],
        days=parsed[2][0],
        months=parsed[3][0],
        weekdays=weekdays,
        days_star=parsed[2][1],
        weekdays_star=parsed[4][1],
    )
