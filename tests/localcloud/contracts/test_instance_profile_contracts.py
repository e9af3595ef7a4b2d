"""EC2's door names an instance's instance profile; IAM's door resolves the profile to its role
(the role an instance's credentials are sessions of: what the CodeDeploy agent acts as)."""
import json

import pytest

from localcloud.iam.exceptions import NoSuchEntity, ValidationError
from tests.localcloud.contracts.conftest import ACCOUNT, CALLER, decisions, unique
from tests.localcloud.fleet.conftest import AMI, kit, network  # noqa: F401  (the fleet's fixtures)

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _profile(aws, with_role: bool = True) -> tuple[str, str, str | None]:
    iam = aws("iam")
    name = unique("door-profile")
    profile_arn = iam.create_instance_profile(InstanceProfileName=name, Path="/app/")["InstanceProfile"]["Arn"]
    role_arn = None
    if with_role:
        role_arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return name, profile_arn, role_arn


def test_instance_profile_of_run_instances_and_of_a_launch_template(kit, aws, doors, authorizer):
    name, profile_arn, role_arn = _profile(aws)
    ec2 = aws("ec2")
    [with_profile] = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                       SubnetId=kit.network.subnets[0],
                                       IamInstanceProfile={"Arn": profile_arn})["Instances"]
    assert doors.ec2.instance(CALLER, with_profile["InstanceId"]).iam_instance_profile_arn == profile_arn
    [without] = kit.instances(1)
    assert doors.ec2.instance(CALLER, without).iam_instance_profile_arn is None

    # an Auto Scaling group's instances get the launch template's profile (named by Name here)
    template = unique("door-lt")
    ec2.create_launch_template(LaunchTemplateName=template, LaunchTemplateData={
        "ImageId": AMI, "InstanceType": "t3.micro", "IamInstanceProfile": {"Name": name}})
    group = unique("door-asg")
    aws("autoscaling").create_auto_scaling_group(
        AutoScalingGroupName=group, MinSize=0, MaxSize=1, DesiredCapacity=1,
        LaunchTemplate={"LaunchTemplateName": template, "Version": "$Latest"},
        VPCZoneIdentifier=kit.network.subnets[0])
    try:
        [launched] = doors.autoscaling.describe_group(CALLER, group).instances
        assert doors.ec2.instance(CALLER, launched.instance_id).iam_instance_profile_arn == profile_arn
    finally:
        aws("autoscaling").delete_auto_scaling_group(AutoScalingGroupName=group, ForceDelete=True)


def test_instance_profile_role(aws, doors, authorizer):
    _, profile_arn, role_arn = _profile(aws)
    role = doors.iam.instance_profile_role(CALLER, profile_arn)
    assert role.arn == role_arn
    _, empty_arn, _ = _profile(aws, with_role=False)
    assert doors.iam.instance_profile_role(CALLER, empty_arn) is None
    missing = f"arn:aws:iam::{ACCOUNT}:instance-profile/no-such-profile"
    with pytest.raises(NoSuchEntity):
        doors.iam.instance_profile_role(CALLER, missing)
    with pytest.raises(ValidationError):
        doors.iam.instance_profile_role(CALLER, role_arn)
    assert decisions(authorizer) == [(CALLER.arn, "iam:GetInstanceProfile", arn) for arn in (profile_arn, empty_arn, missing)]
