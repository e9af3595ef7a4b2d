"""CodeDeploy: the application and its EC2 blue/green deployment group (COPY_AUTO_SCALING_GROUP,
the ALB's target group, TERMINATE blue after the wait, auto-rollback on failure and on alarm).

Deleting the group also deletes what CodeDeploy created for it: every copied Auto Scaling group
`CodeDeploy_<group>_d-*` (after a deployment the group points at one of those, not at ours)."""
from __future__ import annotations

from capstone.builders import fleet
from capstone.builders.context import BuildContext
from capstone.aws_status import DEPLOYMENT_ACTIVE
from capstone.retry import call, is_not_found, wait_until

NAME = "deploy"
APPLICATION = "codedeploy:application"
DEPLOYMENT_GROUP = "codedeploy:deployment-group"
TYPES = (APPLICATION, DEPLOYMENT_GROUP)

TERMINATION_WAIT_MINUTES = 2  # long enough for the alarm scenario to act after traffic moved


def group_config(ctx: BuildContext) -> dict:
    n = ctx.names
    return dict(
        applicationName=n.application, deploymentGroupName=n.deployment_group,
        serviceRoleArn=ctx.outputs.get(f"role:{n.deploy_role}") or n.role_arn(n.deploy_role),
        autoScalingGroups=[n.asg],
        deploymentConfigName="CodeDeployDefault.OneAtATime",
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        blueGreenDeploymentConfiguration={
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE",
                                                          "terminationWaitTimeInMinutes": TERMINATION_WAIT_MINUTES},
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
            "greenFleetProvisioningOption": {"action": "COPY_AUTO_SCALING_GROUP"},
        },
        loadBalancerInfo={"targetGroupInfoList": [{"name": n.target_group}]},
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]},
        alarmConfiguration={"enabled": True, "ignorePollAlarmFailure": False, "alarms": [{"name": n.alarm}]},
        tags=ctx.tag_list(),
    )


def create(ctx: BuildContext) -> None:
    n = ctx.names
    cd = ctx.client("codedeploy")
    entry = ctx.record(APPLICATION, n.application, builder=NAME)
    out = cd.create_application(applicationName=n.application, computePlatform="Server", tags=ctx.tag_list())
    ctx.created(entry, id=out["applicationId"], arn=n.arn("codedeploy", f"application:{n.application}"))

    entry = ctx.record(DEPLOYMENT_GROUP, n.deployment_group, builder=NAME, application=n.application)
    # CodeDeploy assumes the service role when the group is saved: InvalidRoleException while it
    # cannot yet, retried for a bound
    out = ctx.hand_over_fresh_iam(cd.create_deployment_group, what=f"create deployment group {n.deployment_group}",
                                  deadline=180, **group_config(ctx))
    ctx.created(entry, id=out["deploymentGroupId"],
                arn=n.arn("codedeploy", f"deploymentgroup:{n.application}/{n.deployment_group}"))


def green_groups(ctx: BuildContext, group: str) -> list[str]:
    """Every ASG CodeDeploy copied for `group` (found by name: they are outside any ledger)."""
    autoscaling = ctx.client("autoscaling")
    names = []
    for page in autoscaling.get_paginator("describe_auto_scaling_groups").paginate():
        names += [g["AutoScalingGroupName"] for g in page["AutoScalingGroups"]
                  if g["AutoScalingGroupName"].startswith(f"CodeDeploy_{group}_")]
    return names


def _active(cd, application: str, group: str) -> list[str]:
    try:
        return cd.list_deployments(applicationName=application, deploymentGroupName=group,
                                   includeOnlyStatuses=list(DEPLOYMENT_ACTIVE)).get("deployments", [])
    except Exception as exc:
        if is_not_found(exc):
            return []
        raise


def _stop_active(cd, application: str, group: str) -> None:
    """Stop running deployments and wait until they have stopped: one still provisioning would
    create its green ASG after we looked for green ASGs."""
    for deployment_id in _active(cd, application, group):
        try:
            cd.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=False)
        except Exception:  # already finished: nothing to stop
            pass
    wait_until(lambda: (not (left := _active(cd, application, group)), f"active: {left}"),
               what=f"the deployments of {group} to stop", timeout=600)


def delete(ctx: BuildContext, record: dict) -> None:
    cd = ctx.client("codedeploy")
    name = record["name"]
    if record["type"] == APPLICATION:
        try:
            call(cd.delete_application, applicationName=name, what=f"delete application {name}")
        except Exception as exc:
            if not is_not_found(exc):
                raise
        return
    application = record.get("attrs", {}).get("application") or ctx.names.application
    current: list[str] = []
    try:
        info = cd.get_deployment_group(applicationName=application, deploymentGroupName=name)["deploymentGroupInfo"]
        current = [g["name"] for g in info.get("autoScalingGroups", [])]
        _stop_active(cd, application, name)
        call(cd.delete_deployment_group, applicationName=application, deploymentGroupName=name,
             what=f"delete deployment group {name}")
    except Exception as exc:
        if not is_not_found(exc):
            raise
    for asg in sorted(set(current + green_groups(ctx, name))):
        fleet.delete_asg(ctx, asg)
