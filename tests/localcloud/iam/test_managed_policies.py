"""AWS managed policies are built once per process, and each IAM backend gets its own copies:
a reset is cheap, and nothing one backend does to a policy shows on another."""
import json
import uuid

import pytest

pytestmark = pytest.mark.integration

ARN = "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole"


def test_managed_policies_survive_a_reset_unshared(aws, localcloud):
    import requests

    iam, name = aws("iam"), f"mp-{uuid.uuid4().hex[:8]}"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    iam.attach_role_policy(RoleName=name, PolicyArn=ARN)
    assert iam.get_policy(PolicyArn=ARN)["Policy"]["AttachmentCount"] >= 1
    from moto.iam.models import iam_backends

    before = iam_backends["123456789012"]["aws"].managed_policies[ARN]
    requests.post(f"{localcloud.url}/moto-api/reset", timeout=30).raise_for_status()
    policy = iam.get_policy(PolicyArn=ARN)["Policy"]
    assert policy["AttachmentCount"] == 0, "a fresh backend's copy is not the old one"
    assert iam_backends["123456789012"]["aws"].managed_policies[ARN] is not before
    document = iam.get_policy_version(PolicyArn=ARN, VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
    assert "autoscaling:CompleteLifecycleAction" in json.dumps(document)
