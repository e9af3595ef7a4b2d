"""Each instance's metadata service: the AWS CLI on an instance, unchanged, acts as the
instance profile's role (a session named by the instance id), with no static keys."""
from __future__ import annotations

import json
import subprocess

import pytest
import requests

from tests.localcloud.fleet.conftest import AMI, unique

pytestmark = pytest.mark.integration

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _caller_on(kit, instance_id: str) -> subprocess.CompletedProcess:
    runtime = kit.cloud.provider("fleet").runtimes.runtime(instance_id)
    proc = runtime.spawn(["aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"],
                         env=kit.cloud.endpoint_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_the_cli_on_an_instance_acts_as_its_instance_profile_role(kit, aws):
    iam, name = aws("iam"), unique("imds")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    [instance] = aws("ec2").run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                          SubnetId=kit.network.subnets[0],
                                          IamInstanceProfile={"Name": name})["Instances"]
    iid = instance["InstanceId"]
    runtime = kit.cloud.provider("fleet").runtimes.runtime(iid)
    assert "AWS_ACCESS_KEY_ID" not in runtime.env() and runtime.env()["AWS_REGION"] == "us-east-1"
    out = _caller_on(kit, iid)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"arn:aws:sts::123456789012:assumed-role/{name}/{iid}"


def test_an_instance_without_a_profile_has_no_credentials(kit):
    [iid] = kit.instances(1)
    base = kit.cloud.provider("fleet").runtimes.runtime(iid).env()["AWS_EC2_METADATA_SERVICE_ENDPOINT"]
    assert requests.get(base + "latest/meta-data/instance-id").text == iid
    assert requests.get(base + "latest/meta-data/iam/security-credentials/").status_code == 404
    assert _caller_on(kit, iid).returncode != 0, "no credentials: the CLI must fail"
