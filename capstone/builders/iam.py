"""IAM: the service roles (pipeline, build, deploy, EventBridge→pipeline), the instance role and
its instance profile. Least privilege: inline policies naming the environment's own resources,
never "Action": "*" and no "Resource": "*" where AWS allows a narrower one
(https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege)."""
from __future__ import annotations

import json

from capstone.builders.context import BuildContext
from capstone.retry import call, is_not_found

NAME = "iam"
ROLE = "iam:role"
PROFILE = "iam:instance-profile"
TYPES = (ROLE, PROFILE)

# CodeDeploy's documented service-role policy (AWS-managed; AWS writes its resources).
CODEDEPLOY_MANAGED_POLICY = "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole"


def _trust(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def _policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(actions: list[str], resources: list[str]) -> dict:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def policies(ctx: BuildContext) -> dict[str, tuple[str, str]]:
    """role name -> (trusted service, inline policy document)."""
    n = ctx.names
    bucket = f"arn:aws:s3:::{n.bucket}"
    objects = f"{bucket}/*"
    app_arn = n.arn("codedeploy", f"application:{n.application}")
    dg_arn = n.arn("codedeploy", f"deploymentgroup:{n.application}/{n.deployment_group}")
    config_arn = n.arn("codedeploy", "deploymentconfig:*")
    log_group = n.arn("logs", f"log-group:/aws/codebuild/{n.build_project}")
    report_groups = n.arn("codebuild", f"report-group/{n.build_project}-*")
    ssm_arn = n.arn("ssm", f"parameter{n.ssm_parameter}")
    secret_arn = n.arn("secretsmanager", f"secret:{n.secret}-??????")
    # what RunInstances touches for a launch from a template, each by its resource type
    run_instances = [n.arn("ec2", f"{kind}/*") for kind in
                     ("instance", "network-interface", "security-group", "subnet", "volume", "launch-template")]
    return {
        n.pipeline_role: ("codepipeline.amazonaws.com", _policy(
            _allow(["codecommit:GetBranch", "codecommit:GetCommit", "codecommit:GetRepository",
                    "codecommit:UploadArchive", "codecommit:GetUploadArchiveStatus",
                    "codecommit:CancelUploadArchive"], [n.repository_arn]),
            _allow(["codebuild:BatchGetBuilds", "codebuild:StartBuild"], [n.build_project_arn]),
            _allow(["codedeploy:CreateDeployment", "codedeploy:GetDeployment"], [dg_arn]),
            _allow(["codedeploy:GetApplication", "codedeploy:GetApplicationRevision",
                    "codedeploy:RegisterApplicationRevision"], [app_arn]),
            _allow(["codedeploy:GetDeploymentConfig"], [config_arn]),
            _allow(["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"], [objects]),
            _allow(["s3:GetBucketVersioning", "s3:GetBucketLocation", "s3:ListBucket"], [bucket]),
            # the approval action publishes its notice to the topic as the pipeline's role
            _allow(["sns:Publish"], [n.notification_topic_arn]),
        )),
        n.build_role: ("codebuild.amazonaws.com", _policy(
            _allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                   [log_group, f"{log_group}:*"]),
            _allow(["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"], [objects]),
            _allow(["s3:GetBucketAcl", "s3:GetBucketLocation"], [bucket]),
            _allow(["ssm:GetParameters"], [ssm_arn]),
            _allow(["secretsmanager:GetSecretValue"], [secret_arn]),
            _allow(["codebuild:CreateReportGroup", "codebuild:CreateReport", "codebuild:UpdateReport",
                    "codebuild:BatchPutTestCases", "codebuild:BatchPutCodeCoverages"], [report_groups]),
            # `aws codeartifact login --tool pip` and `pip install` from the internal repository
            # (https://docs.aws.amazon.com/codeartifact/latest/ug/auth-and-access-control-iam-identity-based-access-control.html)
            _allow(["codeartifact:GetAuthorizationToken"], [n.codeartifact_domain_arn]),
            _allow(["codeartifact:GetRepositoryEndpoint", "codeartifact:ReadFromRepository"],
                   [n.codeartifact_repository_arn]),
            # the token is a bearer token STS issues for CodeArtifact, and for nothing else
            {**_allow(["sts:GetServiceBearerToken"], ["*"]),
             "Condition": {"StringEquals": {"sts:AWSServiceName": "codeartifact.amazonaws.com"}}},
        )),
        # The managed AWSCodeDeployRole is attached too. It does not cover an Auto Scaling group made
        # from a launch template: copying that group for blue/green also needs ec2:RunInstances,
        # ec2:CreateTags and iam:PassRole (https://docs.aws.amazon.com/codedeploy/latest/userguide/
        # getting-started-create-service-role.html), here scoped to this account and region.
        n.deploy_role: ("codedeploy.amazonaws.com", _policy(
            _allow(["ec2:RunInstances"], [*run_instances, f"arn:aws:ec2:{n.region}::image/*"]),
            _allow(["ec2:CreateTags"], [n.arn("ec2", "instance/*"), n.arn("ec2", "volume/*"),
                                        n.arn("ec2", "network-interface/*")]),
            _allow(["iam:PassRole"], [n.role_arn(n.instance_role)]),
        )),
        n.events_role: ("events.amazonaws.com", _policy(
            _allow(["codepipeline:StartPipelineExecution"], [n.pipeline_arn]),
        )),
        # The CodeDeploy agent on the instances downloads the revision from the artifact bucket.
        n.instance_role: ("ec2.amazonaws.com", _policy(
            _allow(["s3:GetObject", "s3:GetObjectVersion"], [objects]),
        )),
    }


def create(ctx: BuildContext) -> None:
    iam = ctx.client("iam")
    n = ctx.names
    for role, (service, document) in policies(ctx).items():
        entry = ctx.record(ROLE, role, builder=NAME)
        out = iam.create_role(RoleName=role, AssumeRolePolicyDocument=_trust(service),
                              Description=f"capstone {n.prefix}: {service.split('.')[0]} service role",
                              Tags=ctx.tag_list())
        ctx.created(entry, id=out["Role"]["RoleId"], arn=out["Role"]["Arn"])
        iam.put_role_policy(RoleName=role, PolicyName=f"{role}-policy", PolicyDocument=document)
        if role == n.deploy_role:
            iam.attach_role_policy(RoleName=role, PolicyArn=CODEDEPLOY_MANAGED_POLICY)
        ctx.outputs[f"role:{role}"] = out["Role"]["Arn"]

    entry = ctx.record(PROFILE, n.instance_profile, builder=NAME, role=n.instance_role)
    out = iam.create_instance_profile(InstanceProfileName=n.instance_profile, Tags=ctx.tag_list())
    ctx.created(entry, id=out["InstanceProfile"]["InstanceProfileId"], arn=out["InstanceProfile"]["Arn"])
    iam.add_role_to_instance_profile(InstanceProfileName=n.instance_profile, RoleName=n.instance_role)
    ctx.outputs["instance_profile_arn"] = out["InstanceProfile"]["Arn"]


def delete(ctx: BuildContext, record: dict) -> None:
    iam = ctx.client("iam")
    name = record["name"]
    try:
        if record["type"] == PROFILE:
            profile = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
            for role in profile.get("Roles", []):
                call(iam.remove_role_from_instance_profile, InstanceProfileName=name, RoleName=role["RoleName"])
            call(iam.delete_instance_profile, InstanceProfileName=name, what=f"delete instance profile {name}")
            return
        for policy in iam.list_role_policies(RoleName=name).get("PolicyNames", []):
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        for attached in iam.list_attached_role_policies(RoleName=name).get("AttachedPolicies", []):
            iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
        for profile in iam.list_instance_profiles_for_role(RoleName=name).get("InstanceProfiles", []):
            iam.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"], RoleName=name)
        call(iam.delete_role, RoleName=name, what=f"delete role {name}")
    except Exception as exc:
        if not is_not_found(exc):
            raise
