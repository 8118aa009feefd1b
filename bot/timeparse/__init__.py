"""Reading typed dates, times, lengths and report periods (Bahasa Indonesia and English).

`parse_when` ("besok 19:00", "Sabtu 08.00", "5 Des 14:00" → UTC; its rules are in
`bot.timeparse.when`), `parse_duration` and `parse_period` (`bot.timeparse.spans`), the
error with its stable reasons and the words they share (`bot.timeparse.words`).  Pure:
callers pass `now` and the timezone; nothing reads the clock.
"""

from bot.timeparse.spans import parse_duration, parse_period
from bot.timeparse.when import describe_formats, parse_when
from bot.timeparse.words import WhenParseError, WhenReason

__all__ = [
    "WhenParseError",
    "WhenReason",
    "describe_formats",
    "parse_duration",
    "parse_period",
    "parse_when",
]
