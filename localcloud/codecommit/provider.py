"""localcloud's codecommit provider (being built: see the issue that owns localcloud/codecommit/)."""
from localcloud.provider import Provider


class CodecommitProvider(Provider):
    service = "codecommit"


def create(cloud) -> CodecommitProvider:
    return CodecommitProvider(cloud)
