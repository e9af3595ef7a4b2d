"""localcloud's fleet provider (being built: see the issue that owns localcloud/fleet/)."""
from localcloud.provider import Provider


class FleetProvider(Provider):
    service = "elbv2"


def create(cloud) -> FleetProvider:
    return FleetProvider(cloud)
