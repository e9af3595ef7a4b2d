"""A deployment's instance targets: List/BatchGet/GetDeploymentTarget(s), and the older
List/Get/BatchGetDeploymentInstance(s) over the same targets.
"""
from __future__ import annotations

from localcloud.codedeploy.api import shapes
from localcloud.codedeploy.api.common import Resource, paged
from localcloud.codedeploy.exceptions import (
    BatchLimitExceededException, DeploymentTargetDoesNotExistException,
    DeploymentTargetIdRequiredException, DeploymentTargetListSizeExceededException,
    InstanceDoesNotExistException, InstanceIdRequiredException,
)


class DeploymentInstances(Resource):
    """The instance targets of a deployment."""

    OPERATIONS = (
        "ListDeploymentTargets",
        "BatchGetDeploymentTargets",
        "GetDeploymentTarget",
        "ListDeploymentInstances",
        "GetDeploymentInstance",
        "BatchGetDeploymentInstances",
    )

    # -- targets and instances ----------------------------------------------------------------
    def list_deployment_targets(self, params, ctx):
        d = self._started(params["deploymentId"])
        filters = params.get("targetFilters") or {}
        statuses = set(filters.get("TargetStatus") or [])
        labels = set(filters.get("ServerInstanceLabel") or [])
        with self.backend.lock:
            ids = [t.instance_id for t in d.targets.values()
                   if (not statuses or t.status in statuses) and (not labels or t.label in labels)]
        page, token = paged(ids, params.get("nextToken"))
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
            return {"deploymentTargets": [shapes.deployment_target(d.targets[i]) for i in ids]}

    def get_deployment_target(self, params, ctx):
        d = self._started(params["deploymentId"])
        target_id = params.get("targetId")
        if not target_id:
            raise DeploymentTargetIdRequiredException("The target ID is required.")
        with self.backend.lock:
            target = d.targets.get(target_id)
            if target is None:
                raise DeploymentTargetDoesNotExistException(f"The deployment target {target_id} does not exist in deployment {d.deployment_id}.")
            return {"deploymentTarget": shapes.deployment_target(target)}

    def list_deployment_instances(self, params, ctx):
        d = self._started(params["deploymentId"])
        statuses = set(params.get("instanceStatusFilter") or [])
        kinds = set(params.get("instanceTypeFilter") or [])
        with self.backend.lock:
            ids = [t.instance_id for t in d.targets.values()
                   if (not statuses or t.status in statuses) and (not kinds or t.label in kinds)]
        page, token = paged(ids, params.get("nextToken"))
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
            return {"instanceSummary": shapes.instance_summary(target)}

    def batch_get_deployment_instances(self, params, ctx):
        d = self._deployment(params["deploymentId"])
        ids = params.get("instanceIds") or []
        if len(ids) > 100:
            raise BatchLimitExceededException("The maximum number of instance IDs allowed for this request (100) was exceeded.")
        with self.backend.lock:
            found = [shapes.instance_summary(d.targets[i]) for i in ids if i in d.targets]
            missing = [i for i in ids if i not in d.targets]
        return {"instancesSummary": found,
                "errorMessage": f"Instances not found in deployment {d.deployment_id}: {', '.join(missing)}" if missing else None}
