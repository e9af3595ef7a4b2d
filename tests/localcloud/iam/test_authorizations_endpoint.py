"""The authorization log, numbered and read over HTTP: a door call made as an assumed-role session
shows up at GET /_localcloud/iam/authorizations, allowed or refused, and a reader that remembers
a sequence number reads only what came after it."""
from __future__ import annotations

import json
import uuid

import pytest
import requests

from localcloud.iam.authorizations_api import PATH
from localcloud.iam.authorizer import AccessDeniedByPolicy, AuthorizationLog, Decision
from localcloud.principal import Principal

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _decision(n: int) -> Decision:
    return Decision(f"arn:aws:sts::123456789012:assumed-role/r/s{n}", "s3:GetObject", "arn:aws:s3:::b/k", True)


def test_decisions_are_numbered_and_read_after_a_sequence():
    log = AuthorizationLog()
    assert log.since(0).decisions == [] and log.last_sequence == 0
    numbered = [log.record(_decision(n)) for n in range(5)]
    assert [d.sequence for d in numbered] == [1, 2, 3, 4, 5]
    assert [d.sequence for d in log.since(2).decisions] == [3, 4, 5]
    assert [d.sequence for d in log.since(2, limit=2).decisions] == [3, 4]
    assert log.since(5).decisions == [] and log.since(9).decisions == []
    assert log.since(0, limit=0).last_sequence == 5 and log.since(0).dropped == 0


def test_the_bound_drops_the_oldest_and_says_so_and_numbers_are_never_reused():
    log = AuthorizationLog(limit=3)
    for n in range(5):
        log.record(_decision(n))
    page = log.since(0)
    assert [d.sequence for d in page.decisions] == [3, 4, 5] and page.dropped == 2
    assert log.since(3).dropped == 0 and [d.sequence for d in log.since(3).decisions] == [4, 5]
    log.clear()
    assert log.since(4).dropped == 1 and log.since(4).decisions == []
    assert log.record(_decision(9)).sequence == 6


@pytest.fixture
def reader(localcloud):
    def read(**params):
        return requests.get(localcloud.url + PATH, params=params, timeout=10)
    return read


@pytest.mark.integration
def test_the_endpoint_answers_the_decisions_of_a_door_call_made_as_an_assumed_role(aws, localcloud, reader):
    iam, s3, name = aws("iam"), aws("s3"), f"authlog-{uuid.uuid4().hex[:8]}"
    bucket = name
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    role_arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    mark = reader(limit=0).json()["last_sequence"]
    session = Principal.assumed_role(role_arn, "i-0123456789abcdef0")

    assert localcloud.services.s3.get_object(session, bucket, "k") == b"x"
    with pytest.raises(AccessDeniedByPolicy):
        localcloud.services.s3.put_object(session, bucket, "k2", b"y")

    answer = reader(since=mark)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    body = answer.json()
    mine = [d for d in body["decisions"] if d["principal"] == session.arn]
    assert [(d["action"], d["resource"], d["allowed"]) for d in mine] == [
        ("s3:GetObject", f"arn:aws:s3:::{bucket}/k", True), ("s3:PutObject", f"arn:aws:s3:::{bucket}/k2", False)]
    # ARNs and an action only: nothing of the request or the session's credentials
    assert all(set(d) == {"sequence", "principal", "action", "resource", "allowed"} for d in body["decisions"])
    assert all(d["sequence"] > mark for d in body["decisions"])
    assert body["last_sequence"] >= mine[-1]["sequence"] and body["dropped"] == 0
    # read on from a sequence, page by page
    first = reader(since=mark, limit=1).json()["decisions"]
    assert len(first) == 1 and first[0] == body["decisions"][0]
    assert reader(since=mine[-1]["sequence"]).json()["decisions"] == [
        d for d in reader(since=mark).json()["decisions"] if d["sequence"] > mine[-1]["sequence"]]


@pytest.mark.integration
@pytest.mark.parametrize("params", [{"since": "-1"}, {"since": "x"}, {"limit": "1.5"}, {"principal": "a"}])
def test_bad_parameters_are_refused(reader, params):
    answer = reader(**params)
    assert answer.status_code == 400 and answer.json()["__type"] == "ValidationException"


@pytest.mark.integration
def test_the_log_is_read_only(localcloud):
    answer = requests.post(localcloud.url + PATH, data=b"{}", timeout=10)
    assert answer.status_code == 405 and answer.headers["Allow"] == "GET, HEAD"
    assert requests.get(localcloud.url + PATH + "x", timeout=10).status_code == 404
