"""localcloud's codedeploy provider (being built: see the issue that owns localcloud/codedeploy/)."""
from localcloud.provider import Provider


class CodedeployProvider(Provider):
    service = "codedeploy"


def create(cloud) -> CodedeployProvider:
    return CodedeployProvider(cloud)
