"""localcloud's Auto Scaling: moto keeps the groups and answers the API; this provider adds the
launch lifecycle hooks moto lacks (lifecycle_hooks.py). Other services reach Auto Scaling
through its door (contract.py), which the composition root builds with the other moto doors."""
from localcloud.autoscaling import lifecycle_hooks
from localcloud.provider import Provider


class AutoScalingProvider(Provider):
    service = "autoscaling"

    def __init__(self, cloud):
        super().__init__(cloud)
        lifecycle_hooks.install(cloud.clock)

    def reset(self) -> None:
        lifecycle_hooks.uninstall()  # moto forgets its groups: forget their waiting launches

    def stop(self) -> None:
        lifecycle_hooks.uninstall()


def create(cloud) -> AutoScalingProvider:
    return AutoScalingProvider(cloud)
