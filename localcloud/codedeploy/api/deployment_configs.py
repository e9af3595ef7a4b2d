"""CodeDeploy deployment configs: Create/Get/Delete/ListDeploymentConfigs (the built-in
CodeDeployDefault.* ones cannot be deleted).
"""
from __future__ import annotations

from localcloud.codedeploy.api import shapes
from localcloud.codedeploy.api.common import Resource, paged
from localcloud.codedeploy.exceptions import (
    DeploymentConfigAlreadyExistsException, DeploymentConfigInUseException, InvalidComputePlatformException,
    InvalidMinimumHealthyHostValueException, InvalidOperationException, InvalidTrafficRoutingConfigurationException,
)
from localcloud.codedeploy.models import COMPUTE_PLATFORMS, SERVER, DeploymentConfig

#: TrafficRoutingConfig types and the member each one needs (botocore model, TrafficRoutingType)
ROUTING_MEMBERS = {"AllAtOnce": None, "TimeBasedCanary": ("timeBasedCanary", "canaryPercentage", "canaryInterval"),
                   "TimeBasedLinear": ("timeBasedLinear", "linearPercentage", "linearInterval")}


def _check_routing(routing: dict) -> None:
    kind = routing.get("type")
    if kind not in ROUTING_MEMBERS:
        raise InvalidTrafficRoutingConfigurationException(
            f"The traffic routing type {kind!r} is not valid: use AllAtOnce, TimeBasedCanary or TimeBasedLinear.")
    spec = ROUTING_MEMBERS[kind]
    if spec is None:
        return
    member, percentage, interval = spec
    values = routing.get(member) or {}
    pct, minutes = values.get(percentage), values.get(interval)
    if not isinstance(pct, int) or not 1 <= pct <= 99 or not isinstance(minutes, int) or minutes < 1:
        raise InvalidTrafficRoutingConfigurationException(
            f"A {kind} traffic routing configuration needs {member}.{percentage} (1-99) and {member}.{interval} "
            "(minutes, at least 1).")


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
        platform = params.get("computePlatform") or SERVER
        if platform not in COMPUTE_PLATFORMS:
            raise InvalidComputePlatformException(f"The computePlatform {platform} is invalid: use Lambda, Server or ECS.")
        mhh = params.get("minimumHealthyHosts")
        routing = params.get("trafficRoutingConfig")
        if platform == SERVER:
            if not mhh or mhh.get("type") not in ("HOST_COUNT", "FLEET_PERCENT") or mhh.get("value") is None:
                raise InvalidMinimumHealthyHostValueException("The minimum healthy instance value must be specified with a type of HOST_COUNT or FLEET_PERCENT.")
            if mhh["value"] < 0 or (mhh["type"] == "FLEET_PERCENT" and mhh["value"] > 99):
                raise InvalidMinimumHealthyHostValueException("The minimum healthy instance value is not valid: FLEET_PERCENT must be 0-99 and HOST_COUNT at least 0.")
            if routing and routing.get("type", "AllAtOnce") != "AllAtOnce":
                raise InvalidTrafficRoutingConfigurationException(
                    "Time-based traffic routing (TimeBasedCanary, TimeBasedLinear) applies only to the Lambda and ECS compute platforms.")
        else:
            # Lambda and ECS shift traffic: the config says how, and counts no instances
            if mhh:
                raise InvalidMinimumHealthyHostValueException(
                    f"minimumHealthyHosts does not apply to the {platform} compute platform: use trafficRoutingConfig.")
            routing = routing or {"type": "AllAtOnce"}  # UNCONFIRMED default
            _check_routing(routing)
        with self.backend.lock:
            if name in self.backend.configs:
                raise DeploymentConfigAlreadyExistsException(f"A deployment configuration with the name {name} already exists.")
            config = DeploymentConfig(name, mhh, self.backend.now(), platform,
                                      traffic_routing_config=routing, zonal_config=params.get("zonalConfig"))
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
