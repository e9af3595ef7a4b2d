"""CodeDeploy operations, one module per resource: parse the request, call the models (and the
engine), render AWS's shapes (shapes.py), raise AWS's errors on bad input.

Validation happens before anything is created; checks that need another service (IAM role, S3
revision, Auto Scaling group) go through that service's door, as the group's service role.
`CodeDeployAPI` is the registry the provider serves: operation name -> handler.
"""
from __future__ import annotations

from localcloud.codedeploy.api.applications import Applications
from localcloud.codedeploy.api.deployment_configs import DeploymentConfigs
from localcloud.codedeploy.api.deployment_groups import DeploymentGroups
from localcloud.codedeploy.api.deployments import Deployments
from localcloud.codedeploy.api.instances import DeploymentInstances
from localcloud.codedeploy.api.revisions import ApplicationRevisions
from localcloud.codedeploy.api.tags import Tags

RESOURCES = (Applications, ApplicationRevisions, DeploymentGroups, DeploymentConfigs, Deployments, DeploymentInstances, Tags)


class CodeDeployAPI:
    def __init__(self, provider):
        self.provider = provider
        self.resources = [cls(provider) for cls in RESOURCES]
        #: the deployments resource, which CodeDeploy's door shares (CreateDeployment's checks)
        self.deployments: Deployments = next(r for r in self.resources if isinstance(r, Deployments))

    def operations(self) -> dict:
        return {name: _in_request_region(res, _snake(name)) for res in self.resources for name in res.OPERATIONS}


def _in_request_region(resource, method: str):
    """The handler, run bound to the request's Region (CodeDeploy is regional)."""
    def handler(params, ctx):
        bound = resource.in_region(ctx.region if ctx is not None else None)
        return getattr(bound, method)(params, ctx)
    handler.__name__ = method
    return handler


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
