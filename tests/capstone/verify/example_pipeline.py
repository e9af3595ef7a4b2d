"""An example pipeline built by a different path than the suite's builders: plain boto3 calls in
one script, with its own names (an "orders" service: stages Fetch → Test → SignOff →
Production), the way a team's Terraform or CDK would create it. `capstone verify` must find it
conformant; the misconfigured variants in test_verify_example.py each break one promise."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

BUILDSPEC = """version: 0.2
phases:
  build:
    commands:
      - python3 -m pytest -q tests --junitxml=reports/junit.xml
reports:
  orders-tests:
    files: [junit.xml]
    base-directory: reports
    file-format: JUNITXML
artifacts:
  files: ['**/*']
"""
BUILDSPEC_WITHOUT_REPORTS = BUILDSPEC.split("reports:\n  orders-tests")[0] + "artifacts:\n  files: ['**/*']\n"


def _trust(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def _policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": list(actions), "Resource": list(resources)} for actions, resources in statements]})


@dataclass
class Example:
    aws: object
    name: str
    account: str
    region: str
    pipeline: str
    bucket: str
    repository: str
    project: str
    application: str
    deployment_group: str
    roles: dict[str, str] = field(default_factory=dict)
    declaration: dict = field(default_factory=dict)
    created: list = field(default_factory=list)  # (kind, id) in creation order, for teardown


def build(aws, account: str, region: str = "us-east-1") -> Example:
    name = "orders" + uuid.uuid4().hex[:6]
    ex = Example(aws, name, account, region, pipeline=f"{name}-release", bucket=f"{name}-artifacts",
                 repository=f"{name}-repo", project=f"{name}-unit-tests", application=f"{name}-app",
                 deployment_group=f"{name}-production")
    arn = lambda service, rest: f"arn:aws:{service}:{region}:{account}:{rest}"  # noqa: E731
    s3, iam = aws("s3"), aws("iam")

    s3.create_bucket(Bucket=ex.bucket)
    ex.created.append(("bucket", ex.bucket))
    s3.put_bucket_versioning(Bucket=ex.bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket=ex.bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_public_access_block(Bucket=ex.bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})

    cc = aws("codecommit")
    cc.create_repository(repositoryName=ex.repository)
    ex.created.append(("repository", ex.repository))
    cc.put_file(repositoryName=ex.repository, branchName="main", fileContent=BUILDSPEC.encode(),
                filePath="buildspec.yml", commitMessage="buildspec")

    sns = aws("sns")
    topic = sns.create_topic(Name=f"{name}-release-notices")["TopicArn"]
    ex.created.append(("topic", topic))
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Sid": "owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
             "Action": "sns:Publish", "Resource": topic},
            {"Sid": "release-outcome", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
             "Action": "sns:Publish", "Resource": topic}]}))

    project_arn = arn("codebuild", f"project/{ex.project}")
    group_arn = arn("codedeploy", f"deploymentgroup:{ex.application}/{ex.deployment_group}")
    roles = {
        "pipeline": ("codepipeline.amazonaws.com", _policy(
            (["codecommit:GetBranch", "codecommit:GetCommit", "codecommit:UploadArchive",
              "codecommit:GetUploadArchiveStatus"], [arn("codecommit", ex.repository)]),
            (["s3:GetObject", "s3:PutObject", "s3:GetObjectVersion"], [f"arn:aws:s3:::{ex.bucket}/*"]),
            (["s3:GetBucketVersioning", "s3:GetBucketLocation", "s3:ListBucket"], [f"arn:aws:s3:::{ex.bucket}"]),
            (["codebuild:StartBuild", "codebuild:BatchGetBuilds"], [project_arn]),
            (["codedeploy:CreateDeployment", "codedeploy:GetDeployment"], [group_arn]),
            (["codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"],
             [arn("codedeploy", f"application:{ex.application}")]),
            (["codedeploy:GetDeploymentConfig"], [arn("codedeploy", "deploymentconfig:*")]),
            (["sns:Publish"], [topic]))),
        "build": ("codebuild.amazonaws.com", _policy(
            (["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
             [arn("logs", f"log-group:/aws/codebuild/{ex.project}:*")]),
            (["s3:GetObject", "s3:PutObject"], [f"arn:aws:s3:::{ex.bucket}/*"]),
            (["codebuild:CreateReportGroup", "codebuild:CreateReport", "codebuild:UpdateReport",
              "codebuild:BatchPutTestCases"], [arn("codebuild", f"report-group/{ex.project}-*")]))),
        # the deploy role also gets AWS's managed AWSCodeDeployRole (attached below), as AWS's guide says
        "deploy": ("codedeploy.amazonaws.com", _policy(
            (["autoscaling:CreateAutoScalingGroup", "autoscaling:DeleteAutoScalingGroup",
              "autoscaling:UpdateAutoScalingGroup", "autoscaling:CompleteLifecycleAction",
              "autoscaling:PutLifecycleHook", "autoscaling:DeleteLifecycleHook"],
             [arn("autoscaling", "autoScalingGroup:*:autoScalingGroupName/*")]),
            (["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
             [arn("elasticloadbalancing", f"targetgroup/{name}-tg/*")]))),
        "events": ("events.amazonaws.com", _policy(
            (["codepipeline:StartPipelineExecution"], [arn("codepipeline", ex.pipeline)]))),
    }
    for role, (service, document) in roles.items():
        role_name = f"{name}-{role}-role"
        ex.roles[role] = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=_trust(service))["Role"]["Arn"]
        ex.created.append(("role", role_name))
        iam.put_role_policy(RoleName=role_name, PolicyName="scoped", PolicyDocument=document)
        if role == "deploy":
            iam.attach_role_policy(RoleName=role_name,
                                   PolicyArn="arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole")

    ec2, elb, asg = aws("ec2"), aws("elbv2"), aws("autoscaling")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24", AvailabilityZone=f"{region}a")["Subnet"]["SubnetId"]
    template = ec2.create_launch_template(LaunchTemplateName=f"{name}-lt", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": "t3.micro"})["LaunchTemplate"]["LaunchTemplateId"]
    tg = elb.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance",
                                 HealthCheckPath="/health")["TargetGroups"][0]
    ex.created.append(("target_group", tg["TargetGroupArn"]))
    lb = elb.create_load_balancer(Name=f"{name}-alb", Subnets=[subnet], Type="application")["LoadBalancers"][0]
    ex.created.append(("load_balancer", lb["LoadBalancerArn"]))
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    asg.create_auto_scaling_group(AutoScalingGroupName=f"{name}-fleet", MinSize=0, MaxSize=1, DesiredCapacity=0,
                                  LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
                                  VPCZoneIdentifier=subnet, TargetGroupARNs=[tg["TargetGroupArn"]])
    ex.created.append(("auto_scaling_group", f"{name}-fleet"))

    alarm = f"{name}-target-5xx"
    aws("cloudwatch").put_metric_alarm(
        AlarmName=alarm, Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
        Dimensions=[{"Name": "TargetGroup", "Value": tg["TargetGroupArn"].split(":")[-1]},
                    {"Name": "LoadBalancer", "Value": lb["LoadBalancerArn"].split(":loadbalancer/")[-1]}],
        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching")
    ex.created.append(("alarm", alarm))

    cd = aws("codedeploy")
    cd.create_application(applicationName=ex.application, computePlatform="Server")
    ex.created.append(("application", ex.application))
    cd.create_deployment_group(
        applicationName=ex.application, deploymentGroupName=ex.deployment_group, serviceRoleArn=ex.roles["deploy"],
        autoScalingGroups=[f"{name}-fleet"],
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        blueGreenDeploymentConfiguration={
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 30},
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
            "greenFleetProvisioningOption": {"action": "COPY_AUTO_SCALING_GROUP"}},
        loadBalancerInfo={"targetGroupInfoList": [{"name": f"{name}-tg"}]},
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]},
        alarmConfiguration={"enabled": True, "alarms": [{"name": alarm}]})

    aws("codebuild").create_project(
        name=ex.project, source={"type": "CODEPIPELINE"}, artifacts={"type": "CODEPIPELINE"},
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                     "computeType": "BUILD_GENERAL1_SMALL"}, serviceRole=ex.roles["build"])
    ex.created.append(("project", ex.project))

    def action(name_, category, provider, configuration, inputs=(), outputs=()):
        return {"name": name_, "actionTypeId": {"category": category, "owner": "AWS", "provider": provider,
                                                "version": "1"}, "configuration": configuration,
                "inputArtifacts": [{"name": i} for i in inputs], "outputArtifacts": [{"name": o} for o in outputs]}

    ex.declaration = {
        "name": ex.pipeline, "roleArn": ex.roles["pipeline"], "pipelineType": "V2", "executionMode": "QUEUED",
        "artifactStore": {"type": "S3", "location": ex.bucket},
        "stages": [
            {"name": "Fetch", "actions": [action("Checkout", "Source", "CodeCommit", {
                "RepositoryName": ex.repository, "BranchName": "main", "PollForSourceChanges": "false"},
                outputs=["src"])]},
            {"name": "Test", "actions": [action("UnitTests", "Build", "CodeBuild", {"ProjectName": ex.project},
                                                inputs=["src"], outputs=["bundle"])]},
            {"name": "SignOff", "actions": [action("ReleaseManager", "Approval", "Manual", {
                "NotificationArn": topic, "CustomData": "Sign off the orders release"})]},
            {"name": "Production", "actions": [action("BlueGreen", "Deploy", "CodeDeploy", {
                "ApplicationName": ex.application, "DeploymentGroupName": ex.deployment_group}, inputs=["bundle"])]},
        ]}
    cp = aws("codepipeline")
    cp.create_pipeline(pipeline=ex.declaration)
    ex.created.append(("pipeline", ex.pipeline))
    # the first execution CreatePipeline starts is not what this example is about
    for summary in cp.list_pipeline_executions(pipelineName=ex.pipeline)["pipelineExecutionSummaries"]:
        if summary["status"] == "InProgress":
            try:
                cp.stop_pipeline_execution(pipelineName=ex.pipeline,
                                           pipelineExecutionId=summary["pipelineExecutionId"], abandon=True)
            except cp.exceptions.PipelineExecutionNotStoppableException:
                pass  # it ended on its own meanwhile

    events = aws("events")
    events.put_rule(Name=f"{name}-on-push", EventPattern=json.dumps({
        "source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"],
        "resources": [arn("codecommit", ex.repository)],
        "detail": {"event": ["referenceCreated", "referenceUpdated"], "referenceName": ["main"]}}))
    ex.created.append(("rule", f"{name}-on-push"))
    events.put_targets(Rule=f"{name}-on-push", Targets=[{"Id": "pipeline", "Arn": arn("codepipeline", ex.pipeline),
                                                          "RoleArn": ex.roles["events"]}])
    events.put_rule(Name=f"{name}-release-outcome", EventPattern=json.dumps({
        "source": ["aws.codepipeline"], "detail-type": ["CodePipeline Pipeline Execution State Change"],
        "detail": {"pipeline": [ex.pipeline], "state": ["SUCCEEDED", "FAILED"]}}))
    ex.created.append(("rule", f"{name}-release-outcome"))
    events.put_targets(Rule=f"{name}-release-outcome", Targets=[{"Id": "notices", "Arn": topic}])
    return ex


def teardown(ex: Example) -> None:
    """Reverse order, best effort (a test may have deleted something already)."""
    aws = ex.aws
    for kind, ident in reversed(ex.created):
        try:
            if kind == "rule":
                ids = [t["Id"] for t in aws("events").list_targets_by_rule(Rule=ident)["Targets"]]
                if ids:
                    aws("events").remove_targets(Rule=ident, Ids=ids)
                aws("events").delete_rule(Name=ident)
            elif kind == "pipeline":
                aws("codepipeline").delete_pipeline(name=ident)
            elif kind == "project":
                aws("codebuild").delete_project(name=ident)
            elif kind == "application":
                aws("codedeploy").delete_application(applicationName=ident)
            elif kind == "alarm":
                aws("cloudwatch").delete_alarms(AlarmNames=[ident])
            elif kind == "auto_scaling_group":
                aws("autoscaling").delete_auto_scaling_group(AutoScalingGroupName=ident, ForceDelete=True)
            elif kind == "load_balancer":
                aws("elbv2").delete_load_balancer(LoadBalancerArn=ident)
            elif kind == "target_group":
                aws("elbv2").delete_target_group(TargetGroupArn=ident)
            elif kind == "role":
                for policy in aws("iam").list_attached_role_policies(RoleName=ident)["AttachedPolicies"]:
                    aws("iam").detach_role_policy(RoleName=ident, PolicyArn=policy["PolicyArn"])
                for policy in aws("iam").list_role_policies(RoleName=ident)["PolicyNames"]:
                    aws("iam").delete_role_policy(RoleName=ident, PolicyName=policy)
                aws("iam").delete_role(RoleName=ident)
            elif kind == "topic":
                aws("sns").delete_topic(TopicArn=ident)
            elif kind == "repository":
                aws("codecommit").delete_repository(repositoryName=ident)
        except Exception:  # noqa: BLE001 - best effort, as the docstring says
            pass
