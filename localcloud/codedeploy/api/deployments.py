"""CodeDeploy deployments: the S3 revision check, Create/Get/BatchGet/ListDeployments, and the
control of a running one (Stop/ContinueDeployment, SkipWaitTimeForInstanceTermination).
"""
from __future__ import annotations

from localcloud.codedeploy import principals
from localcloud.codedeploy.api import shapes
from localcloud.codedeploy.api.common import Resource, paged, parse_time
from localcloud.codedeploy.exceptions import (
    ApplicationNameRequiredException, BatchLimitExceededException,
    DeploymentAlreadyCompletedException, DeploymentGroupNameRequiredException,
    DeploymentIsNotInReadyStateException, DeploymentLimitExceededException,
    InvalidAutoRollbackConfigException, InvalidDeploymentConfigNameException, InvalidDeploymentStatusException,
    InvalidRevisionException,
    InvalidTimeRangeException, RevisionDoesNotExistException, RevisionRequiredException,
    UnsupportedActionForDeploymentTypeException,
)
from localcloud.codedeploy.models import DONE_STATUSES, ECS, LAMBDA, SERVER, Deployment
from localcloud.exceptions import AWSError
from localcloud.principal import Principal


SERVER_BUNDLE_TYPES = ("tar", "tgz", "zip")
#: what a deployment of each platform would have to do, which localcloud does not
NOT_EMULATED = {LAMBDA: "shifting traffic between versions of a Lambda function through its alias",
                ECS: "replacing an Amazon ECS service's task set and shifting its load balancer's traffic"}


class Deployments(Resource):
    """Deployments and their control."""

    OPERATIONS = (
        "CreateDeployment",
        "GetDeployment",
        "BatchGetDeployments",
        "ListDeployments",
        "StopDeployment",
        "ContinueDeployment",
        "SkipWaitTimeForInstanceTermination",
    )

    # -- deployments --------------------------------------------------------------------------
    @staticmethod
    def _check_platform(group, revision: dict | None) -> None:
        """What localcloud cannot carry out is refused here, where AWS would start carrying it
        out; the application, group and config of any platform exist as on AWS.

        The code is InvalidRevisionException: of the errors the model lists for
        CreateDeployment it is the one that says "this revision cannot be deployed" without
        blaming the config, the group or the instances, which are all valid; clients treat it
        as a 400 not to retry. (UnsupportedActionForDeploymentTypeException would read better
        but the model does not list it for CreateDeployment.)"""
        if not revision:
            raise RevisionRequiredException("The revision must be specified.")
        if group.compute_platform != SERVER:
            raise InvalidRevisionException(
                f"localcloud does not emulate {group.compute_platform} deployments ({NOT_EMULATED[group.compute_platform]}). "
                f"The application {group.application} and deployment group {group.name} are kept as on AWS, "
                "but localcloud carries out EC2/on-premises (Server) deployments only.")
        kind = revision.get("revisionType")
        if kind == "GitHub":
            raise InvalidRevisionException(
                "localcloud does not emulate GitHub revisions: it cannot fetch a commit from GitHub. Registering one "
                "(RegisterApplicationRevision) works; to deploy, upload the bundle to S3 and use revisionType S3.")
        if kind in ("String", "AppSpecContent"):
            raise InvalidRevisionException(
                f"A {kind} revision is an AppSpec for a Lambda or ECS deployment; an EC2/on-premises deployment "
                "takes an S3 (or GitHub) revision.")

    def _check_revision(self, revision: dict | None, principal: Principal) -> dict:
        """The S3 revision exists (HeadObject, as `principal`: the caller of CreateDeployment; the
        group's service role needs no S3 access on AWS, the instances read the revision)."""
        if not revision:
            raise RevisionRequiredException("The revision must be specified.")
        if revision.get("revisionType") != "S3" or not revision.get("s3Location"):
            raise InvalidRevisionException("An EC2/on-premises deployment needs revisionType S3 with an s3Location.")
        loc = dict(revision["s3Location"])
        if not loc.get("bucket") or not loc.get("key"):
            raise InvalidRevisionException("The S3 revision must specify a bucket and a key.")
        if loc.get("bundleType") not in SERVER_BUNDLE_TYPES:
            raise InvalidRevisionException(
                f"The bundle type {loc.get('bundleType')!r} is not valid for an EC2/On-premises deployment: use tar, tgz or zip.")
        where = f"s3://{loc['bucket']}/{loc['key']}" + (f" (version {loc['version']})" if loc.get("version") else "")
        try:
            head = self.services.s3.head_object(principal, loc["bucket"], loc["key"], version_id=loc.get("version") or None)
        except AWSError:
            raise RevisionDoesNotExistException(f"The revision does not exist: no object at {where}.") from None
        if loc.get("eTag") and loc["eTag"].strip('"') != head.etag:
            raise RevisionDoesNotExistException(f"The revision does not exist: the object at {where} has a different ETag.")
        return {"revisionType": "S3", "s3Location": loc}

    def create_deployment(self, params, ctx, caller: Principal | None = None):
        """CreateDeployment; CodeDeploy's door (contract.py) starts deployments through it too,
        naming its `caller`. An API request's caller is the account's own (localcloud takes any
        credentials)."""
        group = self._group(params["applicationName"], params.get("deploymentGroupName"))
        principal = principals.service_role(group.service_role_arn)
        self._check_platform(group, params.get("revision"))
        revision = self._check_revision(params.get("revision"),
                                        caller or Principal.root(self.backend.account_id))
        config_name = params.get("deploymentConfigName") or group.default_config
        if self._config(config_name).compute_platform != group.compute_platform:
            raise InvalidDeploymentConfigNameException(
                f"The deployment configuration {config_name} is not for the {group.compute_platform} compute platform.")
        self._check_role(group.service_role_arn, principal)
        if group.auto_scaling_groups:
            # Choice: a group whose ASG was deleted is refused here, before anything is created.
            self._check_asgs(group.auto_scaling_groups, principal)
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
            # a deployment registers its revision with the application (GetApplicationRevision)
            self.backend.applications[group.application].used(revision, group.name, d.create_time)
        self.provider.engine.start(d)
        return {"deploymentId": d.deployment_id}

    def get_deployment(self, params, ctx):
        d = self._deployment(params["deploymentId"])
        with self.backend.lock:
            return {"deploymentInfo": shapes.deployment_info(d)}

    def batch_get_deployments(self, params, ctx):
        ids = params.get("deploymentIds") or []
        if len(ids) > 25:
            raise BatchLimitExceededException("The maximum number of deployment IDs allowed for this request (25) was exceeded.")
        with self.backend.lock:
            return {"deploymentsInfo": [shapes.deployment_info(self.backend.deployments[i]) for i in ids if i in self.backend.deployments]}

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
        start, end = parse_time(window.get("start")), parse_time(window.get("end"))
        if start and end and start > end:
            raise InvalidTimeRangeException("The start time of the time range is after its end time.")
        with self.backend.lock:
            found = [d for d in self.backend.deployments.values()
                     if (group is None or d.group is group)
                     and (not statuses or d.status in statuses)
                     and (start is None or d.create_time >= start) and (end is None or d.create_time <= end)]
        found.sort(key=lambda d: d.create_time, reverse=True)
        page, token = paged([d.deployment_id for d in found], params.get("nextToken"))
        return {"deployments": page, "nextToken": token}

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
