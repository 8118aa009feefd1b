"""Quiet hours: non-urgent messages due at night wait for the recipient's morning.

The window is read in the recipient's own timezone (the campaign's when they set none),
so a volunteer in Jayapura is not woken by a broadcast sent from Jakarta at 20:30.  A
window that wraps midnight (21:00-07:00) is the normal case; start == end turns it off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time
    end: time

    @property
    def enabled(self) -> bool:
        return self.start != self.end

    def _inside(self, local: time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def deferred_until(self, moment: datetime, tz: str) -> datetime | None:
        """The window's end (UTC) if `moment` falls inside the window in `tz`, else None."""
        if not self.enabled:
            return None
        zone = ZoneInfo(tz)
        local = moment.astimezone(zone)
        if not self._inside(local.time()):
            return None
        end_day = local.date()
        if local.time() >= self.end:
            end_day += timedelta(days=1)
        end = datetime.combine(end_day, self.end, tzinfo=zone)
        return end.astimezone(UTC)
