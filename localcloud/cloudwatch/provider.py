"""localcloud's cloudwatch provider (being built: see the issue that owns localcloud/cloudwatch/)."""
from localcloud.provider import Provider


class CloudwatchProvider(Provider):
    service = "cloudwatch"


def create(cloud) -> CloudwatchProvider:
    return CloudwatchProvider(cloud)
