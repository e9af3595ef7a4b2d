"""IAM's provider: moto keeps IAM's API and state (its door is iam/contract.py); localcloud adds
only the read-only view of its authorization log (iam/authorizations_api.py), served as a path
route like CodeBuild's credentials endpoint."""
from __future__ import annotations

from localcloud.iam.authorizations_api import PATH, AuthorizationsApp
from localcloud.provider import Provider


class IAMProvider(Provider):
    # no `service`: every IAM operation still goes to moto; this provider claims none

    def __init__(self, cloud):
        super().__init__(cloud)
        self.authorizations = AuthorizationsApp(cloud.authorizer.log)

    def routes(self):
        return [(PATH, self.authorizations)]


def create(cloud) -> IAMProvider:
    return IAMProvider(cloud)
