"""Target health as an Application Load Balancer keeps it: states, reason codes, thresholds.

This is state only; `checker.py` feeds it probe results and `dataplane.py` asks it where a
request may go. Behaviour follows the ALB user guide ("Health checks for your target groups"):

- a newly registered target is `initial` (Elb.RegistrationInProgress until its first check,
  then Elb.InitialHealthChecking) and "must pass one health check to be considered healthy";
- a target becomes `unhealthy` after UnhealthyThresholdCount consecutive failures and comes
  back after HealthyThresholdCount consecutive successes;
- a target group no listener rule uses has `unused` targets (Target.NotInUse) and no checks;
- a deregistered target is `draining` (Target.DeregistrationInProgress) for the deregistration
  delay, gets no new requests, keeps its in-flight ones, then disappears;
- "If a target group contains only unhealthy registered targets, the load balancer routes
  requests to all those targets, regardless of their health status" (fail open). Targets in
  `initial` are not unhealthy, so a group with any `initial` target does not fail open.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

INITIAL, HEALTHY, UNHEALTHY, UNUSED, DRAINING = "initial", "healthy", "unhealthy", "unused", "draining"

REASONS = {
    "Elb.RegistrationInProgress": "Target registration is in progress",
    "Elb.InitialHealthChecking": "Initial health checks in progress",
    "Target.FailedHealthChecks": "Health checks failed",
    "Target.Timeout": "Request timed out",
    "Target.NotInUse": "Target group is not configured to receive traffic from the load balancer",
    "Target.NotRegistered": "Target is not registered to the target group",
    "Target.DeregistrationInProgress": "Target deregistration is in progress",
}


def response_code_mismatch(code: int) -> tuple[str, str]:
    return "Target.ResponseCodeMismatch", f"Health checks failed with these codes: [{code}]"


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    reason: str | None = None        # reason code when not ok
    description: str | None = None

    @classmethod
    def failed(cls, reason: str, description: str | None = None) -> "ProbeResult":
        return cls(False, reason, description or REASONS.get(reason))


def parse_matcher(http_code: str | None) -> list[tuple[int, int]]:
    """'200', '200,302', '200-299' -> inclusive ranges (ALB's Matcher.HttpCode syntax)."""
    ranges = []
    for part in (http_code or "200").split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            low, high = part.split("-", 1)
            ranges.append((int(low), int(high)))
        else:
            ranges.append((int(part), int(part)))
    return ranges or [(200, 200)]


def code_matches(code: int, ranges: list[tuple[int, int]]) -> bool:
    return any(low <= code <= high for low, high in ranges)


@dataclass
class RegisteredTarget:
    id: str
    port: int
    state: str = INITIAL
    reason: str | None = "Elb.RegistrationInProgress"
    description: str | None = REASONS["Elb.RegistrationInProgress"]
    successes: int = 0
    failures: int = 0
    in_flight: int = 0
    probing: bool = False
    drain_deadline: float | None = None

    @property
    def key(self) -> dict:
        return {"Id": self.id, "Port": self.port}

    def report(self) -> tuple[str, str | None, str | None]:
        return self.state, self.reason, self.description

    def _set(self, state: str, reason: str | None = None, description: str | None = None) -> None:
        self.state, self.reason = state, reason
        self.description = description if description is not None else REASONS.get(reason or "")

    def record(self, result: ProbeResult, healthy_threshold: int, unhealthy_threshold: int) -> None:
        if self.state in (DRAINING, UNUSED):
            return  # a late probe result for a target that left service
        if result.ok:
            self.successes, self.failures = self.successes + 1, 0
            if self.state == INITIAL or (self.state == UNHEALTHY and self.successes >= healthy_threshold):
                self._set(HEALTHY)
            return
        self.failures, self.successes = self.failures + 1, 0
        if self.failures >= unhealthy_threshold:
            self._set(UNHEALTHY, result.reason, result.description)
        elif self.state == INITIAL:
            self._set(INITIAL, "Elb.InitialHealthChecking")
        # a healthy target below the threshold stays healthy, as on AWS

    def not_in_use(self) -> None:
        self.successes = self.failures = 0
        self._set(UNUSED, "Target.NotInUse")

    def back_in_use(self) -> None:
        self._set(INITIAL, "Elb.RegistrationInProgress")

    def start_draining(self, deadline: float) -> None:
        self.drain_deadline = deadline
        self._set(DRAINING, "Target.DeregistrationInProgress")


@dataclass
class TargetGroupHealth:
    """The health view of one target group: registered and draining targets."""

    arn: str
    targets: dict[str, RegisteredTarget] = field(default_factory=dict)
    draining: dict[str, RegisteredTarget] = field(default_factory=dict)
    in_use: bool = False
    next_check: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _rr: int = 0

    def register(self, entries: list[dict]) -> None:
        with self.lock:
            for entry in entries:
                self.draining.pop(entry["Id"], None)
                if entry["Id"] not in self.targets:
                    target = RegisteredTarget(entry["Id"], int(entry.get("Port") or 0))
                    if not self.in_use:
                        target.not_in_use()
                    self.targets[entry["Id"]] = target
            self.next_check = 0.0  # check new targets at the next tick, not a whole interval later

    def deregister(self, entries: list[dict], delay_seconds: float) -> None:
        deadline = time.monotonic() + delay_seconds
        with self.lock:
            for entry in entries:
                target = self.targets.pop(entry["Id"], None)
                if target is not None:
                    target.start_draining(deadline)
                    self.draining[target.id] = target

    def expire_draining(self, now: float) -> None:
        with self.lock:
            for target_id, target in list(self.draining.items()):
                if target.drain_deadline is not None and now >= target.drain_deadline:
                    del self.draining[target_id]

    def set_in_use(self, in_use: bool) -> None:
        with self.lock:
            if in_use == self.in_use:
                return
            self.in_use = in_use
            for target in self.targets.values():
                target.back_in_use() if in_use else target.not_in_use()

    def lookup(self, target_id: str) -> RegisteredTarget | None:
        with self.lock:
            return self.targets.get(target_id) or self.draining.get(target_id)

    def pick(self) -> RegisteredTarget | None:
        """The next target for a new request (round robin), or None: no target may serve."""
        with self.lock:
            candidates = [t for t in self.targets.values() if t.state == HEALTHY]
            if not candidates:
                registered = list(self.targets.values())
                if registered and all(t.state == UNHEALTHY for t in registered):
                    candidates = registered  # fail open
            if not candidates:
                return None
            self._rr = (self._rr + 1) % len(candidates)
            target = candidates[self._rr]
            target.in_flight += 1
            return target

    def release(self, target: RegisteredTarget) -> None:
        with self.lock:
            target.in_flight = max(0, target.in_flight - 1)

    def next_deadline(self) -> float | None:
        with self.lock:
            deadlines = [t.drain_deadline for t in self.draining.values() if t.drain_deadline is not None]
        return min(deadlines) if deadlines else None


class HealthRegistry:
    """target group ARN -> TargetGroupHealth, for every target group with targets."""

    def __init__(self):
        self._groups: dict[str, TargetGroupHealth] = {}
        self._lock = threading.Lock()

    def group(self, arn: str, create: bool = True) -> TargetGroupHealth | None:
        with self._lock:
            group = self._groups.get(arn)
            if group is None and create:
                group = self._groups[arn] = TargetGroupHealth(arn)
            return group

    def groups(self) -> list[TargetGroupHealth]:
        with self._lock:
            return list(self._groups.values())

    def forget(self, arn: str) -> None:
        with self._lock:
            self._groups.pop(arn, None)

    def clear(self) -> None:
        with self._lock:
            self._groups.clear()

