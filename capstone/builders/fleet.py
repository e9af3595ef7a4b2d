"""The blue fleet: a launch template (AL2023, user data installing the CodeDeploy agent and
Python for live runs) and an Auto Scaling group of two small instances with the target group
attached. CodeDeploy copies this group for every blue/green deployment.

Cost: two t3.micro (or t4g.nano on arm64 images) per environment; see the README estimate."""
from __future__ import annotations

import base64

from capstone.builders.context import BuildContext
from capstone.retry import call, is_not_found, wait_until

NAME = "fleet"
LAUNCH_TEMPLATE = "ec2:launch-template"
ASG = "autoscaling:group"
INSTANCE = "ec2:instance"  # never recorded (Auto Scaling launches them); swept and leak-checked
TYPES = (LAUNCH_TEMPLATE, ASG, INSTANCE)

INSTANCE_TYPE = "t3.micro"
CAPACITY = 2
AL2023_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"

# Runs once at first boot on Amazon Linux 2023. Offline, localcloud's instances are runtimes on
# this machine and the hooks find INSTANCE_ROOT/APP_PORT set instead; user data is not run.
USER_DATA = """#!/bin/bash
set -euxo pipefail
dnf install -y ruby wget python3
TOKEN=$(curl -sX PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
REGION=$(curl -s -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/placement/region)
cd /tmp
wget -q "https://aws-codedeploy-${REGION}.s3.${REGION}.amazonaws.com/latest/install"
chmod +x ./install
./install auto
systemctl enable --now codedeploy-agent
"""


def resolve_image(ctx: BuildContext) -> str:
    """AL2023's current AMI from the public SSM parameter; an emulator without it gets the first
    Amazon Linux image it offers."""
    try:
        return ctx.client("ssm").get_parameter(Name=AL2023_PARAMETER)["Parameter"]["Value"]
    except Exception:
        images = ctx.client("ec2").describe_images(Owners=["amazon"]).get("Images", [])
        if not images:
            raise RuntimeError(f"no Amazon Linux image: {AL2023_PARAMETER} is missing and no amazon-owned AMI exists")
        preferred = [i for i in images if "al2023" in (i.get("Name") or "").lower()] or images
        return preferred[0]["ImageId"]


def create(ctx: BuildContext) -> None:
    n = ctx.names
    ec2 = ctx.client("ec2")
    tags = ctx.tag_list()
    entry = ctx.record(LAUNCH_TEMPLATE, n.launch_template, builder=NAME)
    lt = call(ec2.create_launch_template, what=f"create launch template {n.launch_template}",
              LaunchTemplateName=n.launch_template, VersionDescription="capstone blue fleet",
              TagSpecifications=[{"ResourceType": "launch-template", "Tags": tags}],
              LaunchTemplateData={
                  "ImageId": resolve_image(ctx),
                  "InstanceType": INSTANCE_TYPE,
                  "IamInstanceProfile": {"Name": n.instance_profile},
                  "SecurityGroupIds": [ctx.outputs["instance_security_group_id"]],
                  "UserData": base64.b64encode(USER_DATA.encode()).decode(),
                  "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
                  "TagSpecifications": [{"ResourceType": "instance", "Tags": [*tags, {"Key": "Name", "Value": n.asg}]},
                                        {"ResourceType": "volume", "Tags": tags}],
              })["LaunchTemplate"]
    ctx.created(entry, id=lt["LaunchTemplateId"])

    entry = ctx.record(ASG, n.asg, builder=NAME)
    autoscaling = ctx.client("autoscaling")
    # Auto Scaling checks the template's instance profile (made by the iam builder) when the group
    # is created: "Invalid IAM Instance Profile name" while it has not propagated, retried for a bound
    ctx.hand_over_fresh_iam(autoscaling.create_auto_scaling_group, what=f"create auto scaling group {n.asg}",
                            AutoScalingGroupName=n.asg,
                            LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplateId"], "Version": "$Latest"},
                            MinSize=CAPACITY, MaxSize=CAPACITY, DesiredCapacity=CAPACITY,
                            VPCZoneIdentifier=",".join(ctx.outputs["subnet_ids"]),
                            TargetGroupARNs=[ctx.outputs["target_group_arn"]],
                            HealthCheckType="EC2", HealthCheckGracePeriod=300,
                            Tags=[{"Key": t["Key"], "Value": t["Value"], "PropagateAtLaunch": True,
                                   "ResourceId": n.asg, "ResourceType": "auto-scaling-group"} for t in tags])
    ctx.created(entry, arn=n.arn("autoscaling", f"autoScalingGroup:*:autoScalingGroupName/{n.asg}"))
    wait_until(lambda: _in_service(autoscaling, n.asg), what=f"{CAPACITY} InService instances in {n.asg}",
               timeout=900, progress=lambda s: ctx.say(f"  {n.asg}: {s}"))


def _in_service(autoscaling, name: str) -> tuple[bool, str]:
    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    if not groups:
        return False, "missing"
    count = sum(1 for i in groups[0]["Instances"] if i["LifecycleState"] == "InService")
    return count >= CAPACITY, f"{count}/{CAPACITY} InService"


def delete_asg(ctx: BuildContext, name: str) -> None:
    """ForceDelete (terminates the instances) and wait until the group is really gone: its
    instances keep the launch template, subnets and security groups busy until then."""
    autoscaling = ctx.client("autoscaling")

    def exists() -> bool:
        return bool(autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"])

    if not exists():
        return
    try:
        call(autoscaling.delete_auto_scaling_group, AutoScalingGroupName=name, ForceDelete=True,
             what=f"delete auto scaling group {name}", deadline=600)
    except Exception as exc:
        if not (is_not_found(exc) or "not found" in str(exc).lower()):
            raise
    wait_until(lambda: (not exists(), "deleting"), what=f"auto scaling group {name} to be deleted", timeout=900)


def delete(ctx: BuildContext, record: dict) -> None:
    try:
        if record["type"] == ASG:
            delete_asg(ctx, record["name"])
        elif record["type"] == LAUNCH_TEMPLATE:
            ec2 = ctx.client("ec2")
            # Look first: deleting a missing template is not a NotFound on every endpoint.
            found = ec2.describe_launch_templates(
                Filters=[{"Name": "launch-template-name", "Values": [record["name"]]}])["LaunchTemplates"]
            for template in found:  # deleting the template deletes every version of it
                call(ec2.delete_launch_template, LaunchTemplateId=template["LaunchTemplateId"],
                     what=f"delete launch template {record['name']}")
        elif record["type"] == INSTANCE:
            call(ctx.client("ec2").terminate_instances, InstanceIds=[record["id"] or record["name"]],
                 what=f"terminate instance {record['name']}")
    except Exception as exc:
        if not is_not_found(exc):
            raise
