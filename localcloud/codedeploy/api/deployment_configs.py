"""CodeDeploy deployment configs: Create/Get/Delete/ListDeploymentConfigs (the built-in
CodeDeployDefault.* ones cannot be deleted).
"""
from __future__ import annotations

from localcloud.codedeploy.api import shapes
from localcloud.codedeploy.api.common import Resource, paged
from localcloud.codedeploy.exceptions import (
    DeploymentConfigAlreadyExistsException, DeploymentConfigInUseException,
    InvalidMinimumHealthyHostValueException, InvalidOperationException,
)
from localcloud.codedeploy.models import DeploymentConfig


class DeploymentConfigs(Resource):
    """Deployment configs."""

    OPERATIONS = (
        "CreateDeploymentConfig",
        "GetDeploymentConfig",
        "DeleteDeploymentConfig",
        "ListDeploymentConfigs",
    )

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
        return {"deploymentConfigInfo": shapes.deployment_config_info(self._config(params["deploymentConfigName"]))}

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
        page, token = paged(sorted(self.backend.configs), params.get("nextToken"))
        return {"deploymentConfigsList": page, "nextToken": token}
