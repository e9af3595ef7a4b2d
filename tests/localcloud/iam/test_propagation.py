"""IAM's eventual consistency, as the services see it: with a propagation delay, a brand-new role
is refused where a service is handed it, exactly as a missing role is; a policy change applies to
a role session only once the delay has passed; an instance profile's role reaches the metadata
service late; and the builders retry exactly that, for a bound.

They run on the session's localcloud, which has the suite's offline profile (delay on; the
project's other tests turn it off, tests/conftest.py, and this module opts out of that with the
`iam_propagation` marker). Most of them lengthen the delay to 1 s real for the test (`cloud`):
the view reads the setting at each question, so that is the same as a cloud built with it,
while a second LocalCloud in this process would take moto's fleet hooks over from the
session's (fleet/moto_hooks.py keeps one listener per process) and break the tests after it."""
from __future__ import annotations

import json
import time
import uuid

import pytest
import requests
from botocore.exceptions import ClientError

from capstone import profile
from capstone.builders import build, iam as iam_builder
from capstone.builders.context import BuildContext
from capstone.builders.names import Names
from capstone.retry import IAMNotPropagated
from capstone.target import Target
from localcloud import LocalCloud
from localcloud.iam.authorizer import AccessDeniedByPolicy
from localcloud.iam.exceptions import NoSuchEntity
from localcloud.principal import Principal
from localcloud.settings import IAMSettings, Settings
from tests.iam_support import allow_all
from tests.localcloud.codepipeline import support as cp_support
from tests.localcloud.fleet.conftest import AMI

pytestmark = [pytest.mark.integration, pytest.mark.iam_propagation]

ACCOUNT = "123456789012"
REAL_DELAY = 1.0                # long enough that the calls right after a change come well within it
ENVIRONMENT = {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"}


def trust(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def allow(action: str, resource: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def cloud(localcloud):
    """The session's localcloud with a propagation delay of REAL_DELAY real seconds for one test."""
    iam = localcloud.settings.iam
    saved, iam.propagation_delay = iam.propagation_delay, REAL_DELAY / localcloud.settings.time_scale
    yield localcloud
    iam.propagation_delay = saved


def propagated(cloud) -> None:
    """Sleep out the cloud's propagation delay (real seconds), with a margin."""
    time.sleep(cloud.iam_view.delay + 0.2)


def test_the_delay_is_the_setting_times_the_time_scale(cloud):
    assert cloud.iam_view.delay == pytest.approx(REAL_DELAY)
    # built, never started (a second running LocalCloud would take the session's fleet hooks)
    for settings, real in ((Settings(time_scale=0.02, iam=IAMSettings(propagation_delay=25)), 0.5),
                           (Settings(), 0.0)):                                     # plain localcloud: off
        built = LocalCloud(port=0, settings=settings)
        try:
            assert built.iam_view.delay == pytest.approx(real)
        finally:
            built.stop()


def test_create_project_refuses_a_brand_new_role_then_accepts_it_after_the_delay(cloud):
    iam, cb = cloud.client("iam"), cloud.client("codebuild")
    name = unique("prop-build")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust("codebuild.amazonaws.com"))["Role"]["Arn"]
    allow_all(iam, name)
    project = dict(name=unique("prop"), serviceRole=arn, artifacts={"type": "NO_ARTIFACTS"}, environment=ENVIRONMENT,
                   source={"type": "NO_SOURCE", "buildspec": "version: 0.2\nphases:\n  build:\n    commands:\n      - 'true'\n"})
    with pytest.raises(ClientError) as err:
        cb.create_project(**project)
    # exactly what a role that does not exist gets
    assert err.value.response["Error"] == {
        "Code": "InvalidInputException", "Message": f"CodeBuild is not authorized to perform: sts:AssumeRole on {arn}"}
    # the account's own IAM reads see the role at once
    assert iam.get_role(RoleName=name)["Role"]["Arn"] == arn
    assert cloud.services.iam.get_role(Principal.root(ACCOUNT), name).arn == arn
    propagated(cloud)
    assert cb.create_project(**project)["project"]["serviceRole"] == arn


def test_create_pipeline_and_create_deployment_group_refuse_a_brand_new_role_as_aws_does(cloud):
    cp, cd, iam = cloud.client("codepipeline"), cloud.client("codedeploy"), cloud.client("iam")
    repo, _ = cp_support.repository(cloud.client("codecommit"))
    bucket = cp_support.bucket(cloud.client("s3"))
    application = unique("prop-app")
    cd.create_application(applicationName=application)
    # the roles last, so that the calls below come well within the delay
    pipeline_role = iam.create_role(RoleName=unique("prop-pipe"),
                                    AssumeRolePolicyDocument=trust("codepipeline.amazonaws.com"))["Role"]["Arn"]
    deploy_role = iam.create_role(RoleName=unique("prop-deploy"),
                                  AssumeRolePolicyDocument=trust("codedeploy.amazonaws.com"))["Role"]["Arn"]
    pipeline = cp_support.declaration(unique("prop"), pipeline_role, bucket,
                                      [cp_support.codecommit_source(repo), cp_support.approval_stage()])
    group = dict(applicationName=application, deploymentGroupName="g", serviceRoleArn=deploy_role)

    with pytest.raises(ClientError) as err:
        cp.create_pipeline(pipeline=pipeline)
    assert err.value.response["Error"] == {
        "Code": "InvalidStructureException",
        "Message": f"CodePipeline is not authorized to perform AssumeRole on role {pipeline_role}"}
    with pytest.raises(ClientError) as err:
        cd.create_deployment_group(**group)
    assert err.value.response["Error"] == {
        "Code": "InvalidRoleException",
        "Message": f"AWS CodeDeploy does not have the permissions required to assume the role {deploy_role}."}

    for role in (pipeline_role, deploy_role):
        allow_all(iam, role)
    propagated(cloud)
    try:
        assert cp.create_pipeline(pipeline=pipeline)["pipeline"]["roleArn"] == pipeline_role
        assert cd.create_deployment_group(**group)["deploymentGroupId"]
    finally:
        try:
            cp.delete_pipeline(name=pipeline["name"])
        except ClientError:
            pass


def test_a_policy_change_takes_effect_for_a_role_session_only_after_the_delay(cloud):
    iam, name = cloud.client("iam"), unique("prop-policy")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust("codebuild.amazonaws.com"))["Role"]["Arn"]
    parameter = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/prop/{name}"
    session = Principal.assumed_role(arn, "AWSCodeBuild-test")
    propagated(cloud)

    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=allow("ssm:GetParameters", parameter))
    assert iam.get_role_policy(RoleName=name, PolicyName="read")["PolicyName"] == "read"  # the account sees it
    with pytest.raises(AccessDeniedByPolicy) as err:   # the session does not, yet
        cloud.authorizer.authorize(session, "ssm:GetParameters", parameter)
    assert err.value.message.endswith("because no identity-based policy allows the ssm:GetParameters action")
    propagated(cloud)
    cloud.authorizer.authorize(session, "ssm:GetParameters", parameter)

    # a removed permission still works until the removal has propagated
    iam.delete_role_policy(RoleName=name, PolicyName="read")
    cloud.authorizer.authorize(session, "ssm:GetParameters", parameter)
    propagated(cloud)
    with pytest.raises(AccessDeniedByPolicy):
        cloud.authorizer.authorize(session, "ssm:GetParameters", parameter)


def test_managed_policy_attachments_and_default_versions_propagate_too(cloud):
    iam, name = cloud.client("iam"), unique("prop-managed")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust("codebuild.amazonaws.com"))["Role"]["Arn"]
    policy = iam.create_policy(PolicyName=name, PolicyDocument=allow("s3:GetObject", "*"))["Policy"]["Arn"]
    session = Principal.assumed_role(arn, "s")
    propagated(cloud)

    iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    with pytest.raises(AccessDeniedByPolicy):
        cloud.authorizer.authorize(session, "s3:GetObject", "arn:aws:s3:::b/k")
    propagated(cloud)
    cloud.authorizer.authorize(session, "s3:GetObject", "arn:aws:s3:::b/k")

    iam.create_policy_version(PolicyArn=policy, PolicyDocument=allow("s3:PutObject", "*"), SetAsDefault=True)
    cloud.authorizer.authorize(session, "s3:GetObject", "arn:aws:s3:::b/k")     # v1 still in effect
    with pytest.raises(AccessDeniedByPolicy):
        cloud.authorizer.authorize(session, "s3:PutObject", "arn:aws:s3:::b/k")
    propagated(cloud)
    cloud.authorizer.authorize(session, "s3:PutObject", "arn:aws:s3:::b/k")
    with pytest.raises(AccessDeniedByPolicy):
        cloud.authorizer.authorize(session, "s3:GetObject", "arn:aws:s3:::b/k")


def _build(cloud, project: str) -> dict:
    cb = cloud.client("codebuild")
    build_id = cb.start_build(projectName=project)["build"]["id"]
    deadline = time.monotonic() + 60
    while (found := cb.batch_get_builds(ids=[build_id])["builds"][0])["buildStatus"] == "IN_PROGRESS":
        assert time.monotonic() < deadline, f"build {build_id} still running"
        time.sleep(0.05)
    return found


def test_a_build_reads_its_parameter_only_once_the_grant_has_propagated(cloud):
    iam, ssm, name = cloud.client("iam"), cloud.client("ssm"), unique("prop-cb")
    parameter = f"/prop/{name}"
    ssm.put_parameter(Name=parameter, Value="v", Type="String")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust("codebuild.amazonaws.com"))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="logs", PolicyDocument=allow("logs:*", "*"))
    propagated(cloud)
    cloud.client("codebuild").create_project(
        name=name, serviceRole=arn, artifacts={"type": "NO_ARTIFACTS"}, environment=ENVIRONMENT,
        source={"type": "NO_SOURCE", "buildspec": f"version: 0.2\nenv:\n  parameter-store:\n    V: {parameter}\n"
                                                  "phases:\n  build:\n    commands:\n      - echo $V\n"})
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=allow(
        "ssm:GetParameters", f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{parameter}"))

    early = _build(cloud, name)
    phase = next(p for p in early["phases"] if p.get("phaseStatus") == "FAILED")
    assert early["buildStatus"] == "FAILED" and phase["contexts"][0]["statusCode"] == "Decrypted Variables Error"
    assert "is not authorized to perform: ssm:GetParameters" in phase["contexts"][0]["message"]
    propagated(cloud)
    assert _build(cloud, name)["buildStatus"] == "SUCCEEDED"


def test_an_instance_profiles_role_reaches_the_metadata_service_after_the_delay(cloud):
    # RunInstances and the profile calls sit between the change and the first look: on a busy
    # machine they took over 1 s, so this test waits out a longer delay (the fixture restores it)
    cloud.settings.iam.propagation_delay = 3.0 / cloud.settings.time_scale
    iam, name = cloud.client("iam"), unique("prop-imds")
    role_arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust("ec2.amazonaws.com"))["Role"]["Arn"]
    propagated(cloud)
    profile_arn = iam.create_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    ec2 = cloud.client("ec2")
    [instance] = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                   IamInstanceProfile={"Name": name})["Instances"]
    iid = instance["InstanceId"]
    credentials = f"{cloud.url}/_localcloud/imds/{iid}/latest/meta-data/iam/security-credentials/"
    ec2_service = Principal.service("ec2.amazonaws.com")
    try:
        # the account sees the profile's role; EC2 does not yet, so the instance has no credentials
        assert cloud.services.iam.instance_profile_role(Principal.root(ACCOUNT), profile_arn).arn == role_arn
        with pytest.raises(NoSuchEntity):
            cloud.services.iam.instance_profile_role(ec2_service, profile_arn)
        assert requests.get(credentials, timeout=10).status_code == 404
        propagated(cloud)
        assert cloud.services.iam.instance_profile_role(ec2_service, profile_arn).arn == role_arn
        answer = requests.get(credentials, timeout=10)
        assert (answer.status_code, answer.text) == (200, name)
        assert requests.get(credentials + name, timeout=10).json()["Code"] == "Success"
    finally:
        ec2.terminate_instances(InstanceIds=[iid])


# -- the builders ---------------------------------------------------------------------------------
class _Ledger:
    def __init__(self):
        self.entries: list[dict] = []

    def record(self, type_, name, *, builder, region=None, **attrs):
        entry = {"type": type_, "name": name, "builder": builder, "attrs": attrs}
        self.entries.append(entry)
        return entry

    def update(self, entry, **fields):
        entry.update(fields)


def _context(cloud, said: list[str], **extra) -> BuildContext:
    target = Target("local", cloud.region, cloud.url)
    names = Names.derive(f"p{uuid.uuid4().hex[:6]}", ACCOUNT, cloud.region)
    return BuildContext(target, names, _Ledger(), "r", progress=said.append, tags={"k": "v"}, **extra)


def _tear_down(ctx: BuildContext) -> None:
    for entry in reversed(ctx.ledger.entries):
        builder = build if entry["builder"] == build.NAME else iam_builder
        builder.delete(ctx, entry)


def test_the_build_builder_retries_a_fresh_role_until_codebuild_can_assume_it(cloud):
    said: list[str] = []
    ctx = _context(cloud, said)
    try:
        iam_builder.create(ctx)
        build.create(ctx)
        assert cloud.client("codebuild").batch_get_projects(names=[ctx.names.build_project])["projects"]
        waited = [line for line in said if "cannot assume the new IAM role yet" in line]
        assert waited and waited[0].startswith(f"  create build project {ctx.names.build_project}: InvalidInputException")
        assert any(line.startswith(f"  create build project {ctx.names.build_project}: accepted after") for line in said)
    finally:
        _tear_down(ctx)


def test_the_build_builder_gives_up_after_its_bound_with_a_clear_error(cloud):
    said: list[str] = []
    ctx = _context(cloud, said, iam_propagation_timeout=0.5)
    iam = cloud.client("iam")
    # a role CodeBuild can never assume: it trusts EC2 only
    entry = ctx.record(iam_builder.ROLE, ctx.names.build_role, builder=iam_builder.NAME)
    ctx.outputs[f"role:{ctx.names.build_role}"] = iam.create_role(
        RoleName=ctx.names.build_role, AssumeRolePolicyDocument=trust("ec2.amazonaws.com"))["Role"]["Arn"]
    ctx.created(entry)
    started = time.monotonic()
    try:
        with pytest.raises(IAMNotPropagated) as err:
            build.create(ctx)
        assert 0.5 <= time.monotonic() - started < 5
        assert str(err.value).startswith(f"create build project {ctx.names.build_project}: still refused after ")
        assert (f"past the 0.5s bound for IAM to propagate a new role or instance profile: InvalidInputException: "
                f"CodeBuild is not authorized to perform: sts:AssumeRole on {ctx.outputs[f'role:{ctx.names.build_role}']}"
                in str(err.value))
    finally:
        _tear_down(ctx)


def test_the_suites_profile_turns_the_delay_on(localcloud):
    assert localcloud.settings.iam.propagation_delay == profile.PROPAGATION_DELAY == 10
    assert profile.offline_settings(environ={}).iam.propagation_delay == 10
    assert profile.localcloud_env()["LOCALCLOUD_IAM_PROPAGATION_DELAY"] == "10"
    assert localcloud.iam_view.delay == pytest.approx(10 * localcloud.settings.time_scale)  # 0.2 s offline


def test_the_builders_survive_the_suites_profile(localcloud):
    said: list[str] = []
    ctx = _context(localcloud, said)
    try:
        iam_builder.create(ctx)
        build.create(ctx)  # right after the roles: CodeBuild may refuse the role for 0.2 s
        assert localcloud.client("codebuild").batch_get_projects(names=[ctx.names.build_project])["projects"]
    finally:
        _tear_down(ctx)
