"""Gotong: campaign team and volunteer coordination on Telegram."""

import os

__version__ = "0.1.0"

# Opt in to PTB's coming API where durations (RetryAfter.retry_after) are timedeltas:
# without it PTB 22 warns on every flood answer, from inside its own request code too.
os.environ.setdefault("PTB_TIMEDELTA", "1")
