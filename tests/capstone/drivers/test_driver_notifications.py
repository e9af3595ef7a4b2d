"""Reading notifications: SNS envelopes from the queue become notices; the approval token never
leaves the driver (dropped, and cut from the review link), and a build secret in any message is
found."""
from __future__ import annotations

import json

from capstone.drivers.notifications import APPROVAL, EXECUTION, NotificationInbox

TOKEN = "1a2b3c4d-573f-4ea7-a67e-0123456789ab"
APPROVAL_MESSAGE = {
    "region": "us-east-2", "consoleLink": "https://console.aws.amazon.com/codepipeline/home?region=us-east-2#/view/P",
    "approval": {"pipelineName": "P", "stageName": "Approval", "actionName": "ManualApproval", "token": TOKEN,
                 "expires": "2026-12-14T10:00Z", "externalEntityLink": "http://example.com",
                 "approvalReviewLink": "https://console.aws.amazon.com/codepipeline/home?region=us-east-2#/view/P/"
                                       f"Approval/ManualApproval/approve/{TOKEN}",
                 "customData": "please review"}}
EXECUTION_EVENT = {"source": "aws.codepipeline", "detail-type": "CodePipeline Pipeline Execution State Change",
                   "detail": {"pipeline": "P", "execution-id": "e-1", "state": "FAILED", "version": 1}}


class FakeSQS:
    def __init__(self, *messages: dict):
        self.queue = [{"Body": json.dumps({"Type": "Notification", "Subject": "s", "Message": json.dumps(m)}),
                       "ReceiptHandle": str(i)} for i, m in enumerate(messages)]
        self.deleted = []

    def receive_message(self, QueueUrl, MaxNumberOfMessages, WaitTimeSeconds):
        batch, self.queue = self.queue[:MaxNumberOfMessages], self.queue[MaxNumberOfMessages:]
        return {"Messages": batch}

    def delete_message(self, QueueUrl, ReceiptHandle):
        self.deleted.append(ReceiptHandle)


def test_notices_are_read_deleted_and_typed():
    sqs = FakeSQS(APPROVAL_MESSAGE, EXECUTION_EVENT)
    inbox = NotificationInbox(sqs, "url", log=lambda line: None)
    approval, execution = inbox.drain()
    assert sqs.deleted == ["0", "1"] and inbox.drain() == []
    assert (approval.kind, approval.pipeline) == (APPROVAL, "P")
    assert (execution.kind, execution.pipeline, execution.execution_id, execution.state) == (EXECUTION, "P", "e-1", "FAILED")


def test_the_approval_token_never_leaves_the_driver():
    inbox = NotificationInbox(FakeSQS(APPROVAL_MESSAGE), "url", log=lambda line: None)
    [notice] = inbox.drain()
    assert TOKEN not in json.dumps(notice.payload) and TOKEN not in json.dumps(notice.summary())
    assert notice.payload["approval"]["approvalReviewLink"].endswith("/ManualApproval/approve/<token>")
    assert notice.payload["token_was_present"] is True
    assert inbox.holds_any([TOKEN])          # the raw message did carry it (AWS's does)


def test_a_secret_in_any_message_is_found():
    leaked = dict(EXECUTION_EVENT, detail={**EXECUTION_EVENT["detail"], "note": "api-key-s3cr3t"})
    inbox = NotificationInbox(FakeSQS(EXECUTION_EVENT, leaked), "url", log=lambda line: None)
    inbox.drain()
    assert inbox.holds_any(["api-key-s3cr3t"]) and not inbox.holds_any(["something-else"])
