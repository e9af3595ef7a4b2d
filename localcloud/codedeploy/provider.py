"""localcloud's CodeDeploy: deployments that really run, on the fleet's instance runtimes.

Claims every CodeDeploy operation the suite needs (see api.py); moto never sees CodeDeploy calls,
so its always-`Created` deployments cannot leak into results.
"""
from __future__ import annotations

from localcloud.codedeploy.api import CodeDeployAPI
from localcloud.codedeploy.clients import Clients
from localcloud.codedeploy.engine import DeploymentEngine
from localcloud.codedeploy.models import CodeDeployBackend
from localcloud.codedeploy.scale_out import ScaleOut
from localcloud.fleet.instances import InstanceRuntimes
from localcloud.provider import Provider


class CodedeployProvider(Provider):
    service = "codedeploy"

    def __init__(self, cloud):
        super().__init__(cloud)
        self.settings = cloud.settings.codedeploy
        self.clients = Clients(cloud)
        self._fallback_runtimes: InstanceRuntimes | None = None
        self._new_state()
        self.api = CodeDeployAPI(self)
        self.scale_out = ScaleOut(self)  # deployments created by Auto Scaling launches

    def _new_state(self) -> None:
        self.backend = CodeDeployBackend(self.cloud.clock, self.cloud.region, self.cloud.account_id)
        self.engine = DeploymentEngine(self.cloud, self.backend, self.settings, self.runtimes, self.clients)

    def runtimes(self) -> InstanceRuntimes:
        """The fleet's instance runtimes (so EC2/ASG termination kills what hooks started)."""
        fleet = self.cloud.providers.get("fleet")
        shared = getattr(fleet, "runtimes", None)
        if shared is not None:
            return shared
        # Until the fleet provider exposes `runtimes`: our own, killed on stop/reset.
        if self._fallback_runtimes is None:
            self._fallback_runtimes = InstanceRuntimes(self.cloud)
        return self._fallback_runtimes

    def operations(self):
        return self.api.operations()

    def start(self) -> None:
        self.scale_out.start()

    def reset(self) -> None:
        self.engine.shutdown()
        if self._fallback_runtimes is not None:
            self._fallback_runtimes.reset()
        self._new_state()

    def stop(self) -> None:
        self.scale_out.stop()
        self.engine.shutdown()
        if self._fallback_runtimes is not None:
            self._fallback_runtimes.reset()


def create(cloud) -> CodedeployProvider:
    return CodedeployProvider(cloud)
