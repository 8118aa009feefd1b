"""What the sandbox answered and delivered, for tests and benchmarks to check pacing and loss.

The delivery log uses the same monotonic instant the rate referee used, so "the log never
exceeds the window" is a statement about exactly what the referee enforced.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Delivery:
    chat_id: int
    message_id: int
    time: float  # time.monotonic() when the sandbox accepted the send
    method: str
    paid: bool
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "time": self.time,
            "method": self.method,
            "paid": self.paid,
            "text": self.text,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Delivery:
        return cls(
            chat_id=int(data["chat_id"]),
            message_id=int(data["message_id"]),
            time=float(data["time"]),
            method=str(data["method"]),
            paid=bool(data["paid"]),
            text=str(data["text"]),
        )


@dataclass
class Stats:
    calls: Counter[str] = field(default_factory=Counter)
    answered_429: int = 0
    answered_5xx: int = 0
    timeouts: int = 0
    deliveries: list[Delivery] = field(default_factory=list)
    # Edits the referee counted (Telegram's flood control counts them like sends).
    edits: list[Delivery] = field(default_factory=list)
    edits_429: int = 0

    def metered(self) -> list[Delivery]:
        """Everything the flood limits counted: new messages and edits."""
        return [*self.deliveries, *self.edits]

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": dict(self.calls),
            "answered_429": self.answered_429,
            "answered_5xx": self.answered_5xx,
            "timeouts": self.timeouts,
            "deliveries": [d.to_json() for d in self.deliveries],
            "edits": [d.to_json() for d in self.edits],
            "edits_429": self.edits_429,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stats:
        return cls(
            calls=Counter({str(k): int(v) for k, v in data["calls"].items()}),
            answered_429=int(data["answered_429"]),
            answered_5xx=int(data["answered_5xx"]),
            timeouts=int(data["timeouts"]),
            deliveries=[Delivery.from_json(d) for d in data["deliveries"]],
            edits=[Delivery.from_json(d) for d in data.get("edits", [])],
            edits_429=int(data.get("edits_429", 0)),
        )

    def max_in_window(self, window: float = 1.0, chat_id: int | None = None) -> int:
        """Most metered calls (sends and edits) inside any half-open window of `window`
        seconds: the referee's rule."""
        times = sorted(d.time for d in self.metered() if chat_id is None or d.chat_id == chat_id)
        best = 0
        start = 0
        for end, t in enumerate(times):
            while t - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    def texts(self, chat_id: int) -> list[str]:
        return [d.text for d in self.deliveries if d.chat_id == chat_id]

    def duplicates(self) -> dict[tuple[int, str], int]:
        """(chat_id, text) delivered more than once, with how many times."""
        counts = Counter((d.chat_id, d.text) for d in self.deliveries)
        return {key: n for key, n in counts.items() if n > 1}
