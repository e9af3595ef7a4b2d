"""AWS's output shapes (botocore model `codedeploy/2014-10-06`), rendered from CodeDeploy's state.

The models hold typed state only; every camelCase dict an operation answers with is built here:
ApplicationInfo, DeploymentGroupInfo, DeploymentConfigInfo, DeploymentInfo, DeploymentTarget
(InstanceTarget), InstanceSummary, LifecycleEvent. Callers hold `CodeDeployBackend.lock` while
rendering a deployment or its targets (the engine changes them).
"""
from __future__ import annotations

from localcloud.codedeploy.models import (
    Application, Deployment, DeploymentBrief, DeploymentConfig, DeploymentGroup, ErrorInformation,
    InstanceTarget, LifecycleEvent, RegisteredRevision, RollbackInfo,
)

DEFAULT_ALARM_CONFIGURATION = {"enabled": False, "ignorePollAlarmFailure": False, "alarms": []}
DEFAULT_AUTO_ROLLBACK_CONFIGURATION = {"enabled": False, "events": []}


def last_deployment_info(brief: DeploymentBrief | None) -> dict | None:
    if brief is None:
        return None
    return {"deploymentId": brief.deployment_id, "status": brief.status,
            "endTime": brief.end_time, "createTime": brief.create_time}


def error_information(error: ErrorInformation | None) -> dict | None:
    return None if error is None else {"code": error.code, "message": error.message}


def rollback_info(info: RollbackInfo | None) -> dict | None:
    """Only the members that are known, as AWS leaves the others out."""
    if info is None:
        return None
    members = {"rollbackDeploymentId": info.rollback_deployment_id,
               "rollbackTriggeringDeploymentId": info.triggering_deployment_id,
               "rollbackMessage": info.message}
    return {k: v for k, v in members.items() if v is not None}


def application_info(app: Application) -> dict:
    return {
        "applicationId": app.app_id,
        "applicationName": app.name,
        "createTime": app.create_time,
        "linkedToGitHub": False,
        "computePlatform": app.compute_platform,
    }


def deployment_config_info(config: DeploymentConfig) -> dict:
    return {
        "deploymentConfigId": config.config_id,
        "deploymentConfigName": config.name,
        "minimumHealthyHosts": config.minimum_healthy_hosts,
        "createTime": config.create_time,
        "computePlatform": config.compute_platform,
        "trafficRoutingConfig": config.traffic_routing_config,
        "zonalConfig": config.zonal_config,
    }


def deployment_group_info(group: DeploymentGroup) -> dict:
    info = {k: group.config.get(k) for k in DeploymentGroup.STORED}
    info.update({
        "applicationName": group.application,
        "deploymentGroupId": group.group_id,
        "deploymentGroupName": group.name,
        "deploymentConfigName": group.default_config,
        "serviceRoleArn": group.service_role_arn,
        "autoScalingGroups": [{"name": n, "hook": group.hook_name()} for n in group.auto_scaling_groups],
        "deploymentStyle": group.deployment_style,
        "outdatedInstancesStrategy": group.config.get("outdatedInstancesStrategy") or "UPDATE",
        "targetRevision": group.target_revision,
        "lastSuccessfulDeployment": last_deployment_info(group.last_successful),
        "lastAttemptedDeployment": last_deployment_info(group.last_attempted),
        "computePlatform": group.compute_platform,
        "ec2TagFilters": group.config.get("ec2TagFilters") or [],
        "onPremisesInstanceTagFilters": group.config.get("onPremisesInstanceTagFilters") or [],
        "triggerConfigurations": group.config.get("triggerConfigurations") or [],
        "alarmConfiguration": group.config.get("alarmConfiguration") or DEFAULT_ALARM_CONFIGURATION,
        "autoRollbackConfiguration": group.config.get("autoRollbackConfiguration") or DEFAULT_AUTO_ROLLBACK_CONFIGURATION,
    })
    return info


def lifecycle_event(ev: LifecycleEvent) -> dict:
    return {"lifecycleEventName": ev.name, "status": ev.status, "startTime": ev.start_time,
            "endTime": ev.end_time, "diagnostics": ev.diagnostics}


def deployment_target(t: InstanceTarget) -> dict:
    return {"deploymentTargetType": "InstanceTarget", "instanceTarget": {
        "deploymentId": t.deployment_id, "targetId": t.instance_id, "targetArn": t.arn,
        "status": t.status, "lastUpdatedAt": t.last_updated,
        "lifecycleEvents": [lifecycle_event(e) for e in t.events], "instanceLabel": t.label,
    }}


def instance_summary(t: InstanceTarget) -> dict:
    return {"deploymentId": t.deployment_id, "instanceId": t.instance_id, "status": t.status,
            "lastUpdatedAt": t.last_updated, "lifecycleEvents": [lifecycle_event(e) for e in t.events],
            "instanceType": t.label}


def deployment_info(d: Deployment) -> dict:
    return {
        "applicationName": d.application,
        "deploymentGroupName": d.group.name,
        "deploymentConfigName": d.config_name,
        "deploymentId": d.deployment_id,
        "previousRevision": d.previous_revision,
        "revision": d.revision,
        "status": d.status,
        "errorInformation": error_information(d.error),
        "createTime": d.create_time,
        "startTime": d.start_time,
        "completeTime": d.complete_time,
        "deploymentOverview": d.overview(),
        "description": d.description,
        "creator": d.creator,
        "ignoreApplicationStopFailures": d.ignore_application_stop_failures,
        "autoRollbackConfiguration": d.auto_rollback,
        "updateOutdatedInstancesOnly": False,
        "rollbackInfo": rollback_info(d.rollback_info),
        "deploymentStyle": d.style,
        "targetInstances": {"autoScalingGroups": [d.green_asg]} if d.green_asg else None,
        "instanceTerminationWaitTimeStarted": d.termination_wait_started,
        "blueGreenDeploymentConfiguration": d.blue_green_config,
        "loadBalancerInfo": d.load_balancer_info,
        "fileExistsBehavior": d.file_exists_behavior,
        "deploymentStatusMessages": list(d.status_messages),
        "computePlatform": d.group.compute_platform,
        "overrideAlarmConfiguration": d.override_alarm_configuration,
    }


def generic_revision_info(revision: RegisteredRevision) -> dict:
    return {"description": revision.description, "deploymentGroups": list(revision.groups),
            "firstUsedTime": revision.first_used, "lastUsedTime": revision.last_used,
            "registerTime": revision.register_time}
