"""Failed deliveries, as EventBridge handles them: errors a retry cannot fix go straight to the
target's dead-letter queue with AWS's message attributes; retriable ones are retried within
the RetryPolicy, then dead-lettered with the condition that ended them; a DeadLetterConfig
that is not an SQS queue is refused; a reset drops deliveries waiting for a retry."""
from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from localcloud.events import retries
from localcloud.events.retries import InvocationFailed, RetryPolicy, next_step

pytestmark = pytest.mark.integration


def _queue(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _messages(sqs, url, wait=5.0):
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get("Messages", [])
        if got:
            return got
        time.sleep(0.05)
    return []


def test_an_unretriable_failure_goes_to_the_dead_letter_queue_at_once(aws, localcloud):
    suffix = uuid.uuid4().hex[:8]
    sns, sqs, events = aws("sns"), aws("sqs"), aws("events")
    topic = sns.create_topic(Name=f"eb-dlq-{suffix}")["TopicArn"]  # its policy names no service
    dlq_url, dlq_arn = _queue(sqs, f"eb-dlq-{suffix}")
    rule = events.put_rule(Name=f"eb-dlq-{suffix}", EventPattern=json.dumps({"source": [f"test.{suffix}"]}))["RuleArn"]
    events.put_targets(Rule=f"eb-dlq-{suffix}", Targets=[{"Id": "t", "Arn": topic, "DeadLetterConfig": {"Arn": dlq_arn},
                                                           "RetryPolicy": {"MaximumRetryAttempts": 3}}])
    events.put_events(Entries=[{"Source": f"test.{suffix}", "DetailType": "ping", "Detail": json.dumps({"n": 7})}])
    [message] = _messages(sqs, dlq_url)
    assert json.loads(message["Body"])["detail"] == {"n": 7}
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "AuthorizationError"
    assert attributes["RULE_ARN"] == rule and attributes["TARGET_ARN"] == topic
    assert attributes["RETRY_ATTEMPTS"] == "0" and "EXHAUSTED_RETRY_CONDITION" not in attributes


def test_without_a_dead_letter_queue_the_event_is_dropped(aws, localcloud):
    suffix = uuid.uuid4().hex[:8]
    events = aws("events")
    events.put_rule(Name=f"eb-drop-{suffix}", EventPattern=json.dumps({"source": [f"test.{suffix}"]}))
    events.put_targets(Rule=f"eb-drop-{suffix}", Targets=[{"Id": "t", "Arn": f"arn:aws:sqs:us-east-1:{localcloud.account_id}:missing-{suffix}"}])
    events.put_events(Entries=[{"Source": f"test.{suffix}", "DetailType": "ping", "Detail": "{}"}])
    assert localcloud.provider("events").bus.wait_idle(5)


def test_retriable_failures_are_retried_then_dead_lettered(aws, localcloud, monkeypatch):
    """A target answering 5xx (here a log group door that fails as a service outage would) is
    retried MaximumRetryAttempts times, then dead-lettered with MaximumRetryAttemptsExhausted."""
    from localcloud.events import bus as bus_module

    suffix = uuid.uuid4().hex[:8]
    sqs, events, logs = aws("sqs"), aws("events"), aws("logs")
    dlq_url, dlq_arn = _queue(sqs, f"eb-retry-{suffix}")
    logs.create_log_group(logGroupName=f"/eb/retry-{suffix}")
    group_arn = f"arn:aws:logs:us-east-1:{localcloud.account_id}:log-group:/eb/retry-{suffix}"
    attempts = []

    def outage(self, event, target, rule, parts):
        attempts.append(time.monotonic())
        raise InvocationFailed("ServiceUnavailable", "the target is down", retriable=True)
    monkeypatch.setattr(bus_module.EventBus, "_to_log_group", outage)
    events.put_rule(Name=f"eb-retry-{suffix}", EventPattern=json.dumps({"source": [f"test.{suffix}"]}))
    events.put_targets(Rule=f"eb-retry-{suffix}", Targets=[{"Id": "t", "Arn": group_arn, "DeadLetterConfig": {"Arn": dlq_arn},
                                                             "RetryPolicy": {"MaximumRetryAttempts": 2,
                                                                             "MaximumEventAgeInSeconds": 3600}}])
    events.put_events(Entries=[{"Source": f"test.{suffix}", "DetailType": "ping", "Detail": "{}"}])
    [message] = _messages(sqs, dlq_url, wait=10)
    assert len(attempts) == 3  # the first attempt and two retries
    gaps = [b - a for a, b in zip(attempts, attempts[1:])]
    scale = localcloud.clock.scaled(1.0)
    assert gaps[0] >= 0.9 * retries.delay(1) * scale and gaps[1] >= 0.9 * retries.delay(2) * scale
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttemptsExhausted"
    assert attributes["RETRY_ATTEMPTS"] == "2" and attributes["ERROR_CODE"] == "ServiceUnavailable"


def test_the_dead_letter_config_must_be_a_queue(aws):
    suffix = uuid.uuid4().hex[:8]
    events = aws("events")
    events.put_rule(Name=f"eb-bad-{suffix}", EventPattern=json.dumps({"source": ["x"]}))
    with pytest.raises(ClientError) as err:
        events.put_targets(Rule=f"eb-bad-{suffix}", Targets=[{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:123456789012:q",
                                                               "DeadLetterConfig": {"Arn": "arn:aws:sns:us-east-1:123456789012:t"}}])
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "must be an SQS queue ARN" in err.value.response["Error"]["Message"]


@pytest.mark.parametrize("policy, retriable, done, age, expected", [
    (RetryPolicy(185, 86400), False, 0, 0, ("give up", None)),
    (RetryPolicy(185, 86400), True, 0, 0, ("retry", None)),
    (RetryPolicy(2, 86400), True, 2, 0, ("give up", "MaximumRetryAttemptsExhausted")),
    (RetryPolicy(185, 60), True, 6, 30, ("give up", "MaximumEventAgeExceeded")),  # next wait 64 s > 60
    (RetryPolicy(0, 86400), True, 0, 0, ("give up", "MaximumRetryAttemptsExhausted")),
])
def test_the_retry_decision(policy, retriable, done, age, expected):
    assert next_step(policy, InvocationFailed("X", "y", retriable), done, age) == expected


def test_defaults_are_awss():
    assert RetryPolicy.of({}) == RetryPolicy(185, 86400)
    assert [retries.delay(n) for n in (1, 2, 3, 10, 20)] == [1, 2, 4, 300, 300]
