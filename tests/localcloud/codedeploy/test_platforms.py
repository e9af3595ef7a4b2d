"""CodeDeploy's compute platforms: applications, deployment groups and deployment configs of
the Server, Lambda and ECS platforms are created, described and deleted as on AWS, under each
platform's rules; what localcloud cannot carry out (Lambda and ECS deployments, GitHub
revisions) is refused at CreateDeployment, saying what is not emulated. Revisions of any kind
register with their application."""
from __future__ import annotations

import io
import json
import uuid
import zipfile

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
BLUE_GREEN = {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}
LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/0123456789abcdef/0123456789abcdef"
ECS_LB = {"targetGroupPairInfoList": [{"targetGroups": [{"name": "blue-tg"}, {"name": "green-tg"}],
                                       "prodTrafficRoute": {"listenerArns": [LISTENER]}}]}
ECS_SERVICE = [{"serviceName": "web", "clusterName": "prod"}]
APPSPEC = {"revisionType": "AppSpecContent", "appSpecContent": {"content": json.dumps({
    "version": 0.0, "Resources": [{"fn": {"Type": "AWS::Lambda::Function", "Properties": {
        "Name": "fn", "Alias": "live", "CurrentVersion": "1", "TargetVersion": "2"}}}]})}}
GITHUB = {"revisionType": "GitHub", "gitHubLocation": {"repository": "octo/app", "commitId": "a" * 40}}


def code(err) -> str:
    return err.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def role(aws):
    iam = aws("iam")
    name = f"cd-platforms-{uuid.uuid4().hex[:8]}"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    yield arn
    iam.delete_role(RoleName=name)


@pytest.fixture
def cd(aws):
    return aws("codedeploy")


@pytest.fixture
def app(cd):
    """A factory of applications of a platform, deleted afterwards."""
    made = []

    def make(platform: str) -> str:
        name = f"{platform.lower()}-{uuid.uuid4().hex[:8]}"
        cd.create_application(applicationName=name, computePlatform=platform)
        made.append(name)
        return name

    yield make
    for name in made:
        cd.delete_application(applicationName=name)


@pytest.mark.parametrize("platform", ["Server", "Lambda", "ECS"])
def test_applications_of_every_platform_are_created_described_and_deleted(cd, app, platform):
    name = app(platform)
    info = cd.get_application(applicationName=name)["application"]
    assert (info["applicationName"], info["computePlatform"]) == (name, platform)
    assert cd.batch_get_applications(applicationNames=[name])["applicationsInfo"][0]["computePlatform"] == platform
    cd.delete_application(applicationName=name)
    with pytest.raises(cd.exceptions.ApplicationDoesNotExistException):
        cd.get_application(applicationName=name)


def test_an_ecs_group_is_a_blue_green_group_of_one_service_and_a_target_group_pair(cd, app, role):
    name = app("ECS")
    cd.create_deployment_group(applicationName=name, deploymentGroupName="g", serviceRoleArn=role,
                               deploymentStyle=BLUE_GREEN, ecsServices=ECS_SERVICE, loadBalancerInfo=ECS_LB,
                               deploymentConfigName="CodeDeployDefault.ECSCanary10Percent5Minutes",
                               blueGreenDeploymentConfiguration={
                                   "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE",
                                                                                 "terminationWaitTimeInMinutes": 5},
                                   "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"}})
    info = cd.get_deployment_group(applicationName=name, deploymentGroupName="g")["deploymentGroupInfo"]
    assert info["computePlatform"] == "ECS" and info["deploymentStyle"] == BLUE_GREEN
    assert info["ecsServices"] == ECS_SERVICE and info["loadBalancerInfo"] == ECS_LB
    assert info["deploymentConfigName"] == "CodeDeployDefault.ECSCanary10Percent5Minutes"
    assert cd.list_deployment_groups(applicationName=name)["deploymentGroups"] == ["g"]
    cd.delete_deployment_group(applicationName=name, deploymentGroupName="g")
    with pytest.raises(cd.exceptions.DeploymentGroupDoesNotExistException):
        cd.get_deployment_group(applicationName=name, deploymentGroupName="g")


@pytest.mark.parametrize("change, error", [
    ({"ecsServices": []}, "InvalidECSServiceException"),
    ({"ecsServices": ECS_SERVICE * 2}, "InvalidECSServiceException"),
    ({"loadBalancerInfo": {}}, "InvalidTargetGroupPairException"),
    ({"loadBalancerInfo": {"targetGroupPairInfoList": [{"targetGroups": [{"name": "only-one"}],
                                                        "prodTrafficRoute": {"listenerArns": [LISTENER]}}]}},
     "InvalidTargetGroupPairException"),
    ({"loadBalancerInfo": {"targetGroupPairInfoList": [{"targetGroups": [{"name": "a"}, {"name": "b"}]}]}},
     "InvalidTargetGroupPairException"),
    ({"loadBalancerInfo": {"targetGroupInfoList": [{"name": "tg"}]}}, "InvalidLoadBalancerInfoException"),
    ({"deploymentStyle": {"deploymentType": "IN_PLACE", "deploymentOption": "WITH_TRAFFIC_CONTROL"}},
     "InvalidDeploymentStyleException"),
    ({"autoScalingGroups": ["asg"]}, "InvalidInputException"),
    ({"deploymentConfigName": "CodeDeployDefault.OneAtATime"}, "InvalidDeploymentConfigNameException"),
    ({"deploymentConfigName": "CodeDeployDefault.LambdaAllAtOnce"}, "InvalidDeploymentConfigNameException"),
], ids=["no-service", "two-services", "no-pair", "one-target-group", "no-listener", "target-group-list",
        "in-place", "auto-scaling-groups", "server-config", "lambda-config"])
def test_ecs_group_rules(cd, app, role, change, error):
    name = app("ECS")
    request = {"applicationName": name, "deploymentGroupName": "g", "serviceRoleArn": role,
               "deploymentStyle": BLUE_GREEN, "ecsServices": ECS_SERVICE, "loadBalancerInfo": ECS_LB, **change}
    with pytest.raises(ClientError) as err:
        cd.create_deployment_group(**request)
    assert code(err) == error
    assert cd.list_deployment_groups(applicationName=name)["deploymentGroups"] == []


def test_a_lambda_group_shifts_traffic_without_instances_or_load_balancers(cd, app, role):
    name = app("Lambda")
    cd.create_deployment_group(applicationName=name, deploymentGroupName="g", serviceRoleArn=role)
    info = cd.get_deployment_group(applicationName=name, deploymentGroupName="g")["deploymentGroupInfo"]
    assert info["computePlatform"] == "Lambda" and info["deploymentStyle"] == BLUE_GREEN
    assert info["deploymentConfigName"] == "CodeDeployDefault.LambdaAllAtOnce"
    for change, error in (({"autoScalingGroups": ["asg"]}, "InvalidInputException"),
                          ({"ec2TagFilters": [{"Key": "k", "Value": "v", "Type": "KEY_AND_VALUE"}]}, "InvalidInputException"),
                          ({"ecsServices": ECS_SERVICE}, "InvalidECSServiceException"),
                          ({"loadBalancerInfo": {"targetGroupInfoList": [{"name": "tg"}]}}, "InvalidLoadBalancerInfoException"),
                          ({"deploymentConfigName": "CodeDeployDefault.HalfAtATime"}, "InvalidDeploymentConfigNameException")):
        with pytest.raises(ClientError) as err:
            cd.create_deployment_group(applicationName=name, deploymentGroupName="h", serviceRoleArn=role, **change)
        assert code(err) == error, change
    assert cd.list_deployment_groups(applicationName=name)["deploymentGroups"] == ["g"]


def test_a_server_group_takes_no_ecs_members(cd, app, role):
    name = app("Server")
    with pytest.raises(cd.exceptions.InvalidECSServiceException):
        cd.create_deployment_group(applicationName=name, deploymentGroupName="g", serviceRoleArn=role, ecsServices=ECS_SERVICE)
    with pytest.raises(cd.exceptions.InvalidTargetGroupPairException):
        cd.create_deployment_group(applicationName=name, deploymentGroupName="g", serviceRoleArn=role, loadBalancerInfo=ECS_LB)
    with pytest.raises(cd.exceptions.InvalidDeploymentConfigNameException):
        cd.create_deployment_group(applicationName=name, deploymentGroupName="g", serviceRoleArn=role,
                                   deploymentConfigName="CodeDeployDefault.ECSAllAtOnce")


def test_deployment_configs_per_platform(cd):
    lambda_canary = cd.get_deployment_config(deploymentConfigName="CodeDeployDefault.LambdaCanary10Percent5Minutes")["deploymentConfigInfo"]
    assert lambda_canary["computePlatform"] == "Lambda"
    assert lambda_canary["trafficRoutingConfig"] == {"type": "TimeBasedCanary",
                                                     "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 5}}
    ecs_linear = cd.get_deployment_config(deploymentConfigName="CodeDeployDefault.ECSLinear10PercentEvery1Minutes")["deploymentConfigInfo"]
    assert ecs_linear["computePlatform"] == "ECS" and ecs_linear["trafficRoutingConfig"]["type"] == "TimeBasedLinear"
    listed = cd.list_deployment_configs()["deploymentConfigsList"]
    assert {"CodeDeployDefault.LambdaAllAtOnce", "CodeDeployDefault.ECSAllAtOnce", "CodeDeployDefault.OneAtATime"} <= set(listed)

    name = f"linear-{uuid.uuid4().hex[:8]}"
    routing = {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 20, "linearInterval": 2}}
    cd.create_deployment_config(deploymentConfigName=name, computePlatform="Lambda", trafficRoutingConfig=routing)
    try:
        info = cd.get_deployment_config(deploymentConfigName=name)["deploymentConfigInfo"]
        assert (info["computePlatform"], info["trafficRoutingConfig"]) == ("Lambda", routing)
        assert "minimumHealthyHosts" not in info or info["minimumHealthyHosts"] is None
    finally:
        cd.delete_deployment_config(deploymentConfigName=name)
    for request, error in (
        ({"computePlatform": "ECS", "trafficRoutingConfig": {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 0, "canaryInterval": 5}}},
         "InvalidTrafficRoutingConfigurationException"),
        ({"computePlatform": "Lambda", "trafficRoutingConfig": {"type": "TimeBasedLinear"}}, "InvalidTrafficRoutingConfigurationException"),
        ({"computePlatform": "Lambda", "minimumHealthyHosts": {"type": "HOST_COUNT", "value": 1}}, "InvalidMinimumHealthyHostValueException"),
        ({"computePlatform": "Server", "minimumHealthyHosts": {"type": "HOST_COUNT", "value": 1},
          "trafficRoutingConfig": routing}, "InvalidTrafficRoutingConfigurationException"),
    ):
        with pytest.raises(ClientError) as err:
            cd.create_deployment_config(deploymentConfigName=f"bad-{uuid.uuid4().hex[:8]}", **request)
        assert code(err) == error, request


@pytest.mark.parametrize("platform, group", [
    ("Lambda", {}),
    ("ECS", {"deploymentStyle": BLUE_GREEN, "ecsServices": ECS_SERVICE, "loadBalancerInfo": ECS_LB}),
])
def test_lambda_and_ecs_deployments_are_refused_saying_what_is_not_emulated(cd, app, role, platform, group):
    name = app(platform)
    cd.create_deployment_group(applicationName=name, deploymentGroupName="g", serviceRoleArn=role, **group)
    with pytest.raises(ClientError) as err:
        cd.create_deployment(applicationName=name, deploymentGroupName="g", revision=APPSPEC)
    assert code(err) == "InvalidRevisionException"
    message = err.value.response["Error"]["Message"]
    assert f"localcloud does not emulate {platform} deployments" in message
    assert cd.list_deployments(applicationName=name, deploymentGroupName="g")["deployments"] == []
    with pytest.raises(cd.exceptions.RevisionRequiredException):
        cd.create_deployment(applicationName=name, deploymentGroupName="g")


def test_github_revisions_register_as_on_aws_and_are_refused_where_they_would_be_fetched(cd, app, role):
    name = app("Server")
    cd.register_application_revision(applicationName=name, revision=GITHUB, description="from GitHub")
    got = cd.get_application_revision(applicationName=name, revision=GITHUB)
    assert got["applicationName"] == name and got["revision"] == GITHUB
    assert got["revisionInfo"]["description"] == "from GitHub" and got["revisionInfo"]["deploymentGroups"] == []
    assert "registerTime" in got["revisionInfo"] and "firstUsedTime" not in got["revisionInfo"]
    assert cd.list_application_revisions(applicationName=name)["revisions"] == [GITHUB]
    batch = cd.batch_get_application_revisions(applicationName=name, revisions=[GITHUB])
    assert [r["revisionLocation"] for r in batch["revisions"]] == [GITHUB]

    cd.create_deployment_group(applicationName=name, deploymentGroupName="g", serviceRoleArn=role)
    with pytest.raises(ClientError) as err:
        cd.create_deployment(applicationName=name, deploymentGroupName="g", revision=GITHUB)
    assert code(err) == "InvalidRevisionException"
    assert "localcloud does not emulate GitHub revisions" in err.value.response["Error"]["Message"]
    assert cd.list_deployments(applicationName=name, deploymentGroupName="g")["deployments"] == []

    with pytest.raises(cd.exceptions.InvalidRevisionException):
        cd.register_application_revision(applicationName=name, revision={"revisionType": "GitHub",
                                                                         "gitHubLocation": {"repository": "octo/app"}})
    other = {"revisionType": "GitHub", "gitHubLocation": {"repository": "octo/app", "commitId": "b" * 40}}
    with pytest.raises(cd.exceptions.RevisionDoesNotExistException):
        cd.get_application_revision(applicationName=name, revision=other)


def test_a_server_deployment_registers_its_s3_revision(aws, cd, app, role):
    name = app("Server")
    s3 = aws("s3")
    bucket = f"rev-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("appspec.yml", "version: 0.0\nos: linux\n")
    s3.put_object(Bucket=bucket, Key="app.zip", Body=buf.getvalue())
    revision = {"revisionType": "S3", "s3Location": {"bucket": bucket, "key": "app.zip", "bundleType": "zip"}}
    # a group with no instances: the deployment starts and has nothing to deploy to
    cd.create_deployment_group(applicationName=name, deploymentGroupName="g", serviceRoleArn=role)
    deployment_id = cd.create_deployment(applicationName=name, deploymentGroupName="g", revision=revision)["deploymentId"]
    assert cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["computePlatform"] == "Server"
    info = cd.get_application_revision(applicationName=name, revision=revision)["revisionInfo"]
    assert info["deploymentGroups"] == ["g"] and info["firstUsedTime"] == info["lastUsedTime"]
    listed = cd.list_application_revisions(applicationName=name, s3Bucket=bucket, deployed="include")["revisions"]
    assert listed == [revision]
    assert cd.list_application_revisions(applicationName=name, deployed="exclude")["revisions"] == []
    with pytest.raises(ClientError) as err:
        cd.create_deployment(applicationName=name, deploymentGroupName="g", revision=APPSPEC)
    assert code(err) == "InvalidRevisionException" and "Lambda or ECS" in err.value.response["Error"]["Message"]
