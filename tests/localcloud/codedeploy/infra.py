"""Test infrastructure built through the API only: VPC, launch template, ASG + target group + ALB,
the CodeDeploy service role, and revision bundles made on the fly."""
from __future__ import annotations

import io
import json
import tarfile
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from tests.iam_support import allow_all

SERVER_SCRIPT = """#!/bin/sh
# ApplicationStart: serve $INSTANCE_ROOT/opt/app on $APP_PORT in the background, output redirected
cd "$INSTANCE_ROOT/opt/app" || exit 1
nohup python3 -m http.server "$APP_PORT" --bind 127.0.0.1 >/dev/null 2>&1 &
echo $! > "$INSTANCE_ROOT/app.pid"
echo "started on $APP_PORT"
"""
STOP_SCRIPT = """#!/bin/sh
# the server this instance's ApplicationStart recorded, and only it
[ -f "$INSTANCE_ROOT/app.pid" ] && kill "$(cat "$INSTANCE_ROOT/app.pid")" 2>/dev/null
rm -f "$INSTANCE_ROOT/app.pid"
echo stopped
"""
VALIDATE_OK = """#!/bin/sh
for i in $(seq 1 100); do
  python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:%s/version.txt' % sys.argv[1], timeout=1)" "$APP_PORT" 2>/dev/null && exit 0
  sleep 0.05
done
echo "app not answering on $APP_PORT" >&2
exit 1
"""
VALIDATE_FAIL = """#!/bin/sh
echo "validating version"
echo "version check failed" >&2
exit 3
"""

APPSPEC = """version: 0.0
os: linux
files:
  - source: /site
    destination: /opt/app
hooks:
  ApplicationStop:
    - location: scripts/stop.sh
      timeout: 30
  ApplicationStart:
    - location: scripts/start.sh
      timeout: 30
  ValidateService:
    - location: scripts/validate.sh
      timeout: 60
"""


def bundle(version: str, *, appspec: str = APPSPEC, validate: str = VALIDATE_OK, extra: dict | None = None,
           fmt: str = "zip", top_dir: str | None = None, omit: tuple = ()) -> bytes:
    files = {
        "appspec.yml": appspec,
        "site/version.txt": version,
        "scripts/start.sh": SERVER_SCRIPT,
        "scripts/stop.sh": STOP_SCRIPT,
        "scripts/validate.sh": validate,
        **(extra or {}),
    }
    files = {k: v for k, v in files.items() if k not in omit}
    prefix = f"{top_dir}/" if top_dir else ""
    buf = io.BytesIO()
    if fmt == "zip":
        with zipfile.ZipFile(buf, "w") as zf:
            for name, text in files.items():
                info = zipfile.ZipInfo(prefix + name)
                info.external_attr = (0o755 if name.endswith(".sh") else 0o644) << 16
                zf.writestr(info, text)
    else:
        with tarfile.open(fileobj=buf, mode="w:gz" if fmt == "tgz" else "w") as tf:
            for name, text in files.items():
                data = text.encode()
                info = tarfile.TarInfo(prefix + name)
                info.size, info.mode = len(data), 0o755 if name.endswith(".sh") else 0o644
                tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@dataclass
class Env:
    aws: object
    name: str
    bucket: str
    role_arn: str
    subnet: str
    vpc: str
    launch_template_id: str
    asg: str
    tg_arn: str
    tg_name: str
    dns_name: str
    app: str
    group: str | None = None
    extra: dict = field(default_factory=dict)

    def upload(self, key: str, data: bytes, bundle_type: str = "zip") -> dict:
        self.aws("s3").put_object(Bucket=self.bucket, Key=key, Body=data)
        return {"revisionType": "S3", "s3Location": {"bucket": self.bucket, "key": key, "bundleType": bundle_type}}


def build(aws, instances: int = 2, tg_health: dict | None = None, instance_profile: bool = False,
          region: str | None = None) -> Env:
    """With `instance_profile`, the instances get one (its role's ARN is extra["instance_role_arn"]).
    With `region`, everything regional (and the env's clients) is in that Region, not the default."""
    if region is not None:
        aws = _in_region(aws, region)
    name = "cd" + uuid.uuid4().hex[:8]
    ec2, elb, asg, iam, s3 = aws("ec2"), aws("elbv2"), aws("autoscaling"), aws("iam"), aws("s3")
    extra, profile = {}, {}
    if instance_profile:
        extra["instance_role_arn"] = iam.create_role(RoleName=f"{name}-instance", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
        allow_all(iam, extra["instance_role_arn"])
        iam.create_instance_profile(InstanceProfileName=f"{name}-instance")
        iam.add_role_to_instance_profile(InstanceProfileName=f"{name}-instance", RoleName=f"{name}-instance")
        profile = {"IamInstanceProfile": {"Name": f"{name}-instance"}}
    if region in (None, "us-east-1"):
        s3.create_bucket(Bucket=f"{name}-revisions")
    else:
        s3.create_bucket(Bucket=f"{name}-revisions", CreateBucketConfiguration={"LocationConstraint": region})
    role = iam.create_role(RoleName=f"{name}-deploy", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    allow_all(iam, role)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{region or 'us-east-1'}a")["Subnet"]["SubnetId"]
    lt = ec2.create_launch_template(LaunchTemplateName=f"{name}-lt", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": "t3.micro", **profile})["LaunchTemplate"]["LaunchTemplateId"]
    health = {"HealthCheckPath": "/version.txt", "HealthCheckIntervalSeconds": 5, "HealthCheckTimeoutSeconds": 2,
              "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2, **(tg_health or {})}
    tg = elb.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance",
                                 HealthCheckProtocol="HTTP", **health)["TargetGroups"][0]["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "5"}])
    lb = elb.create_load_balancer(Name=f"{name}-alb", Subnets=[subnet], Type="application", Scheme="internet-facing")["LoadBalancers"][0]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    asg.create_auto_scaling_group(AutoScalingGroupName=f"{name}-asg", LaunchTemplate={"LaunchTemplateId": lt, "Version": "$Latest"},
                                  MinSize=instances, MaxSize=instances, DesiredCapacity=instances, VPCZoneIdentifier=subnet,
                                  TargetGroupARNs=[tg], HealthCheckType="EC2", HealthCheckGracePeriod=0,
                                  Tags=[{"Key": "app", "Value": name, "PropagateAtLaunch": True}])
    cd = aws("codedeploy")
    cd.create_application(applicationName=f"{name}-app", computePlatform="Server")
    return Env(aws, name, f"{name}-revisions", role, subnet, vpc, lt, f"{name}-asg", tg, f"{name}-tg",
               lb["DNSName"], f"{name}-app", extra=extra)


def _in_region(aws, region: str):
    """`aws` whose clients default to `region` (a Region named explicitly still wins)."""
    return lambda service, r=None: aws(service, r or region)


def teardown(env: Env) -> None:
    """Best effort: stop deployments, delete every ASG of this env (blue and CodeDeploy's green
    copies), the load balancer and the target group."""
    cd, asg, elb = env.aws("codedeploy"), env.aws("autoscaling"), env.aws("elbv2")
    if env.group:
        try:
            active = cd.list_deployments(applicationName=env.app, deploymentGroupName=env.group,
                                         includeOnlyStatuses=["Created", "Queued", "InProgress", "Ready"])["deployments"]
        except Exception:  # the test deleted the group
            active = []
        for d in active:
            try:
                cd.stop_deployment(deploymentId=d, autoRollbackEnabled=False)
                wait_status(env.aws, d, timeout=30)
            except Exception:
                pass
    names = [g["AutoScalingGroupName"] for g in asg.describe_auto_scaling_groups()["AutoScalingGroups"]]
    for name in names:
        if name == env.asg or (env.group and name.startswith(f"CodeDeploy_{env.group}_")):
            try:
                asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
            except Exception:
                pass
    try:
        for lb in elb.describe_load_balancers(Names=[f"{env.name}-alb"])["LoadBalancers"]:
            elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
        elb.delete_target_group(TargetGroupArn=env.tg_arn)
    except Exception:
        pass


def blue_green_group(env: Env, *, termination_wait: int = 0, ready: dict | None = None, rollback_events=None,
                     alarms: list[str] | None = None, config: str | None = None, keep_alive: bool = False) -> str:
    group = f"{env.name}-bg"
    kwargs = dict(
        applicationName=env.app, deploymentGroupName=group, serviceRoleArn=env.role_arn,
        autoScalingGroups=[env.asg],
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        blueGreenDeploymentConfiguration={
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "KEEP_ALIVE" if keep_alive else "TERMINATE",
                                                          "terminationWaitTimeInMinutes": termination_wait},
            "deploymentReadyOption": ready or {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
            "greenFleetProvisioningOption": {"action": "COPY_AUTO_SCALING_GROUP"},
        },
        loadBalancerInfo={"targetGroupInfoList": [{"name": env.tg_name}]},
    )
    if config:
        kwargs["deploymentConfigName"] = config
    if rollback_events:
        kwargs["autoRollbackConfiguration"] = {"enabled": True, "events": list(rollback_events)}
    if alarms:
        kwargs["alarmConfiguration"] = {"enabled": True, "alarms": [{"name": a} for a in alarms]}
    env.aws("codedeploy").create_deployment_group(**kwargs)
    env.group = group
    return group


def in_place_group(env: Env, *, traffic: bool = False, config: str | None = None, rollback_events=None) -> str:
    group = f"{env.name}-ip"
    kwargs = dict(applicationName=env.app, deploymentGroupName=group, serviceRoleArn=env.role_arn,
                  autoScalingGroups=[env.asg],
                  deploymentStyle={"deploymentType": "IN_PLACE",
                                   "deploymentOption": "WITH_TRAFFIC_CONTROL" if traffic else "WITHOUT_TRAFFIC_CONTROL"})
    if traffic:
        kwargs["loadBalancerInfo"] = {"targetGroupInfoList": [{"name": env.tg_name}]}
    if config:
        kwargs["deploymentConfigName"] = config
    if rollback_events:
        kwargs["autoRollbackConfiguration"] = {"enabled": True, "events": list(rollback_events)}
    env.aws("codedeploy").create_deployment_group(**kwargs)
    env.group = group
    return group


def wait_status(aws, deployment_id: str, statuses=("Succeeded", "Failed", "Stopped"), timeout: float = 60) -> dict:
    cd = aws("codedeploy")
    deadline = time.monotonic() + timeout
    info = {}
    while time.monotonic() < deadline:
        info = cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        if info["status"] in statuses:
            return info
        time.sleep(0.05)
    raise AssertionError(f"deployment {deployment_id} did not reach {statuses} in {timeout}s; last status {info.get('status')}")


def targets(aws, deployment_id: str) -> dict[str, dict]:
    cd = aws("codedeploy")
    ids = cd.list_deployment_targets(deploymentId=deployment_id)["targetIds"]
    if not ids:
        return {}
    got = cd.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=ids)["deploymentTargets"]
    return {t["instanceTarget"]["targetId"]: t["instanceTarget"] for t in got}
