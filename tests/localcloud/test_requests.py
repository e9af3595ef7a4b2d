"""Requests localcloud cannot act on get AWS's 4xx in their protocol's shape, as a client nobody
here wrote (botocore, raw HTTP) parses it; never a 500 (which botocore retries) or another
service's answer."""
from __future__ import annotations

import json
import socket
from urllib.parse import urlparse

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.request_body import LIMITS, MAX_JSON_DEPTH

pytestmark = pytest.mark.integration

SIGNED = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{}/aws4_request, SignedHeaders=host, Signature=0"


def _json(url, target, body, service="codecommit", **headers):
    return requests.post(url, data=body, timeout=30, headers={
        "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1",
        "Authorization": SIGNED.format(service), **headers})


def _query(url, body, service):
    return requests.post(url, data=body, timeout=30, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Authorization": SIGNED.format(service)})


def test_an_unknown_target_is_unknown_operation_not_s3(localcloud):
    for auth in ({}, {"Authorization": ""}):
        resp = requests.post(localcloud.url, data=b"{}", timeout=10, headers={
            "X-Amz-Target": "NoSuchService_20990101.ListThings", "Content-Type": "application/x-amz-json-1.1", **auth})
        assert resp.status_code == 400, resp.text
        assert resp.headers["x-amzn-ErrorType"] == "UnknownOperationException"
        assert resp.json()["__type"] == "UnknownOperationException"
        assert "ListAllMyBuckets" not in resp.text


def test_an_unknown_operation_of_a_service_is_unknown_operation(localcloud):
    resp = _json(localcloud.url, "CodeCommit_20150413.NoSuchOperation", b"{}")
    assert resp.status_code == 400
    assert resp.json()["__type"] == "UnknownOperationException"
    for target in ("Logs_20140328.NoSuchOperation", "NotLogs_1.DescribeLogGroups", "no-dot-at-all", "."):
        resp = _json(localcloud.url, target, b"{}", service="logs")
        assert resp.status_code == 400 and resp.json()["__type"] == "UnknownOperationException", (target, resp.text)


def test_an_unknown_query_action_is_invalid_action_in_xml(localcloud):
    resp = _query(localcloud.url, "Action=NoSuchAction&Version=2011-01-01", "autoscaling")
    assert resp.status_code == 400
    assert "<Code>InvalidAction</Code>" in resp.text and resp.text.startswith("<?xml")
    resp = _query(localcloud.url, "Version=2010-05-08", "iam")
    assert resp.status_code == 400 and "<Code>MissingAction</Code>" in resp.text


@pytest.mark.parametrize("body", [b'{"repositoryName": ', b"[1, 2]", b"\xff\xfe", b'"a string"'])
def test_a_malformed_json_body_is_a_serialization_error(localcloud, body):
    for target, service in (("CodeCommit_20150413.GetRepository", "codecommit"), ("Logs_20140328.DescribeLogGroups", "logs")):
        resp = _json(localcloud.url, target, body, service=service)
        assert resp.status_code == 400, (target, resp.text)
        assert resp.json()["__type"] == "SerializationException"


def test_nesting_deeper_than_the_limit_is_refused_and_the_limit_itself_is_read(localcloud):
    deep = b'{"repositoryName": "x", "a": ' + b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH + b"}"
    resp = _json(localcloud.url, "CodeCommit_20150413.GetRepository", deep)
    assert resp.status_code == 400 and resp.json()["__type"] == "SerializationException"
    assert "deeper" in resp.json()["message"]
    very_deep = b"[" * 100_000 + b"]" * 100_000
    resp = _json(localcloud.url, "Logs_20140328.DescribeLogGroups", very_deep, service="logs")
    assert resp.status_code == 400 and resp.json()["__type"] == "SerializationException"
    ok = b'{"repositoryName": "no-such-repo-x", "n": ' + b"[" * (MAX_JSON_DEPTH - 1) + b"]" * (MAX_JSON_DEPTH - 1) + b"}"
    resp = _json(localcloud.url, "CodeCommit_20150413.GetRepository", ok)
    assert resp.json()["__type"] != "SerializationException"


def _raw(url: str, head: bytes, body: bytes = b"") -> tuple[int, bytes]:
    """One request over a plain socket: requests would not send a lying Content-Length."""
    parsed = urlparse(url)
    with socket.create_connection((parsed.hostname, parsed.port), timeout=10) as sock:
        sock.sendall(head + b"\r\n" + body)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer


@pytest.mark.parametrize("length, code", [(b"abc", b"SerializationException"), (b"-5", b"SerializationException"),
                                          (b"100", b"SerializationException")])
def test_a_bad_content_length_is_a_400(localcloud, length, code):
    head = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: CodeCommit_20150413.ListRepositories\r\n"
            b"Content-Type: application/x-amz-json-1.1\r\nConnection: close\r\nContent-Length: " + length + b"\r\n")
    status, answer = _raw(localcloud.url, head, b"{}")
    assert status == 400, answer[:300]
    assert code in answer


def test_an_oversized_body_is_refused_with_413_before_it_is_read(localcloud):
    limit = LIMITS["json"]
    head = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: CodeCommit_20150413.ListRepositories\r\n"
            b"Content-Type: application/x-amz-json-1.1\r\nConnection: close\r\nContent-Length: "
            + str(limit + 1).encode() + b"\r\n")
    status, answer = _raw(localcloud.url, head, b"{}")  # the 10 MiB are never sent
    assert status == 413
    assert b"RequestEntityTooLargeException" in answer
    resp = _query(localcloud.url, "Action=ListRoles&Version=2010-05-08&Pad=" + "x" * LIMITS["query"], "iam")
    assert resp.status_code == 413 and "<Code>RequestEntityTooLargeException</Code>" in resp.text


def test_an_operation_moto_has_not_implemented_is_501_in_the_protocols_shape(localcloud):
    client = boto3.session.Session().client(
        "codepipeline", endpoint_url=localcloud.url, region_name="us-east-1", aws_access_key_id="testing",
        aws_secret_access_key="testing", config=Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as exc:
        client.list_webhooks()
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert exc.value.response["Error"]["Code"] == "NotImplemented"
    assert exc.value.response["ResponseMetadata"]["RetryAttempts"] == 0


def test_an_internal_failure_reaches_a_query_client_as_xml(localcloud, monkeypatch):
    """A provider bug on a query service must be a ClientError botocore can parse, not a parser error."""
    ops = localcloud.router.query_ops["sts"][1]

    def boom(params, ctx):
        raise RuntimeError("planted failure")

    monkeypatch.setitem(ops, "AssumeRole", boom)
    sts = boto3.session.Session().client(
        "sts", endpoint_url=localcloud.url, region_name="us-east-1", aws_access_key_id="testing",
        aws_secret_access_key="testing", config=Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/x", RoleSessionName="planted")
    assert exc.value.response["Error"]["Code"] == "InternalFailure"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_validation_answers_the_operations_own_error_in_aws_words(localcloud):
    client = boto3.session.Session().client(
        "codecommit", endpoint_url=localcloud.url, region_name="us-east-1", aws_access_key_id="testing",
        aws_secret_access_key="testing", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as exc:
        client.get_repository(repositoryName="bad name!")
    assert exc.value.response["Error"]["Code"] == "InvalidRepositoryNameException"
    assert "at 'repositoryName'" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        client.create_repository()
    assert exc.value.response["Error"]["Code"] == "RepositoryNameRequiredException"
    events = _json(localcloud.url, "AWSEvents.PutEvents", json.dumps({"Entries": []}), service="events")
    assert events.status_code == 400
    assert events.json() == {"__type": "ValidationException", "message": (
        "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1")}


def test_a_deep_rest_json_body_is_a_serialization_error(localcloud):
    resp = requests.post(f"{localcloud.url}/v1/domain?domain=deep-domain", data=b"[" * 50_000 + b"]" * 50_000,
                         timeout=30, headers={"Authorization": SIGNED.format("codeartifact"),
                                              "Content-Type": "application/json"})
    assert resp.status_code == 400, resp.text
    assert resp.headers["x-amzn-ErrorType"] == "SerializationException"
