"""Working time: when a case must be accepted by, in the network's working hours.

A promise such as "accepted within one working day" counts only working
hours on weekdays that are not Finnish public holidays (the ``holidays``
package), in the network's time zone, so a case that arrives on Friday
evening before Midsummer is not late on Saturday.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from bot.network.model import Service


@lru_cache(maxsize=16)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("FI", years=year)


def is_working_day(day: date) -> bool:
    """A weekday that is not a Finnish public holiday (Christmas Eve and Midsummer Eve count as holidays)."""
    return day.weekday() < 5 and day not in _holidays(day.year)


def deadline(start: datetime, service: Service) -> datetime:
    """``start`` plus the service's response hours, counting only working time; in UTC."""
    zone = ZoneInfo(service.timezone)
    current = start.astimezone(zone)
    remaining = timedelta(hours=service.response_hours)
    while True:
        day = current.date()
        opens = datetime.combine(day, service.day_starts, zone)
        closes = datetime.combine(day, service.day_ends, zone)
        if is_working_day(day) and current < closes:
            current = max(current, opens)
            available = closes - current
            if remaining <= available:
                return (current + remaining).astimezone(timezone.utc)
            remaining -= available
        current = datetime.combine(day + timedelta(days=1), service.day_starts, zone)
