"""Read the pipeline's notifications as a subscriber does: from the SQS queue subscribed to the
notifications topic (capstone/builders/notifications.py), offline and live alike.

Two kinds arrive, each in SNS's envelope (`Type: Notification`, `Message` the payload):
- the approval notice CodePipeline publishes when an approval starts waiting, AWS's documented
  JSON (region, consoleLink, approval{pipelineName, stageName, actionName, token, expires,
  externalEntityLink, approvalReviewLink, customData});
- EventBridge's "CodePipeline Pipeline Execution State Change" events (detail.state,
  detail.execution-id).

The approval notice carries the approval token, as AWS's does. It never leaves this module:
`Notice.payload` holds the notice with `token` dropped and the review link cut before the
token, so what scenarios and the evidence see cannot approve anything.
Source: https://docs.aws.amazon.com/codepipeline/latest/userguide/approvals-json-format.html
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Callable

from capstone import evidence
from capstone.retry import Deadline, WaitTimeout

APPROVAL = "approval"
EXECUTION = "execution"


@dataclass(frozen=True)
class Notice:
    kind: str                  # APPROVAL | EXECUTION
    received: float            # when the suite read it (epoch seconds)
    subject: str | None
    payload: dict = field(repr=False)   # the message, token removed (see module docstring)
    body_size: int = 0

    @property
    def pipeline(self) -> str | None:
        if self.kind == APPROVAL:
            return (self.payload.get("approval") or {}).get("pipelineName")
        return (self.payload.get("detail") or {}).get("pipeline")

    @property
    def execution_id(self) -> str | None:
        return (self.payload.get("detail") or {}).get("execution-id") if self.kind == EXECUTION else None

    @property
    def state(self) -> str | None:
        return (self.payload.get("detail") or {}).get("state") if self.kind == EXECUTION else None

    def summary(self) -> dict:
        """What the evidence records of it."""
        base = {"notice": self.kind, "received": self.received, "pipeline": self.pipeline, "subject": self.subject}
        if self.kind == APPROVAL:
            approval = self.payload.get("approval") or {}
            return {**base, **{k: approval.get(k) for k in ("stageName", "actionName", "expires", "customData",
                                                            "externalEntityLink", "approvalReviewLink")},
                    "token_present": "token_was_present" in self.payload}
        return {**base, "execution_id": self.execution_id, "state": self.state}


def _without_token(message: dict) -> dict:
    approval = dict(message.get("approval") or {})
    had_token = approval.pop("token", None) is not None
    link = approval.get("approvalReviewLink")
    if isinstance(link, str) and "/" in link:
        # the review link ends in the token: .../#/view/PIPELINE/STAGE/ACTION/approve/TOKEN
        approval["approvalReviewLink"] = link.rsplit("/", 1)[0] + "/<token>"
    clean = {**message, "approval": approval}
    if had_token:
        clean["token_was_present"] = True
    return clean


def parse(body: str, received: float) -> tuple[Notice, list[str]]:
    """One SQS message body (SNS's envelope) as a Notice, and the raw message text (for the
    caller's secret checks only; never recorded)."""
    envelope = json.loads(body)
    raw = envelope.get("Message", "")
    message = json.loads(raw) if raw.startswith("{") else {"text": raw}
    if "approval" in message:
        return Notice(APPROVAL, received, envelope.get("Subject"), _without_token(message), len(raw)), [raw]
    return Notice(EXECUTION, received, envelope.get("Subject"), message, len(raw)), [raw]


class NotificationInbox:
    """Everything the notifications queue delivered during the run, in arrival order."""

    def __init__(self, sqs, queue_url: str, *, log: Callable[[str], None] | None = None):
        self.sqs = sqs
        self.queue_url = queue_url
        self.notices: list[Notice] = []
        self._raw: list[str] = []
        self._log = log or (lambda line: print(line, flush=True))

    def drain(self) -> list[Notice]:
        """Read (and delete) whatever is waiting now; returns the new notices."""
        new: list[Notice] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                                WaitTimeSeconds=0).get("Messages", [])
            if not messages:
                break
            for message in messages:
                notice, raw = parse(message["Body"], time.time())
                new.append(notice)
                self._raw += raw
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        for notice in new:
            self._log(f"[notice] {notice.kind} for {notice.pipeline}: "
                      f"{notice.state or (notice.payload.get('approval') or {}).get('stageName')}")
            evidence.event("notification", **notice.summary())
        self.notices += new
        return new

    def wait_for(self, predicate: Callable[[Notice], bool], deadline: float | Deadline, what: str,
                 since: int = 0, poll: float = 0.1) -> Notice:
        """The first notice from the `since`-th received on (a count of `notices`) that satisfies
        `predicate`, reading the queue until `deadline`."""
        deadline = Deadline.of(deadline)
        while True:
            self.drain()
            for notice in self.notices[since:]:
                if predicate(notice):
                    return notice
            if deadline.expired():
                seen = [n.summary() for n in self.notices][-5:]
                raise WaitTimeout(f"timed out after {deadline.seconds:.0f}s waiting for {what}; "
                                  f"last notices: {seen}")
            deadline.sleep(poll)

    def holds_any(self, values: list[str]) -> bool:
        """Whether any message received so far contains one of `values` (a build's secrets)."""
        return any(value and value in raw for value in values for raw in self._raw)
