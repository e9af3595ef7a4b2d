"""EventBridge publishes to an SNS topic as itself, so the topic's access policy decides, as on
AWS: allowed for the rule, the event reaches the topic's SQS subscriber; not allowed (moto's
default topic policy names no service), nothing is delivered."""
from __future__ import annotations

import json
import time
import uuid

import pytest

pytestmark = pytest.mark.integration


def _setup(aws, allow: bool):
    suffix = uuid.uuid4().hex[:8]
    sns, sqs, events = aws("sns"), aws("sqs"), aws("events")
    topic = sns.create_topic(Name=f"eb-sns-{suffix}")["TopicArn"]
    url = sqs.create_queue(QueueName=f"eb-sns-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    rule = events.put_rule(Name=f"eb-sns-{suffix}", EventPattern=json.dumps({"source": [f"test.{suffix}"]}))["RuleArn"]
    if allow:
        sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish",
                "Resource": topic, "Condition": {"ArnEquals": {"aws:SourceArn": rule}}}]}))
    events.put_targets(Rule=f"eb-sns-{suffix}", Targets=[{"Id": "t", "Arn": topic}])
    events.put_events(Entries=[{"Source": f"test.{suffix}", "DetailType": "ping", "Detail": json.dumps({"n": 1})}])
    return sqs, url


def _received(sqs, url, wait: float = 3.0) -> list[dict]:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if messages:
            return [json.loads(m["Body"]) for m in messages]
        time.sleep(0.1)
    return []


def test_a_topic_policy_allowing_the_rule_gets_the_event(aws, localcloud):
    sqs, url = _setup(aws, allow=True)
    [envelope] = _received(sqs, url)
    assert envelope["Type"] == "Notification"
    assert json.loads(envelope["Message"])["detail"] == {"n": 1}


def test_a_topic_policy_not_naming_eventbridge_gets_nothing(aws, localcloud):
    sqs, url = _setup(aws, allow=False)
    assert localcloud.services.events.wait_idle(10)
    assert _received(sqs, url, wait=1.0) == []
