"""The time scale: every AWS wait in localcloud runs at its configured length times `scale`.

Configured values (health-check interval, deregistration delay, termination wait, approval
timeout, build timeout...) stay what the user configured; only how long localcloud really waits
changes, so an offline run can be fast without editing any resource. The scale is the
`time_scale` setting (settings.py).
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

class Clock:
    def __init__(self, scale: float = 1.0):
        self.scale = float(scale)  # validated once, by Settings

    def scaled(self, seconds: float) -> float:
        """How long localcloud really waits for an AWS wait of `seconds`."""
        return float(seconds) * self.scale

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> bool:
        """Sleep the scaled length of an AWS wait. Returns True if `stop` was set meanwhile."""
        real = self.scaled(seconds)
        if stop is None:
            time.sleep(real)
            return False
        return stop.wait(real)

    @staticmethod
    def now() -> datetime:
        return datetime.now(timezone.utc)

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()
