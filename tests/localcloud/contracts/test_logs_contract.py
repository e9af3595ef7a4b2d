import time

import pytest

from localcloud.logs.exceptions import ResourceNotFoundException
from tests.localcloud.contracts.conftest import ACCOUNT, CALLER, decisions, unique


def test_group_stream_events(aws, doors, authorizer):
    group = unique("/door/logs")
    assert doors.logs.create_log_group(CALLER, group) is True
    assert doors.logs.create_log_group(CALLER, group) is False      # already there: fine
    assert doors.logs.create_log_stream(CALLER, group, "s1") is True
    assert doors.logs.create_log_stream(CALLER, group, "s1") is False
    now = int(time.time() * 1000)
    doors.logs.put_log_events(CALLER, group, "s1", [(now, "one\n"), (now + 1, "two\n")])
    events = aws("logs").get_log_events(logGroupName=group, logStreamName="s1", startFromHead=True)["events"]
    assert [(e["timestamp"], e["message"]) for e in events] == [(now, "one\n"), (now + 1, "two\n")]
    with pytest.raises(ResourceNotFoundException):
        doors.logs.create_log_stream(CALLER, "/no/such/group", "s")
    with pytest.raises(ResourceNotFoundException):
        doors.logs.put_log_events(CALLER, group, "no-stream", [(now, "x")])
    arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{group}"
    assert decisions(authorizer)[:4] == [
        (CALLER.arn, "logs:CreateLogGroup", arn), (CALLER.arn, "logs:CreateLogGroup", arn),
        (CALLER.arn, "logs:CreateLogStream", f"{arn}:log-stream:s1"), (CALLER.arn, "logs:CreateLogStream", f"{arn}:log-stream:s1"),
    ]
    assert decisions(authorizer)[4] == (CALLER.arn, "logs:PutLogEvents", f"{arn}:log-stream:s1")
