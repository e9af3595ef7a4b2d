"""Retries and waits for the environment (tenacity underneath).

AWS is eventually consistent: a role is not assumable for seconds after CreateRole, a security
group refuses deletion while an ENI lingers, a target group is "in use" until its load balancer
is really gone. Those answers are retried with exponential backoff and jitter; anything else
fails at once. A service refusing a role or instance profile made moments ago is retried only
where a builder hands one over (`call_with_fresh_iam`), for a bound, and recognised by its code
and its message together (`is_iam_propagating`): the same codes also mean real mistakes.

Waits poll adaptively (short first, backing off, capped; reset when something moves) and time
out naming what they waited for and the last state they saw; a wait that can no longer succeed
(the thing it waits on ended otherwise) raises at once, never waiting out its deadline. Backoff and Deadline are the pieces the drivers build their own waits from.
"""
from __future__ import annotations

import re
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
})
# 5xx answers (InternalFailure, ServiceUnavailable...) are retried by botocore itself; retrying
# them again here would turn "this endpoint does not implement that" into minutes of waiting.

# What a service answers when it is handed a role or an instance profile IAM has not propagated
# to it yet: (error code, message pattern), both required. Each is also the answer to a role that
# does not exist or does not trust the service, which no retry mends: hence the bound.
IAM_PROPAGATION = tuple((code, re.compile(pattern)) for code, pattern in (
    # CodeBuild CreateProject/UpdateProject (docs: codebuild/latest/userguide/troubleshooting.html),
    # and its 2025 wording "... on service role. Please verify that: 1) The provided service role exists ..."
    ("InvalidInputException", r"^CodeBuild is not authorized to perform: sts:AssumeRole on "),
    # CodePipeline CreatePipeline/UpdatePipeline, for the pipeline's role (hashicorp/terraform#19264)
    # and for an action's role ("<pipeline role ARN> is not authorized to perform AssumeRole on role <ARN>")
    ("InvalidStructureException", r"^(CodePipeline|arn:aws[\w-]*:iam::\d+:role/\S+) is not authorized to perform "
                                  r"AssumeRole on role "),
    # CodeDeploy CreateDeploymentGroup/UpdateDeploymentGroup/CreateDeployment
    # (aws/aws-sdk-ruby#772: "a propagation issue"; go-to-k/cdkd#948)
    ("InvalidRoleException", r"^(AWS CodeDeploy does not have the permissions required to assume the role |"
                             r"Cannot assume role provided)"),
    # ... and for a role whose policy has not reached Auto Scaling yet (the group's ASG is read as
    # the role: "does not give you permission to perform operations in the following AWS service:
    # AmazonAutoScaling", codedeploy/latest/userguide/troubleshooting-auto-scaling.html)
    ("InvalidRoleException", r"^The IAM role \S+ does not give you permission to perform operations in the "
                             r"following AWS service: AmazonAutoScaling\."),
    # Auto Scaling CreateAutoScalingGroup from a launch template, CreateLaunchConfiguration
    ("ValidationError", r"iamInstanceProfile\.name is invalid\. Invalid IAM Instance Profile name|"
                        r"^Invalid IamInstanceProfile: "),
    # EC2 RunInstances
    ("InvalidParameterValue", r"iamInstanceProfile\.name is invalid\. Invalid IAM Instance Profile name"),
))
#: how long a builder waits for IAM to propagate a fresh role, on AWS: Terraform's bound
#: (PropagationTimeout = 2 * time.Minute, terraform-provider-aws internal/service/iam/wait.go)
IAM_PROPAGATION_TIMEOUT = 120.0


def error_code(exc: BaseException) -> str | None:
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code")
    return None


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, BotoConnectionError):
        return True
    if not isinstance(exc, ClientError):
        return False
    return (error_code(exc) or "") in RETRYABLE_CODES


def is_iam_propagating(exc: BaseException) -> bool:
    """Is this a service refusing a role or instance profile it cannot see yet (IAM_PROPAGATION)?"""
    if not isinstance(exc, ClientError):
        return False
    code, message = error_code(exc), exc.response.get("Error", {}).get("Message", "")
    return any(code == wanted and pattern.search(message) for wanted, pattern in IAM_PROPAGATION)


def is_not_found(exc: BaseException) -> bool:
    """Every way AWS says "there is no such thing" (so a delete is already done)."""
    code = error_code(exc) or ""
    if not code:
        return False
    if code in {"NoSuchEntity", "NoSuchBucket", "NoSuchKey", "ParameterNotFound", "InvalidGroup.NotFound",
                "InvalidLaunchTemplateName.NotFoundException", "InvalidLaunchTemplateId.NotFound",
                "LoadBalancerNotFound", "TargetGroupNotFound", "ListenerNotFound",
                # SQS's query and JSON spellings of a missing queue
                "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}:
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


class IAMNotPropagated(WaitTimeout):
    """A service still refused a fresh role or instance profile when the propagation bound ran out."""


def call_with_fresh_iam(fn: Callable[..., T], *args: Any, what: str, bound: float = IAM_PROPAGATION_TIMEOUT,
                        deadline: float = 120.0, progress: Callable[[str], None] = print, **kwargs: Any) -> T:
    """Call `fn(*args, **kwargs)`, which hands a service a role or an instance profile made
    moments ago. The service's "I cannot assume it yet" (is_iam_propagating) is retried for
    `bound` seconds, saying so once through `progress`; the other "not yet" answers are retried
    as call() retries them, until `deadline`. Past the bound, IAMNotPropagated names the call,
    the bound and the service's last answer."""
    started = time.monotonic()
    seen: list[str] = []   # the refusal that started the wait, once reported

    def elapsed() -> float:
        return time.monotonic() - started

    def stop(state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        return elapsed() >= (bound if is_iam_propagating(exc) else deadline)

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if is_iam_propagating(exc):
            if not seen:
                seen.append(error_code(exc) or "")
                progress(f"  {what}: {seen[0]}, the service cannot assume the new IAM role yet (IAM propagates "
                         f"changes eventually); retrying for up to {bound:g}s")
        elif state.attempt_number in (3, 10, 30):
            progress(f"  … still retrying {what}: {error_code(exc) or exc}")

    try:
        for attempt in Retrying(
            retry=retry_if_exception(lambda exc: is_retryable(exc) or is_iam_propagating(exc)),
            wait=wait_random_exponential(multiplier=0.05, max=2),
            stop=stop,
            before_sleep=before_sleep,
            reraise=True,
        ):
            with attempt:
                result = fn(*args, **kwargs)
    except ClientError as exc:
        if not is_iam_propagating(exc):
            raise
        error = exc.response.get("Error", {})
        raise IAMNotPropagated(
            f"{what}: still refused after {elapsed():.1f}s, past the {bound:g}s bound for IAM to propagate a new role "
            f"or instance profile: {error.get('Code')}: {error.get('Message')}. A role that exists and trusts the "
            "service is accepted well within that bound: check the role's name and its trust policy") from exc
    if seen:
        progress(f"  {what}: accepted after {elapsed():.1f}s")
    return result


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
