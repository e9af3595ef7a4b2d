"""localcloud's codebuild provider (being built: see the issue that owns localcloud/codebuild/)."""
from localcloud.provider import Provider


class CodebuildProvider(Provider):
    service = "codebuild"


def create(cloud) -> CodebuildProvider:
    return CodebuildProvider(cloud)
