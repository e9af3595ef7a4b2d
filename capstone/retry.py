"""Retries and waits for the environment (tenacity underneath).

AWS is eventually consistent: a role is not assumable for seconds after CreateRole, a security
group refuses deletion while an ENI lingers, a target group is "in use" until its load balancer
is really gone. Those answers are retried with exponential backoff and jitter; anything else
fails at once. Waits poll adaptively (short first, backing off, capped; reset when something
moves) and time out naming what they waited for and the last state they saw; a wait that can no
longer succeed (the thing it waits on ended otherwise) raises at once, never waiting out its
deadline. Backoff and Deadline are the pieces the drivers build their own waits from.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from botocore.exceptions import ClientError, ConnectionError as BotoConnectionError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_delay,
    wait_random_exponential,
)

T = TypeVar("T")

# Error codes that mean "not yet", not "no": AWS's eventual consistency and throttling.
RETRYABLE_CODES = frozenset({
    "DependencyViolation", "ResourceInUse", "ResourceInUseException", "ResourceInUseFault",
    "ScalingActivityInProgress", "ScalingActivityInProgressFault", "Throttling", "ThrottlingException",
    "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown",
    "ConcurrentModificationException", "OperationAbortedException", "OperationAborted",
    "InvalidRoleException",  # CodeDeploy/CodeBuild before a fresh role propagates
})
# 5xx answers (InternalFailure, ServiceUnavailable...) are retried by botocore itself; retrying
# them again here would turn "this endpoint does not implement that" into minutes of waiting.
# Messages that mean "the role/profile you just created is not visible yet".
RETRYABLE_MESSAGES = ("not authorized to perform: sts:AssumeRole", "Invalid IamInstanceProfile",
                      "cannot be assumed", "is not authorized to assume", "does not have permissions",
                      "CodePipeline is not authorized", "propagat")


def error_code(exc: BaseException) -> str | None:
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code")
    return None


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, BotoConnectionError):
        return True
    if not isinstance(exc, ClientError):
        return False
    code = error_code(exc) or ""
    if code in RETRYABLE_CODES:
        return True
    message = exc.response.get("Error", {}).get("Message", "")
    return any(m in message for m in RETRYABLE_MESSAGES)


def is_not_found(exc: BaseException) -> bool:
    """Every way AWS says "there is no such thing" (so a delete is already done)."""
    code = error_code(exc) or ""
    if not code:
        return False
    if code in {"NoSuchEntity", "NoSuchBucket", "NoSuchKey", "ParameterNotFound", "InvalidGroup.NotFound",
                "InvalidLaunchTemplateName.NotFoundException", "InvalidLaunchTemplateId.NotFound",
                "LoadBalancerNotFound", "TargetGroupNotFound", "ListenerNotFound"}:
        return True
    return code.endswith("NotFoundException") or code.endswith("DoesNotExistException") or code.endswith("NotFound")


def call(fn: Callable[..., T], *args: Any, what: str = "", deadline: float = 120.0, **kwargs: Any) -> T:
    """Call `fn(*args, **kwargs)`, retrying retryable AWS answers with backoff + jitter until
    `deadline` seconds have passed; then the last error is raised."""

    def _log(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if state.attempt_number in (3, 10, 30):
            print(f"  … still retrying {what or getattr(fn, '__name__', 'call')}: {error_code(exc) or exc}", flush=True)

    for attempt in Retrying(
        retry=retry_if_exception(is_retryable),
        wait=wait_random_exponential(multiplier=0.05, max=5),
        stop=stop_after_delay(deadline),
        before_sleep=_log,
        reraise=True,
    ):
        with attempt:
            return fn(*args, **kwargs)
    raise AssertionError("unreachable")  # pragma: no cover


class WaitTimeout(TimeoutError):
    """A wait ran out: the one timeout type of the whole suite."""


@dataclass
class Backoff:
    """Poll intervals: `initial`, growing by `factor` up to `cap`; `reset()` when something moved."""
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


def wait_until(check: Callable[[], tuple[bool, Any]], *, what: str, timeout: float,
               first: float = 0.05, cap: float = 2.0, progress: Callable[[Any], None] | None = None) -> Any:
    """Poll `check()` -> (done, state) adaptively until done; returns the last state.

    Raises WaitTimeout naming `what` and the last state seen. `progress(state)` is called
    whenever the state changes, so long waits show what they are doing."""
    started = time.monotonic()
    interval = first
    last: Any = object()
    while True:
        done, state = check()
        if state != last:
            if progress is not None:
                progress(state)
            last = state
        if done:
            return state
        elapsed = time.monotonic() - started
        if elapsed >= timeout:
            raise WaitTimeout(f"timed out after {elapsed:.0f}s waiting for {what}; last state: {state}")
        time.sleep(min(interval, max(0.0, timeout - elapsed)))
        interval = min(cap, interval * 1.5)
