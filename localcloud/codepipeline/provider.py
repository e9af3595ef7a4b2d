"""localcloud's codepipeline provider (being built: see the issue that owns localcloud/codepipeline/)."""
from localcloud.provider import Provider


class CodepipelineProvider(Provider):
    service = "codepipeline"


def create(cloud) -> CodepipelineProvider:
    return CodepipelineProvider(cloud)
