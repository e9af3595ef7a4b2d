import json

import pytest

from localcloud.sns.exceptions import NotFound
from localcloud.sqs.exceptions import QueueDoesNotExist
from tests.localcloud.contracts.conftest import ACCOUNT, CALLER, decisions, unique


def test_publish_reaches_a_subscribed_queue(aws, doors, authorizer):
    sns, sqs = aws("sns"), aws("sqs")
    topic = sns.create_topic(Name=unique("door-topic"))["TopicArn"]
    url = sqs.create_queue(QueueName=unique("door-queue"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    message_id = doors.sns.publish(CALLER, topic, "approve me", subject="APPROVAL NEEDED", attributes={"k": "v"})
    [received] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    envelope = json.loads(received["Body"])
    assert (envelope["MessageId"], envelope["Subject"], envelope["Message"]) == (message_id, "APPROVAL NEEDED", "approve me")
    with pytest.raises(NotFound) as err:
        doors.sns.publish(CALLER, f"arn:aws:sns:us-east-1:{ACCOUNT}:no-such-topic", "m")
    assert err.value.status == 404
    assert decisions(authorizer)[0] == (CALLER.arn, "sns:Publish", topic)


def test_send_message(aws, doors, authorizer):
    sqs = aws("sqs")
    url = sqs.create_queue(QueueName=unique("door-queue"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    message_id = doors.sqs.send_message(CALLER, arn, "body", attributes={"source": "door"})
    [received] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    assert (received["MessageId"], received["Body"]) == (message_id, "body")
    assert received["MessageAttributes"]["source"]["StringValue"] == "door"
    with pytest.raises(QueueDoesNotExist) as err:
        doors.sqs.send_message(CALLER, f"arn:aws:sqs:us-east-1:{ACCOUNT}:no-such-queue", "b")
    assert err.value.code == "AWS.SimpleQueueService.NonExistentQueue"
    assert decisions(authorizer)[0] == (CALLER.arn, "sqs:SendMessage", arn)
