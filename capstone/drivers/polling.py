"""Adaptive polling with a deadline: short first, backing off, capped; reset when something moves.

A wait that runs out raises WaitTimeout naming what it waited for and the last state it saw;
a wait that can no longer succeed (the thing it waits on ended otherwise) raises at once,
never waiting out its deadline.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from capstone.retry import WaitTimeout  # noqa: F401  (one timeout type for the whole suite)


@dataclass
class Backoff:
    initial: float = 0.05
    factor: float = 1.6
    cap: float = 1.0

    def __post_init__(self):
        self._current = self.initial

    def next(self) -> float:
        delay = self._current
        self._current = min(self.cap, self._current * self.factor)
        return delay

    def reset(self) -> None:
        self._current = self.initial


class Deadline:
    """A point in time, made from seconds-from-now; several waits can share one."""

    def __init__(self, seconds: float):
        if seconds <= 0:
            raise ValueError(f"a deadline needs a positive number of seconds, got {seconds}")
        self.seconds = float(seconds)
        self.at = time.monotonic() + self.seconds

    @classmethod
    def of(cls, value: "float | Deadline") -> "Deadline":
        return value if isinstance(value, Deadline) else cls(value)

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, min(seconds, self.remaining())))
