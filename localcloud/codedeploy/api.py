"""CodeDeploy operations: request dicts in, AWS-shaped dicts out, AWS's errors on bad input.

Validation happens before anything is created; checks that need another service (IAM role, S3
revision, Auto Scaling group) go through that service's API as CodeDeploy's own do.
"""
from __future__ import annotations

from datetime import datetime, timezone

from botocore.exceptions import BotoCoreError, ClientError

from localcloud import paging
from localcloud.codedeploy import autoscaling as asg_api
from localcloud.codedeploy.exceptions import (
    AlarmsLimitExceededException, ApplicationAlreadyExistsException,
    ApplicationDoesNotExistException, ApplicationNameRequiredException, ArnNotSupportedException,
    BatchLimitExceededException, DeploymentAlreadyCompletedException,
    DeploymentConfigAlreadyExistsException, DeploymentConfigDoesNotExistException,
    DeploymentConfigInUseException, DeploymentDoesNotExistException,
    DeploymentGroupAlreadyExistsException, DeploymentGroupDoesNotExistException,
    DeploymentGroupNameRequiredException, DeploymentIdRequiredException,
    DeploymentIsNotInReadyStateException, DeploymentLimitExceededException,
    DeploymentNotStartedException, DeploymentTargetDoesNotExistException,
    DeploymentTargetIdRequiredException, DeploymentTargetListSizeExceededException,
    InstanceDoesNotExistException, InstanceIdRequiredException, InvalidAlarmConfigException,
    InvalidArnException, InvalidAutoRollbackConfigException, InvalidAutoScalingGroupException,
    InvalidBlueGreenDeploymentConfigurationException, InvalidComputePlatformException,
    InvalidDeploymentIdException, InvalidDeploymentStatusException, InvalidDeploymentStyleException,
    InvalidLoadBalancerInfoException, InvalidMinimumHealthyHostValueException,
    InvalidNextTokenException, InvalidOperationException, InvalidRevisionException,
    InvalidRoleException, InvalidTimeRangeException, RevisionDoesNotExistException,
    RevisionRequiredException, UnsupportedActionForDeploymentTypeException,
)
from localcloud.codedeploy.models import (
    DONE_STATUSES, Application, CodeDeployBackend, Deployment, DeploymentConfig, DeploymentGroup,
)

PAGE = 100
SERVER_BUNDLE_TYPES = ("tar", "tgz", "zip")


def _tags(raw) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in raw or [] if "Key" in t}


def _page(items: list, token: str | None) -> tuple[list, str | None]:
    return paging.page(items, token, PAGE, error_code=InvalidNextTokenException.__name__, message="The next token is not valid.")


def _time(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


class CodeDeployAPI:
    def __init__(self, provider):
        self.provider = provider

    @property
    def backend(self) -> CodeDeployBackend:
        return self.provider.backend

    @property
    def cloud(self):
        return self.provider.cloud

    def operations(self) -> dict:
        names = [
            "CreateApplication", "GetApplication", "DeleteApplication", "ListApplications", "BatchGetApplications",
            "CreateDeploymentGroup", "UpdateDeploymentGroup", "GetDeploymentGroup", "DeleteDeploymentGroup",
            "ListDeploymentGroups", "BatchGetDeploymentGroups",
            "CreateDeploymentConfig", "GetDeploymentConfig", "DeleteDeploymentConfig", "ListDeploymentConfigs",
            "CreateDeployment", "GetDeployment", "BatchGetDeployments", "ListDeployments",
            "ListDeploymentTargets", "BatchGetDeploymentTargets", "GetDeploymentTarget",
            "ListDeploymentInstances", "GetDeploymentInstance", "BatchGetDeploymentInstances",
            "StopDeployment", "ContinueDeployment", "SkipWaitTimeForInstanceTermination",
            "TagResource", "UntagResource", "ListTagsForResource",
        ]
        return {name: getattr(self, _snake(name)) for name in names}

    # -- lookups ------------------------------------------------------------------------------
    def _app(self, name: str | None) -> Application:
        if not name:
            raise ApplicationNameRequiredException("The application name is required.")
        app = self.backend.applications.get(name)
        if app is None:
            raise ApplicationDoesNotExistException(f"No application found for name: {name}")
        return app

    def _group(self, app: str, name: str | None) -> DeploymentGroup:
        self._app(app)
        if not name:
            raise DeploymentGroupNameRequiredException("The deployment group name is required.")
        group = self.backend.groups.get((app, name))
        if group is None:
            raise DeploymentGroupDoesNotExistException(f"No Deployment Group found for name: {name}")
        return group

    def _config(self, name: str) -> DeploymentConfig:
        config = self.backend.configs.get(name)
        if config is None:
            raise DeploymentConfigDoesNotExistException(f"No deployment configuration found for name: {name}")
        return config

    def _deployment(self, deployment_id: str | None) -> Deployment:
        if not deployment_id:
            raise DeploymentIdRequiredException("The deployment ID is required.")
        d = self.backend.deployments.get(deployment_id)
        if d is None:
            if not (deployment_id.startswith("d-") and len(deployment_id) == 11):
                raise InvalidDeploymentIdException(f"Specified DeploymentId is not in the valid format: {deployment_id}")
            raise DeploymentDoesNotExistException(f"The deployment {deployment_id} could not be found.")
        return d

    def _started(self, deployment_id: str) -> Deployment:
        d = self._deployment(deployment_id)
        if d.status in ("Created", "Queued"):
            raise DeploymentNotStartedException(f"The deployment {deployment_id} has not started.")
        return d

    def _check_role(self, role_arn: str) -> None:
        name = role_arn.rsplit("/", 1)[-1] if ":role/" in role_arn else None
        try:
            if name is None:
                raise ValueError
            self.provider.clients("iam").get_role(RoleName=name)
        except (ClientError, ValueError):
            raise InvalidRoleException(f"AWS CodeDeploy does not have the permissions required to assume the role {role_arn}.") from None

    def _check_asgs(self, names: list[str]) -> None:
        client = self.provider.clients("autoscaling")
        for name in names:
            if asg_api.describe(client, name) is None:
                # UNCONFIRMED wording; the exception is the one the model lists for this case.
                raise InvalidAutoScalingGroupException(f"Auto Scaling group {name} does not exist.")

    # -- applications -------------------------------------------------------------------------
    def create_application(self, params, ctx):
        name = params["applicationName"]
        platform = params.get("computePlatform") or "Server"
        if platform != "Server":
            raise InvalidComputePlatformException(f"localcloud CodeDeploy supports the Server compute platform only, not {platform}.")
        with self.backend.lock:
            if name in self.backend.applications:
                raise ApplicationAlreadyExistsException(f"Application already exists with name {name}")
            app = Application(name, self.backend.now(), tags=_tags(params.get("tags")))
            self.backend.applications[name] = app
        return {"applicationId": app.app_id}

    def get_application(self, params, ctx):
        return {"application": self._app(params["applicationName"]).to_info()}

    def delete_application(self, params, ctx):
        name = params["applicationName"]
        with self.backend.lock:
            if self.backend.applications.pop(name, None) is None:
                return {}
            for key in [k for k in self.backend.groups if k[0] == name]:
                self._drop_group(self.backend.groups.pop(key))
        return {}

    def list_applications(self, params, ctx):
        names, token = _page(sorted(self.backend.applications), params.get("nextToken"))
        return {"applications": names, "nextToken": token}

    def batch_get_applications(self, params, ctx):
        names = params.get("applicationNames") or []
        if len(names) > 100:
            raise BatchLimitExceededException("The maximum number of names or IDs allowed for this request (100) was exceeded.")
        return {"applicationsInfo": [self._app(n).to_info() for n in names]}

    # -- deployment groups --------------------------------------------------------------------
    def _validate_group(self, cfg: dict) -> None:
        style = cfg.get("deploymentStyle") or {}
        bg = cfg.get("blueGreenDeploymentConfiguration") or {}
        asgs = cfg.get("autoScalingGroups") or []
        if cfg.get("deploymentConfigName"):
            self._config(cfg["deploymentConfigName"])
        provisioning = (bg.get("greenFleetProvisioningOption") or {}).get("action", "DISCOVER_EXISTING")
        if style.get("deploymentType") == "BLUE_GREEN":
            if style.get("deploymentOption", "WITHOUT_TRAFFIC_CONTROL") != "WITH_TRAFFIC_CONTROL":
                raise InvalidDeploymentStyleException("A blue/green deployment group must use traffic control (WITH_TRAFFIC_CONTROL).")
            if provisioning == "COPY_AUTO_SCALING_GROUP" and len(asgs) != 1:
                raise InvalidBlueGreenDeploymentConfigurationException(
                    "Exactly one AutoScaling group must be specifed when selecting the COPY_AUTO_SCALING_GROUP green fleet provisioning option")
            ready = bg.get("deploymentReadyOption") or {}
            if ready.get("actionOnTimeout", "CONTINUE_DEPLOYMENT") == "CONTINUE_DEPLOYMENT" and ready.get("waitTimeInMinutes"):
                raise InvalidBlueGreenDeploymentConfigurationException(
                    "Deployment ready action cannot be set to 'CONTINUE_DEPLOYMENT' when timeout is specified")
            wait = (bg.get("terminateBlueInstancesOnDeploymentSuccess") or {}).get("terminationWaitTimeInMinutes")
            if wait is not None and not 0 <= wait <= 2880:
                raise InvalidBlueGreenDeploymentConfigurationException("terminationWaitTimeInMinutes must be between 0 and 2880.")
        rollback = cfg.get("autoRollbackConfiguration") or {}
        if rollback.get("enabled") and not rollback.get("events"):
            raise InvalidAutoRollbackConfigException("Automatic rollback is enabled but no rollback events are specified.")
        alarm = cfg.get("alarmConfiguration") or {}
        if len(alarm.get("alarms") or []) > 10:
            raise AlarmsLimitExceededException("The maximum number of alarms for a deployment group (10) was exceeded.")
        if alarm.get("enabled") and not alarm.get("alarms"):
            raise InvalidAlarmConfigException("Alarm monitoring is enabled but no alarms are specified.")
        tgs = (cfg.get("loadBalancerInfo") or {}).get("targetGroupInfoList") or []
        if len(tgs) > 10:
            raise InvalidLoadBalancerInfoException("The maximum number of target groups (10) was exceeded.")
        if asgs:
            self._check_asgs(asgs)

    def create_deployment_group(self, params, ctx):
        app = self._app(params["applicationName"])
        name = params["deploymentGroupName"]
        if (app.name, name) in self.backend.groups:
            raise DeploymentGroupAlreadyExistsException(f"Deployment Group already exists with name {name}")
        self._validate_group(params)
        self._check_role(params["serviceRoleArn"])
        config = {k: params.get(k) for k in DeploymentGroup.STORED if k in params}
        group = DeploymentGroup(app.name, name, params["serviceRoleArn"], config,
                                auto_scaling_groups=list(params.get("autoScalingGroups") or []),
                                tags=_tags(params.get("tags")))
        with self.backend.lock:
            if (app.name, name) in self.backend.groups:
                raise DeploymentGroupAlreadyExistsException(f"Deployment Group already exists with name {name}")
            self.backend.groups[(app.name, name)] = group
        self._put_hooks(group, group.auto_scaling_groups)
        return {"deploymentGroupId": group.group_id}

    def update_deployment_group(self, params, ctx):
        group = self._group(params["applicationName"], params.get("currentDeploymentGroupName"))
        merged = {**group.config, **{k: params[k] for k in DeploymentGroup.STORED if k in params}}
        if "autoScalingGroups" in params:
            merged["autoScalingGroups"] = params["autoScalingGroups"]
        else:
            merged["autoScalingGroups"] = group.auto_scaling_groups
        self._validate_group(merged)
        if params.get("serviceRoleArn"):
            self._check_role(params["serviceRoleArn"])
        new_name = params.get("newDeploymentGroupName") or group.name
        with self.backend.lock:
            if new_name != group.name:
                if (group.application, new_name) in self.backend.groups:
                    raise DeploymentGroupAlreadyExistsException(f"Deployment Group already exists with name {new_name}")
                self.backend.groups.pop((group.application, group.name))
                group.name = new_name
                self.backend.groups[(group.application, new_name)] = group
            group.config.update({k: params[k] for k in DeploymentGroup.STORED if k in params})
            if params.get("serviceRoleArn"):
                group.service_role_arn = params["serviceRoleArn"]
            removed = []
            if "autoScalingGroups" in params:
                removed = [n for n in group.auto_scaling_groups if n not in params["autoScalingGroups"]]
                group.auto_scaling_groups = list(params["autoScalingGroups"])
        not_cleaned = self._remove_hooks(group, removed)
        self._put_hooks(group, group.auto_scaling_groups)
        return {"hooksNotCleanedUp": not_cleaned}

    def get_deployment_group(self, params, ctx):
        group = self._group(params["applicationName"], params["deploymentGroupName"])
        return {"deploymentGroupInfo": group.to_info()}

    def batch_get_deployment_groups(self, params, ctx):
        app = params["applicationName"]
        self._app(app)
        infos, missing = [], []
        for name in params.get("deploymentGroupNames") or []:
            group = self.backend.groups.get((app, name))
            (infos.append(group.to_info()) if group else missing.append(name))
        return {"deploymentGroupsInfo": infos,
                "errorMessage": f"Deployment groups not found: {', '.join(missing)}" if missing else None}

    def delete_deployment_group(self, params, ctx):
        self._app(params["applicationName"])
        with self.backend.lock:
            group = self.backend.groups.pop((params["applicationName"], params["deploymentGroupName"]), None)
        if group is None:
            return {"hooksNotCleanedUp": []}
        return {"hooksNotCleanedUp": self._drop_group(group)}

    def list_deployment_groups(self, params, ctx):
        app = self._app(params["applicationName"])
        names = sorted(n for (a, n) in self.backend.groups if a == app.name)
        page, token = _page(names, params.get("nextToken"))
        return {"applicationName": app.name, "deploymentGroups": page, "nextToken": token}

    def _drop_group(self, group: DeploymentGroup) -> list[dict]:
        run_ids = [d.deployment_id for d in self.backend.deployments.values() if d.group is group and d.active]
        for ident in run_ids:
            run = self.provider.engine.runs.get(ident)
            if run is not None:
                run.request_stop("DEPLOYMENT_GROUP_MISSING", "The deployment group was deleted.", False)
        return self._remove_hooks(group, group.auto_scaling_groups)

    def _put_hooks(self, group: DeploymentGroup, names: list[str]) -> None:
        if not names:
            return
        client = self.provider.clients("autoscaling")
        for name in names:
            asg_api.put_hook(client, name, group.hook_name())

    def _remove_hooks(self, group: DeploymentGroup, names: list[str]) -> list[dict]:
        if not names:
            return []
        client = self.provider.clients("autoscaling")
        return [{"name": n, "hook": group.hook_name()} for n in names if not asg_api.remove_hook(client, n, group.hook_name())]

    # -- deployment configs -------------------------------------------------------------------
    def create_deployment_config(self, params, ctx):
        name = params["deploymentConfigName"]
        platform = params.get("computePlatform") or "Server"
        mhh = params.get("minimumHealthyHosts")
        if platform == "Server":
            if not mhh or mhh.get("type") not in ("HOST_COUNT", "FLEET_PERCENT") or mhh.get("value") is None:
                raise InvalidMinimumHealthyHostValueException("The minimum healthy instance value must be specified with a type of HOST_COUNT or FLEET_PERCENT.")
            if mhh["value"] < 0 or (mhh["type"] == "FLEET_PERCENT" and mhh["value"] > 99):
                raise InvalidMinimumHealthyHostValueException("The minimum healthy instance value is not valid: FLEET_PERCENT must be 0-99 and HOST_COUNT at least 0.")
        with self.backend.lock:
            if name in self.backend.configs:
                raise DeploymentConfigAlreadyExistsException(f"A deployment configuration with the name {name} already exists.")
            config = DeploymentConfig(name, mhh, self.backend.now(), platform,
                                      traffic_routing_config=params.get("trafficRoutingConfig"), zonal_config=params.get("zonalConfig"))
            self.backend.configs[name] = config
        return {"deploymentConfigId": config.config_id}

    def get_deployment_config(self, params, ctx):
        return {"deploymentConfigInfo": self._config(params["deploymentConfigName"]).to_info()}

    def delete_deployment_config(self, params, ctx):
        name = params["deploymentConfigName"]
        with self.backend.lock:
            config = self.backend.configs.get(name)
            if config is None:
                return {}
            if config.builtin:
                raise InvalidOperationException(f"The default deployment configuration {name} cannot be deleted.")
            if any(g.config.get("deploymentConfigName") == name for g in self.backend.groups.values()):
                raise DeploymentConfigInUseException(f"The deployment configuration {name} is in use by a deployment group.")
            del self.backend.configs[name]
        return {}

    def list_deployment_configs(self, params, ctx):
        page, token = _page(sorted(self.backend.configs), params.get("nextToken"))
        return {"deploymentConfigsList": page, "nextToken": token}

    # -- deployments --------------------------------------------------------------------------
    def _check_revision(self, revision: dict | None) -> dict:
        if not revision:
            raise RevisionRequiredException("The revision must be specified.")
        if revision.get("revisionType") != "S3" or not revision.get("s3Location"):
            raise InvalidRevisionException("localcloud CodeDeploy deploys S3 revisions (revisionType S3 with s3Location).")
        loc = dict(revision["s3Location"])
        if not loc.get("bucket") or not loc.get("key"):
            raise InvalidRevisionException("The S3 revision must specify a bucket and a key.")
        if loc.get("bundleType") not in SERVER_BUNDLE_TYPES:
            raise InvalidRevisionException(
                f"The bundle type {loc.get('bundleType')!r} is not valid for an EC2/On-premises deployment: use tar, tgz or zip.")
        kwargs = {"Bucket": loc["bucket"], "Key": loc["key"]}
        if loc.get("version"):
            kwargs["VersionId"] = loc["version"]
        where = f"s3://{loc['bucket']}/{loc['key']}" + (f" (version {loc['version']})" if loc.get("version") else "")
        try:
            head = self.provider.clients("s3").head_object(**kwargs)
        except (ClientError, BotoCoreError):
            raise RevisionDoesNotExistException(f"The revision does not exist: no object at {where}.") from None
        if loc.get("eTag") and loc["eTag"].strip('"') != head.get("ETag", "").strip('"'):
            raise RevisionDoesNotExistException(f"The revision does not exist: the object at {where} has a different ETag.")
        return {"revisionType": "S3", "s3Location": loc}

    def create_deployment(self, params, ctx):
        group = self._group(params["applicationName"], params.get("deploymentGroupName"))
        revision = self._check_revision(params.get("revision"))
        config_name = params.get("deploymentConfigName") or group.config.get("deploymentConfigName") or "CodeDeployDefault.OneAtATime"
        self._config(config_name)
        self._check_role(group.service_role_arn)
        if group.auto_scaling_groups:
            # Choice: a group whose ASG was deleted is refused here, before anything is created.
            self._check_asgs(group.auto_scaling_groups)
        bg = group.config.get("blueGreenDeploymentConfiguration") if group.is_blue_green else None
        rollback = params.get("autoRollbackConfiguration") or group.config.get("autoRollbackConfiguration")
        if rollback and rollback.get("enabled") and not rollback.get("events"):
            raise InvalidAutoRollbackConfigException("Automatic rollback is enabled but no rollback events are specified.")
        with self.backend.lock:
            active = self.backend.active_deployment(group)
            if active is not None:
                # AWS's wording for a group with an active deployment (its generic text is
                # "The number of allowed deployments was exceeded").
                raise DeploymentLimitExceededException(
                    f"The Deployment Group '{group.name}' already has an active Deployment '{active.deployment_id}'")
            last = self.backend.last_successful_deployment(group)
            d = Deployment(
                deployment_id=self.backend.new_deployment_id(), application=group.application, group=group,
                config_name=config_name, revision=revision, creator="user", create_time=self.backend.now(),
                description=params.get("description"), previous_revision=last.revision if last else None,
                ignore_application_stop_failures=bool(params.get("ignoreApplicationStopFailures")),
                auto_rollback=rollback, file_exists_behavior=params.get("fileExistsBehavior") or "DISALLOW",
                override_alarm_configuration=params.get("overrideAlarmConfiguration"),
                style=group.deployment_style, blue_green_config=bg,
                load_balancer_info=group.config.get("loadBalancerInfo"),
                blue_asg=group.auto_scaling_groups[0] if group.is_blue_green and group.auto_scaling_groups else None,
            )
            self.backend.deployments[d.deployment_id] = d
            group.last_attempted = d.brief()
        self.provider.engine.start(d)
        return {"deploymentId": d.deployment_id}

    def get_deployment(self, params, ctx):
        d = self._deployment(params["deploymentId"])
        with self.backend.lock:
            return {"deploymentInfo": d.to_info()}

    def batch_get_deployments(self, params, ctx):
        ids = params.get("deploymentIds") or []
        if len(ids) > 25:
            raise BatchLimitExceededException("The maximum number of deployment IDs allowed for this request (25) was exceeded.")
        with self.backend.lock:
            return {"deploymentsInfo": [self.backend.deployments[i].to_info() for i in ids if i in self.backend.deployments]}

    def list_deployments(self, params, ctx):
        app, group_name = params.get("applicationName"), params.get("deploymentGroupName")
        group = None
        if group_name and not app:
            raise ApplicationNameRequiredException("The application name is required when a deployment group name is given.")
        if app and not group_name:
            raise DeploymentGroupNameRequiredException("The deployment group name is required when an application name is given.")
        if app:
            group = self._group(app, group_name)
        statuses = set(params.get("includeOnlyStatuses") or [])
        window = params.get("createTimeRange") or {}
        start, end = _time(window.get("start")), _time(window.get("end"))
        if start and end and start > end:
            raise InvalidTimeRangeException("The start time of the time range is after its end time.")
        with self.backend.lock:
            found = [d for d in self.backend.deployments.values()
                     if (group is None or d.group is group)
                     and (not statuses or d.status in statuses)
                     and (start is None or d.create_time >= start) and (end is None or d.create_time <= end)]
        found.sort(key=lambda d: d.create_time, reverse=True)
        page, token = _page([d.deployment_id for d in found], params.get("nextToken"))
        return {"deployments": page, "nextToken": token}

    # -- targets and instances ----------------------------------------------------------------
    def list_deployment_targets(self, params, ctx):
        d = self._started(params["deploymentId"])
        filters = params.get("targetFilters") or {}
        statuses = set(filters.get("TargetStatus") or [])
        labels = set(filters.get("ServerInstanceLabel") or [])
        with self.backend.lock:
            ids = [t.instance_id for t in d.targets.values()
                   if (not statuses or t.status in statuses) and (not labels or t.label in labels)]
        page, token = _page(ids, params.get("nextToken"))
        return {"targetIds": page, "nextToken": token}

    def batch_get_deployment_targets(self, params, ctx):
        d = self._started(params["deploymentId"])
        ids = params.get("targetIds") or []
        if len(ids) > 25:
            raise DeploymentTargetListSizeExceededException("The maximum number of targets that can be retrieved (25) was exceeded.")
        with self.backend.lock:
            missing = [i for i in ids if i not in d.targets]
            if missing:
                raise DeploymentTargetDoesNotExistException(f"The deployment target {missing[0]} does not exist in deployment {d.deployment_id}.")
            return {"deploymentTargets": [d.targets[i].to_target() for i in ids]}

    def get_deployment_target(self, params, ctx):
        d = self._started(params["deploymentId"])
        target_id = params.get("targetId")
        if not target_id:
            raise DeploymentTargetIdRequiredException("The target ID is required.")
        with self.backend.lock:
            target = d.targets.get(target_id)
            if target is None:
                raise DeploymentTargetDoesNotExistException(f"The deployment target {target_id} does not exist in deployment {d.deployment_id}.")
            return {"deploymentTarget": target.to_target()}

    def list_deployment_instances(self, params, ctx):
        d = self._started(params["deploymentId"])
        statuses = set(params.get("instanceStatusFilter") or [])
        kinds = set(params.get("instanceTypeFilter") or [])
        with self.backend.lock:
            ids = [t.instance_id for t in d.targets.values()
                   if (not statuses or t.status in statuses) and (not kinds or t.label in kinds)]
        page, token = _page(ids, params.get("nextToken"))
        return {"instancesList": page, "nextToken": token}

    def get_deployment_instance(self, params, ctx):
        d = self._deployment(params["deploymentId"])
        instance_id = params.get("instanceId")
        if not instance_id:
            raise InstanceIdRequiredException("The instance ID is required.")
        with self.backend.lock:
            target = d.targets.get(instance_id)
            if target is None:
                raise InstanceDoesNotExistException(f"The instance {instance_id} is not part of deployment {d.deployment_id}.")
            return {"instanceSummary": target.to_summary()}

    def batch_get_deployment_instances(self, params, ctx):
        d = self._deployment(params["deploymentId"])
        ids = params.get("instanceIds") or []
        if len(ids) > 100:
            raise BatchLimitExceededException("The maximum number of instance IDs allowed for this request (100) was exceeded.")
        with self.backend.lock:
            found = [d.targets[i].to_summary() for i in ids if i in d.targets]
            missing = [i for i in ids if i not in d.targets]
        return {"instancesSummary": found,
                "errorMessage": f"Instances not found in deployment {d.deployment_id}: {', '.join(missing)}" if missing else None}

    # -- control ------------------------------------------------------------------------------
    def _run(self, d: Deployment):
        if d.status in DONE_STATUSES:
            raise DeploymentAlreadyCompletedException(f"The deployment {d.deployment_id} has already completed.")
        run = self.provider.engine.runs.get(d.deployment_id)
        if run is None:
            raise DeploymentAlreadyCompletedException(f"The deployment {d.deployment_id} has already completed.")
        return run

    def stop_deployment(self, params, ctx):
        d = self._deployment(params["deploymentId"])
        run = self._run(d)
        status, message = self.provider.engine.stop_deployment(run, params.get("autoRollbackEnabled"))
        return {"status": status, "statusMessage": message}

    def continue_deployment(self, params, ctx):
        d = self._deployment(params.get("deploymentId"))
        wait_type = params.get("deploymentWaitType") or "READY_WAIT"
        if d.style.get("deploymentType") != "BLUE_GREEN":
            raise UnsupportedActionForDeploymentTypeException("ContinueDeployment applies to blue/green deployments only.")
        run = self._run(d)
        if wait_type == "READY_WAIT":
            if d.status != "Ready":
                raise DeploymentIsNotInReadyStateException(f"The deployment {d.deployment_id} is not in the Ready state.")
            run.ready_continue.set()
        else:
            if not d.termination_wait_started:
                raise InvalidDeploymentStatusException(f"The deployment {d.deployment_id} is not waiting to terminate the original instances.")
            run.skip_termination_wait.set()
        return {}

    def skip_wait_time_for_instance_termination(self, params, ctx):
        return self.continue_deployment({"deploymentId": params.get("deploymentId"), "deploymentWaitType": "TERMINATION_WAIT"}, ctx)

    # -- tags ---------------------------------------------------------------------------------
    def _resource(self, arn: str):
        parts = arn.split(":", 6)
        if len(parts) < 7 or parts[2] != "codedeploy":
            raise InvalidArnException(f"The ARN {arn} is not a valid CodeDeploy ARN.")
        kind, _, rest = parts[5], None, parts[6]
        if kind == "application":
            return self._app(rest)
        if kind == "deploymentgroup" and "/" in rest:
            app, name = rest.split("/", 1)
            return self._group(app, name)
        raise ArnNotSupportedException(f"The ARN {arn} is not supported for tagging.")

    def tag_resource(self, params, ctx):
        res = self._resource(params["ResourceArn"])
        with self.backend.lock:
            res.tags.update(_tags(params.get("Tags")))
        return {}

    def untag_resource(self, params, ctx):
        res = self._resource(params["ResourceArn"])
        with self.backend.lock:
            for key in params.get("TagKeys") or []:
                res.tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, params, ctx):
        res = self._resource(params["ResourceArn"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(res.tags.items())]}


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
