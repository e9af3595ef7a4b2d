"""What EventBridge does when a delivery to a target fails: retry, then a dead-letter queue.

AWS (EventBridge User Guide, "Event retry policy and using dead-letter queues"):
- a target's RetryPolicy bounds the retries: MaximumRetryAttempts (0-185, default 185) and
  MaximumEventAgeInSeconds (60-86400, default 86400, 24 hours); EventBridge retries with
  exponential backoff and jitter;
- errors a retry cannot fix, such as missing permissions or a target resource that no longer
  exists, are not retried;
- when the event is not delivered, and the target has a DeadLetterConfig, EventBridge sends the
  event to that SQS queue with message attributes ERROR_CODE, ERROR_MESSAGE,
  EXHAUSTED_RETRY_CONDITION, RETRY_ATTEMPTS, RULE_ARN and TARGET_ARN.
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html

The backoff is localcloud's choice (AWS does not publish it): 1 s doubling up to 5 min between
attempts, AWS seconds scaled by the clock, with no jitter.
"""
from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ATTEMPTS = 185
DEFAULT_MAX_AGE = 86400
FIRST_DELAY, MAX_DELAY = 1.0, 300.0


class InvocationFailed(Exception):
    """A delivery to one target failed; `retriable` says whether a retry could help."""

    def __init__(self, code: str, message: str, retriable: bool):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.retriable = code, message, retriable


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    max_age: float

    @classmethod
    def of(cls, target: dict) -> "RetryPolicy":
        policy = target.get("RetryPolicy") or {}
        attempts = policy.get("MaximumRetryAttempts")
        age = policy.get("MaximumEventAgeInSeconds")
        return cls(DEFAULT_ATTEMPTS if attempts is None else int(attempts),
                   DEFAULT_MAX_AGE if age is None else float(age))


def delay(retry: int) -> float:
    """AWS seconds before retry number `retry` (1, 2, ...)."""
    return min(MAX_DELAY, FIRST_DELAY * 2 ** (retry - 1))


def next_step(policy: RetryPolicy, failure: InvocationFailed, retries_done: int, age: float) -> tuple[str, str | None]:
    """("retry", None) or ("give up", EXHAUSTED_RETRY_CONDITION or None for an unretriable error).
    `age` is the event's age in AWS seconds."""
    if not failure.retriable:
        return "give up", None
    if retries_done >= policy.attempts:
        return "give up", "MaximumRetryAttemptsExhausted"
    if age + delay(retries_done + 1) > policy.max_age:
        return "give up", "MaximumEventAgeExceeded"
    return "retry", None


def dead_letter_attributes(failure: InvocationFailed, condition: str | None, retries_done: int, rule_arn: str,
                           target_arn: str) -> dict[str, str]:
    attributes = {"ERROR_CODE": failure.code, "ERROR_MESSAGE": failure.message[:256],
                  "RETRY_ATTEMPTS": str(retries_done), "RULE_ARN": rule_arn, "TARGET_ARN": target_arn}
    if condition:
        attributes["EXHAUSTED_RETRY_CONDITION"] = condition
    return attributes
