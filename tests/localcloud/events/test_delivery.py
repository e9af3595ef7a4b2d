"""EventBridge delivery: PutEvents and in-process publish reach matching rules' targets, SQS
through moto and registered prefixes (the pipeline seam) through their handler."""
from __future__ import annotations

import json
import threading
import uuid

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration


@pytest.fixture
def events(aws):
    return aws("events")


@pytest.fixture
def queue(aws):
    """(url, arn) of a fresh SQS queue."""
    sqs = aws("sqs")
    url = sqs.create_queue(QueueName=f"ev-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _rule(events, pattern: dict, targets: list[dict], **kwargs) -> str:
    name = f"rule-{uuid.uuid4().hex[:10]}"
    events.put_rule(Name=name, EventPattern=json.dumps(pattern), **kwargs)
    events.put_targets(Rule=name, Targets=targets)
    return name


def _drain(localcloud, sqs, url: str) -> list[str]:
    assert localcloud.services.events.wait_idle(10)
    bodies: list[str] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return bodies
        bodies += [m["Body"] for m in got]


def test_put_events_reaches_an_sqs_target_with_the_full_envelope(localcloud, aws, events, queue):
    source = f"app.{uuid.uuid4().hex[:6]}"
    _rule(events, {"source": [source], "detail": {"level": ["high"]}}, [{"Id": "q", "Arn": queue[1]}])
    out = events.put_events(Entries=[
        {"Source": source, "DetailType": "Alert", "Detail": json.dumps({"level": "high"}), "Resources": ["arn:aws:s3:::b"]},
        {"Source": source, "DetailType": "Alert", "Detail": json.dumps({"level": "low"})},
    ])
    assert out["FailedEntryCount"] == 0 and all("EventId" in e for e in out["Entries"])
    bodies = [json.loads(b) for b in _drain(localcloud, aws("sqs"), queue[0])]
    assert len(bodies) == 1
    event = bodies[0]
    assert event["id"] == out["Entries"][0]["EventId"]
    assert set(event) == {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
    assert (event["source"], event["detail-type"], event["account"], event["region"]) == (source, "Alert", "123456789012", "us-east-1")
    assert event["resources"] == ["arn:aws:s3:::b"] and event["detail"] == {"level": "high"}


def test_a_pipeline_target_is_reached_through_codepipelines_door_as_the_target_role(localcloud, aws, events, monkeypatch):
    role_name = f"events-{uuid.uuid4().hex[:6]}"
    role_arn = aws("iam").create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    seen: list[tuple] = []
    done = threading.Event()

    def deliver(principal, pipeline_arn, event, rule, body):
        seen.append((event, {"Arn": pipeline_arn, "principal": principal}, rule, body))
        done.set()

    prefix = f"arn:aws:codepipeline:us-east-1:123456789012:seam-{uuid.uuid4().hex[:6]}"
    monkeypatch.setattr(localcloud.services.codepipeline, "start_execution_for_event", deliver)
    source = f"app.{uuid.uuid4().hex[:6]}"
    target = {"Id": "pipeline", "Arn": prefix + "-pipe", "RoleArn": role_arn,
              "InputTransformer": {"InputPathsMap": {"c": "$.detail.commitId"},
                                   "InputTemplate": '{"sourceRevisions": [{"revisionValue": "<c>"}]}'}}
    rule = _rule(events, {"source": [source]}, [target])
    events.put_events(Entries=[{"Source": source, "DetailType": "Push", "Detail": json.dumps({"commitId": "abc"})}])
    assert done.wait(10)
    event, got_target, got_rule, body = seen[0]
    assert event["detail"] == {"commitId": "abc"} and event["region"] == "us-east-1"
    assert json.loads(body) == {"sourceRevisions": [{"revisionValue": "abc"}]}, "EventBridge renders the input"
    assert got_target["Arn"] == target["Arn"]
    assert got_target["principal"].arn.startswith(f"arn:aws:sts::123456789012:assumed-role/{role_name}/"), \
        "EventBridge starts the pipeline as the session of the target's role"
    assert got_rule["Name"] == rule and got_rule["Arn"].endswith(f":rule/{rule}")


def test_disabled_and_schedule_rules_do_not_deliver(localcloud, aws, events, queue):
    source = f"app.{uuid.uuid4().hex[:6]}"
    name = _rule(events, {"source": [source]}, [{"Id": "q", "Arn": queue[1]}])
    events.disable_rule(Name=name)
    scheduled = f"sched-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=scheduled, ScheduleExpression="rate(5 minutes)")
    events.put_targets(Rule=scheduled, Targets=[{"Id": "q", "Arn": queue[1]}])
    events.put_events(Entries=[{"Source": source, "DetailType": "X", "Detail": "{}"}])
    assert _drain(localcloud, aws("sqs"), queue[0]) == []
    events.enable_rule(Name=name)
    events.put_events(Entries=[{"Source": source, "DetailType": "X", "Detail": "{}"}])
    assert len(_drain(localcloud, aws("sqs"), queue[0])) == 1


def test_target_input_forms(localcloud, aws, events, queue):
    source = f"app.{uuid.uuid4().hex[:6]}"
    _rule(events, {"source": [source]}, [
        {"Id": "constant", "Arn": queue[1], "Input": '{"fixed": true}'},
        {"Id": "path", "Arn": queue[1], "InputPath": "$.detail"},
        {"Id": "transform", "Arn": queue[1], "InputTransformer": {
            "InputPathsMap": {"name": "$.detail.name", "src": "$.source"},
            "InputTemplate": '{"who": "<name>", "from": "<src>", "rule": "<aws.events.rule-name>"}'}},
    ])
    events.put_events(Entries=[{"Source": source, "DetailType": "X", "Detail": json.dumps({"name": 'say "hi"'})}])
    bodies = sorted(_drain(localcloud, aws("sqs"), queue[0]))
    parsed = [json.loads(b) for b in bodies]
    assert {"fixed": True} in parsed
    assert {"name": 'say "hi"'} in parsed
    transformed = next(p for p in parsed if "who" in p)
    assert transformed["who"] == 'say "hi"' and transformed["from"] == source and transformed["rule"].startswith("rule-")


def test_put_events_entry_errors(events):
    out = events.put_events(Entries=[
        {"Source": "aws.codecommit", "DetailType": "X", "Detail": "{}"},
        {"Source": "app.x", "DetailType": "X", "Detail": "not json"},
        {"Source": "app.x", "DetailType": "X", "Detail": "[1, 2]"},
        {"Source": "app.x", "Detail": "{}"},
        {"Source": "app.x", "DetailType": "X", "Detail": "{}"},
    ])
    assert out["FailedEntryCount"] == 4
    codes = [e.get("ErrorCode") for e in out["Entries"]]
    assert codes == ["NotAuthorizedForSourceException", "MalformedDetail", "MalformedDetail", "InvalidArgument", None]
    assert "EventId" in out["Entries"][4]


def test_put_events_to_an_unknown_bus(events):
    with pytest.raises(ClientError) as exc:
        events.put_events(Entries=[{"Source": "app.x", "DetailType": "X", "Detail": "{}", "EventBusName": "no-such-bus"}])
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_put_events_entries_limit_is_validated(events):
    with pytest.raises(ClientError) as exc:
        events.put_events(Entries=[{"Source": "app.x", "DetailType": "X", "Detail": "{}"}] * 11)
    assert exc.value.response["Error"]["Code"] == "ValidationException"


def test_an_undeliverable_target_does_not_lose_the_others(localcloud, aws, events, queue):
    source = f"app.{uuid.uuid4().hex[:6]}"
    _rule(events, {"source": [source]}, [
        {"Id": "nowhere", "Arn": "arn:aws:lambda:us-east-1:123456789012:function:not-emulated"},
        {"Id": "q", "Arn": queue[1]},
    ])
    events.put_events(Entries=[{"Source": source, "DetailType": "X", "Detail": "{}"}])
    assert len(_drain(localcloud, aws("sqs"), queue[0])) == 1


def test_log_group_target_gets_the_event(localcloud, aws, events):
    logs = aws("logs")
    group = f"/aws/events/test-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    source = f"app.{uuid.uuid4().hex[:6]}"
    _rule(events, {"source": [source]}, [{"Id": "log", "Arn": f"arn:aws:logs:us-east-1:123456789012:log-group:{group}:*"}])
    event_id = events.put_events(Entries=[{"Source": source, "DetailType": "X", "Detail": '{"n": 1}'}])["Entries"][0]["EventId"]
    assert localcloud.services.events.wait_idle(10)
    messages = [json.loads(e["message"]) for e in logs.filter_log_events(logGroupName=group)["events"]]
    assert [(m["id"], m["detail"]) for m in messages] == [(event_id, {"n": 1})]
