"""Approval / AWS / Manual: wait for PutApprovalResult, a timeout, or being abandoned.

The token is a UUID on the action's latestExecution (never the stage's) while it waits (https://docs.aws.amazon.com/codepipeline/latest/userguide/approvals.html).
Timeout: `timeoutInMinutes` or 7 days, scaled by the cloud's clock; a timeout fails the action
like a rejection. When `NotificationArn` is set, the approval request is published to that SNS
topic in the JSON format of approvals-json-format.md.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from localcloud.codepipeline.actions import ActionRun, Outcome
from localcloud.exceptions import ServiceError

DEFAULT_TIMEOUT_MINUTES = 7 * 24 * 60
PENDING, DECIDED, EXPIRED, WITHDRAWN = "pending", "decided", "expired", "withdrawn"


@dataclass
class Approval:
    token: str
    pipeline_execution_id: str
    stage_name: str
    action_name: str
    expires: datetime
    state: str = PENDING
    status: str | None = None          # Approved | Rejected
    summary: str | None = None
    decided_by: str | None = None
    event: threading.Event = field(default_factory=threading.Event)


def _console(region: str, pipeline: str) -> str:
    return f"https://console.aws.amazon.com/codepipeline/home?region={region}#/view/{pipeline}"


def notification(run: ActionRun, approval: Approval) -> tuple[str, str]:
    config = run.configuration
    # AWS's documented form (approvals-json-format): .../#/view/PIPELINE/STAGE/ACTION/approve/TOKEN
    review = (f"{_console(run.region, run.pipeline_name)}/{run.stage_name}/{run.action_name}/approve/"
              f"{approval.token}")
    body = {
        "region": run.region,
        "consoleLink": _console(run.region, run.pipeline_name),
        "approval": {
            "pipelineName": run.pipeline_name,
            "stageName": run.stage_name,
            "actionName": run.action_name,
            "token": approval.token,
            "expires": approval.expires.strftime("%Y-%m-%dT%H:%MZ"),
            "externalEntityLink": config.get("ExternalEntityLink"),
            "approvalReviewLink": review,
            "customData": config.get("CustomData"),
        },
    }
    subject = f"APPROVAL NEEDED: AWS CodePipeline {run.pipeline_name} for action {run.action_name}"
    return subject[:100], json.dumps(body)


def run(run: ActionRun) -> Outcome:
    minutes = run.declaration.get("timeoutInMinutes") or DEFAULT_TIMEOUT_MINUTES
    approval: Approval = run.open_approval(datetime.now(timezone.utc) + timedelta(minutes=minutes))
    topic = run.configuration.get("NotificationArn")
    if topic:
        subject, message = notification(run, approval)
        try:
            run.cloud.services.sns.publish(run.principal, topic, message, subject=subject)
        except ServiceError as err:
            code, text = err.code, err.message
            approval.state = WITHDRAWN
            return Outcome.failed("ConfigurationError", f"Unable to publish the approval notification to {topic}: {code}: {text}")
    decided = approval.event.wait(run.cloud.clock.scaled(minutes * 60))
    if not decided:
        approval.state = EXPIRED
        # UNCONFIRMED: the errorDetails of a timed-out approval (docs/aws-behaviour.md, "Other unconfirmed choices").
        return Outcome.failed("JobFailed", f"Approval timed out after {minutes} minutes without a response")
    if approval.state != DECIDED:   # abandoned (stop, supersede of a retried run, pipeline update)
        return Outcome.failed("JobFailed", "abandoned")
    if approval.status == "Approved":
        return Outcome("Succeeded", summary=approval.summary)
    # UNCONFIRMED: the errorDetails of a rejection (docs/aws-behaviour.md); the reviewer's summary stays the summary.
    return Outcome.failed("JobFailed", f"Rejected by {approval.decided_by}: {approval.summary or ''}".rstrip(": "),
                          summary=approval.summary)
