"""The time scale: every AWS wait in localcloud runs at its configured length times `scale`.

Configured values (health-check interval, deregistration delay, termination wait, approval
timeout, build timeout...) stay what the user configured; only how long localcloud really waits
changes, so an offline run can be fast without editing any resource.
"""
from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timezone

ENV_VAR = "LOCALCLOUD_TIME_SCALE"


def scale_from_env(default: float = 1.0) -> float:
    raw = os.environ.get(ENV_VAR)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{ENV_VAR}={raw!r} is not a number; use e.g. 1.0 (real time) or 0.02") from None
    if value <= 0:
        raise ValueError(f"{ENV_VAR} must be > 0, got {value}")
    return value


class Clock:
    def __init__(self, scale: float = 1.0):
        if scale <= 0:
            raise ValueError(f"time scale must be > 0, got {scale}")
        self.scale = float(scale)

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
