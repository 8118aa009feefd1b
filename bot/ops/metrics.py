"""Process-wide counters and a latency histogram, exposed in Prometheus' text format.

Hand-written rather than `prometheus_client`: a handful of series, no extra dependency,
and the exposition format is small and stable.  One process is one replica, so
module-level state is exactly the per-replica view Prometheus scrapes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

# Seconds; an update usually takes a few database calls and one Bot API call.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in sorted(labels.items())
    )
    return "{" + inner + "}"


@dataclass
class Counter:
    name: str
    help: str
    values: dict[tuple[tuple[str, str], ...], float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self.values[key] = self.values.get(key, 0.0) + amount

    def get(self, **labels: str) -> float:
        return self.values.get(tuple(sorted(labels.items())), 0.0)

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        for key, value in sorted(self.values.items()):
            lines.append(f"{self.name}{_labels(dict(key))} {value:g}")
        if not self.values:
            lines.append(f"{self.name} 0")
        return lines


@dataclass
class Histogram:
    name: str
    help: str
    buckets: tuple[float, ...] = LATENCY_BUCKETS
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * len(self.buckets)

    def observe(self, seconds: float) -> None:
        for i, bound in enumerate(self.buckets):
            if seconds <= bound:
                self.counts[i] += 1
        self.total += seconds
        self.count += 1

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        for bound, n in zip(self.buckets, self.counts, strict=True):
            lines.append(f'{self.name}_bucket{{le="{bound:g}"}} {n}')
        lines.append(f'{self.name}_bucket{{le="+Inf"}} {self.count}')
        lines.append(f"{self.name}_sum {self.total:.6f}")
        lines.append(f"{self.name}_count {self.count}")
        return lines


@dataclass(frozen=True)
class Gauge:
    """A value read at scrape time (outbox counts, lag, leadership)."""

    name: str
    help: str
    samples: tuple[tuple[dict[str, str], float], ...]
    kind: str = "gauge"  # or "counter" for a total kept elsewhere (the pacer's 429s)

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]
        lines += [f"{self.name}{_labels(labels)} {value:g}" for labels, value in self.samples]
        return lines


class Metrics:
    def __init__(self) -> None:
        self.updates = Counter(
            "gotong_updates_total",
            "Webhook updates by outcome (handled, duplicate, busy, rejected, malformed, failed).",
        )
        self.latency = Histogram(
            "gotong_update_handling_seconds", "Time to handle one update, claim to commit."
        )

    def render(self, gauges: Iterable[Gauge] = ()) -> str:
        lines = self.updates.render() + self.latency.render()
        for gauge in gauges:
            lines += gauge.render()
        return "\n".join(lines) + "\n"


# The one registry of this process (one process = one replica).
METRICS = Metrics()
