"""localcloud's CodeDeploy: deployments that really run, on the fleet's instance hosts.

Claims every CodeDeploy operation the suite needs (see api/); moto never sees CodeDeploy calls,
so its always-`Created` deployments cannot leak into results. Other services are reached only
through their doors (`cloud.services`); CodeDeploy's own door is `contract` (contract.py).
"""
from __future__ import annotations

from localcloud.codedeploy.api import CodeDeployAPI
from localcloud.codedeploy.contract import CodeDeployContract
from localcloud.codedeploy.engine import DeploymentEngine
from localcloud.codedeploy.models import CodeDeployRegions
from localcloud.codedeploy.scale_out import ScaleOut
from localcloud.provider import Provider


class CodeDeployProvider(Provider):
    service = "codedeploy"

    def __init__(self, cloud):
        super().__init__(cloud)
        self.settings = cloud.settings.codedeploy
        self._new_state()
        self.api = CodeDeployAPI(self)
        self.contract = CodeDeployContract(cloud.authorizer, self)
        self.scale_out = ScaleOut(self)  # deployments created by Auto Scaling launches

    def _new_state(self) -> None:
        # per Region (the default one: cloud.region, for callers that name none)
        self.regions = CodeDeployRegions(self.cloud.clock, self.cloud.region, self.cloud.account_id)
        self.engine = DeploymentEngine(self.cloud, self.regions, self.settings)

    def operations(self):
        return self.api.operations()

    def start(self) -> None:
        self.scale_out.start()

    def reset(self) -> None:
        self.engine.shutdown()
        self._new_state()

    def stop(self) -> None:
        self.scale_out.stop()
        self.engine.shutdown()


def create(cloud) -> CodeDeployProvider:
    return CodeDeployProvider(cloud)
