"""A credential scope whose Region is no Region is refused before any service sees it, in the
request's protocol: a Region names per-Region state, on disk too, so ".." must go nowhere (a scope with a slash does not parse as one)."""
from __future__ import annotations

import json

import pytest
import requests

pytestmark = pytest.mark.integration


def _auth(region: str, service: str) -> str:
    return (f"AWS4-HMAC-SHA256 Credential=testing/20261207/{region}/{service}/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)


@pytest.mark.parametrize("region", ["..", "us-east-1..", "US-EAST-1", "nowhere"])
def test_a_json_request_scoped_to_a_bad_region_is_refused(localcloud, region):
    answer = requests.post(localcloud.url, data=json.dumps({"repositoryName": "x"}), timeout=10, headers={
        "X-Amz-Target": "CodeCommit_20150413.CreateRepository", "Content-Type": "application/x-amz-json-1.1",
        "Authorization": _auth(region, "codecommit"), "X-Amz-Date": "20261207T000000Z"})
    assert answer.status_code == 403
    assert answer.json()["__type"] == "InvalidSignatureException"
    assert f"Credential should be scoped to a valid region, not '{region}'" in answer.json()["message"]


def test_a_query_request_scoped_to_a_bad_region_is_refused_in_xml(localcloud):
    answer = requests.post(localcloud.url, data="Action=ListQueues&Version=2012-11-05", timeout=10, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Authorization": _auth("..", "sqs"),
        "X-Amz-Date": "20261207T000000Z"})
    assert answer.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in answer.text


def test_real_regions_pass(aws):
    for region in ("eu-west-1", "ap-southeast-2", "us-gov-west-1"):
        assert "repositories" in aws("codecommit", region).list_repositories()
