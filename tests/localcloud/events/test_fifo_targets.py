"""EventBridge targets on SQS FIFO queues: PutTargets requires SqsParameters.MessageGroupId, and
a delivery carries that group id and, unless the queue deduplicates by content, the event id as
its deduplication id (localcloud/events/target_rules.py, bus.py)."""
from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration


def _fifo_queue(sqs, content_based: bool) -> tuple[str, str]:
    attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true" if content_based else "false"}
    url = sqs.create_queue(QueueName=f"ev-{uuid.uuid4().hex[:10]}.fifo", Attributes=attributes)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _rule(events, source: str) -> str:
    name = f"rule-{uuid.uuid4().hex[:10]}"
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [source]}))
    return name


@pytest.mark.parametrize("params", [None, {}, {"MessageGroupId": ""}], ids=["absent", "empty", "blank-group"])
def test_a_fifo_queue_target_without_a_message_group_id_is_refused(aws, params):
    events, sqs = aws("events"), aws("sqs")
    _, arn = _fifo_queue(sqs, content_based=False)
    rule = _rule(events, "app.fifo")
    target = {"Id": "fifo", "Arn": arn, **({"SqsParameters": params} if params is not None else {})}
    with pytest.raises(ClientError) as err:
        events.put_targets(Rule=rule, Targets=[{"Id": "plain-ok", "Arn": "arn:aws:sqs:us-east-1:123456789012:x"}, target])
    error = err.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("ValidationException", "Parameter(s) SqsParameters must be specified for target: fifo.")
    assert events.list_targets_by_rule(Rule=rule)["Targets"] == []  # nothing of the request is stored


def test_a_message_group_id_over_100_characters_is_refused(aws):
    events, sqs = aws("events"), aws("sqs")
    _, arn = _fifo_queue(sqs, content_based=False)
    rule = _rule(events, "app.fifo")
    with pytest.raises(ClientError) as err:
        events.put_targets(Rule=rule, Targets=[{"Id": "fifo", "Arn": arn, "SqsParameters": {"MessageGroupId": "g" * 101}}])
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "100" in err.value.response["Error"]["Message"]


@pytest.mark.parametrize("content_based", [False, True], ids=["dedup-by-event-id", "dedup-by-content"])
def test_deliveries_to_a_fifo_queue_carry_the_group_id_and_deduplicate_as_aws_does(localcloud, aws, content_based):
    events, sqs = aws("events"), aws("sqs")
    url, arn = _fifo_queue(sqs, content_based)
    source = f"app.{uuid.uuid4().hex[:6]}"
    rule = _rule(events, source)
    # a constant Input: two events give two identical bodies
    events.put_targets(Rule=rule, Targets=[{"Id": "fifo", "Arn": arn, "Input": '{"same": true}',
                                            "SqsParameters": {"MessageGroupId": "releases"}}])
    out = events.put_events(Entries=[{"Source": source, "DetailType": "T", "Detail": "{}"} for _ in range(2)])
    assert out["FailedEntryCount"] == 0
    assert localcloud.services.events.wait_idle(10)
    got = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
        if not batch:
            break
        got += batch
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert {m["Attributes"]["MessageGroupId"] for m in got} == {"releases"}
    if content_based:
        # the queue deduplicates by body: the second identical body is a duplicate
        assert len(got) == 1
    else:
        # each event's id is its deduplication id: both arrive
        assert sorted(m["Attributes"]["MessageDeduplicationId"] for m in got) == sorted(e["EventId"] for e in out["Entries"])
