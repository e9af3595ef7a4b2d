"""The suite's own identity under the documented suite policy (capstone/suite_identity.py): the
user it creates holds exactly that policy, localcloud holds it to it, a policy missing an
action the suite needs fails the set-up naming the action, and the user is gone afterwards."""
import json
import os

import pytest
from botocore.exceptions import ClientError

from capstone import leaks, suite_identity
from capstone.environment import Environment
from capstone.target import Target

pytestmark = pytest.mark.integration


@pytest.fixture
def root(localcloud, tmp_path, monkeypatch):
    monkeypatch.setenv("CAPSTONE_REPORTS_DIR", str(tmp_path))
    return Target("local", localcloud.region, localcloud.url)


def test_the_suite_identity_acts_as_its_user_and_only_within_the_policy(root):
    identity = suite_identity.create(root)
    try:
        as_suite = suite_identity.target_as(root, identity)
        assert as_suite.client("sts").get_caller_identity()["Arn"].endswith(f":user/{identity.user_name}")
        assert identity.secret_access_key not in repr(identity) and identity.secret_access_key not in repr(as_suite)
        as_suite.client("codepipeline").list_pipelines()  # granted
        with pytest.raises(ClientError) as denied:
            as_suite.client("dynamodb").list_tables()  # not granted: the suite uses no DynamoDB
        assert denied.value.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException")
    finally:
        suite_identity.delete(root, identity)
        suite_identity.delete(root, identity)  # idempotent
    assert identity.user_name not in [u["UserName"] for u in root.client("iam").list_users()["Users"]]


def test_a_policy_missing_an_action_the_suite_needs_fails_the_setup_naming_it(root, monkeypatch, tmp_path):
    document = suite_identity.policy_document()
    for statement in document["Statement"]:
        if isinstance(statement["Action"], list) and "codecommit:CreateRepository" in statement["Action"]:
            statement["Action"].remove("codecommit:CreateRepository")
    reduced = tmp_path / "policy.json"
    reduced.write_text(json.dumps(document))
    monkeypatch.setattr(suite_identity, "SUITE_POLICY", reduced)
    identity = suite_identity.create(root)
    prefix = f"t{os.getpid() % 1000}-op"
    try:
        with pytest.raises(Exception) as failed:
            Environment.up(suite_identity.target_as(root, identity), prefix=prefix, run_id=f"run-{prefix}",
                           progress=lambda line: None)
        assert "codecommit:CreateRepository" in str(failed.value)
        assert leaks.find(root, prefix).ok, "what was created before the refusal was torn down"
    finally:
        suite_identity.delete(root, identity)
