"""What every CodeDeploy resource handler shares: the provider's state, the lookups that answer
AWS's does-not-exist / required errors, the checks that go through another service's door (IAM
role, Auto Scaling group; made as the group's service role, as AWS makes them), and request
parsing (tags, paging tokens, times).
"""
from __future__ import annotations

from datetime import datetime, timezone

from localcloud import paging
from localcloud.codedeploy import autoscaling as asg_api
from localcloud.codedeploy.exceptions import (
    ApplicationDoesNotExistException, ApplicationNameRequiredException,
    DeploymentConfigDoesNotExistException, DeploymentDoesNotExistException,
    DeploymentGroupDoesNotExistException, DeploymentGroupNameRequiredException,
    DeploymentIdRequiredException, DeploymentNotStartedException, InvalidAutoScalingGroupException,
    InvalidDeploymentIdException, InvalidNextTokenException, InvalidRoleException,
)
from localcloud.codedeploy.models import (
    Application, CodeDeployBackend, Deployment, DeploymentConfig, DeploymentGroup, role_permissions_message,
)
from localcloud.codedeploy.principals import CODEDEPLOY, SESSION_NAME
from localcloud.exceptions import AWSError
from localcloud.iam.exceptions import AccessDeniedByPolicy
from localcloud.principal import Principal

PAGE = 100


def tag_dict(raw) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in raw or [] if "Key" in t}


def paged(items: list, token: str | None) -> tuple[list, str | None]:
    return paging.page(items, token, PAGE, error_code=InvalidNextTokenException.__name__, message="The next token is not valid.")


def parse_time(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


class Resource:
    """Base of the handlers of one resource; `OPERATIONS` names the operations it answers, each
    by the method of the operation's snake_case name (params, ctx) -> output dict.

    A handler acts in one Region: `in_region(r)` is the same handler bound to Region r (the API
    binds each request to `ctx.region`; CodeDeploy's door to the region it is called with), and
    `backend` is that Region's state. Unbound, it is localcloud's default Region."""

    OPERATIONS: tuple[str, ...] = ()

    def __init__(self, provider, region: str | None = None):
        self.provider = provider
        self.region = region

    def in_region(self, region: str | None) -> "Resource":
        return type(self)(self.provider, region)

    @property
    def backend(self) -> CodeDeployBackend:
        return self.provider.regions.region(self.region)

    @property
    def cloud(self):
        return self.provider.cloud

    @property
    def services(self):
        return self.provider.cloud.services

    # -- lookups ------------------------------------------------------------------------------
    def _app(self, name: str | None) -> Application:
        if not name:
            raise ApplicationNameRequiredException("The application name is required.")
        app = self.backend.applications.get(name)
        if app is None:
            raise ApplicationDoesNotExistException(f"No application found for name: {name}")
        return app

    def _group(self, app: str, name: str | None) -> DeploymentGroup:
        self._app(app)
        if not name:
            raise DeploymentGroupNameRequiredException("The deployment group name is required.")
        group = self.backend.groups.get((app, name))
        if group is None:
            raise DeploymentGroupDoesNotExistException(f"No Deployment Group found for name: {name}")
        return group

    def _config(self, name: str) -> DeploymentConfig:
        config = self.backend.configs.get(name)
        if config is None:
            raise DeploymentConfigDoesNotExistException(f"No deployment configuration found for name: {name}")
        return config

    def _deployment(self, deployment_id: str | None) -> Deployment:
        if not deployment_id:
            raise DeploymentIdRequiredException("The deployment ID is required.")
        d = self.backend.deployments.get(deployment_id)
        if d is None:
            if not (deployment_id.startswith("d-") and len(deployment_id) == 11):
                raise InvalidDeploymentIdException(f"Specified DeploymentId is not in the valid format: {deployment_id}")
            raise DeploymentDoesNotExistException(f"The deployment {deployment_id} could not be found.")
        return d

    def _started(self, deployment_id: str) -> Deployment:
        d = self._deployment(deployment_id)
        if d.status in ("Created", "Queued"):
            raise DeploymentNotStartedException(f"The deployment {deployment_id} has not started.")
        return d

    def _check_role(self, role_arn: str, principal: Principal) -> None:
        """CodeDeploy can assume the role: it exists (the whole ARN, path included) and its trust
        policy lets codedeploy.amazonaws.com in, checked by an AssumeRole through STS's door as
        AWS makes it when the group is saved. `principal` is the session the group will act as."""
        try:
            if ":role/" not in role_arn:
                raise InvalidRoleException("not a role ARN")
            self.services.sts.assume_role(Principal.service(CODEDEPLOY.arn, principal.account_id), role_arn,
                                          principal.session_name or SESSION_NAME)
        except AWSError:
            raise InvalidRoleException(f"AWS CodeDeploy does not have the permissions required to assume the role {role_arn}.") from None

    def _check_asgs(self, names: list[str], principal: Principal) -> None:
        for name in names:
            try:
                found = asg_api.describe(self.services.autoscaling, principal, name, self.backend.region)
            except AccessDeniedByPolicy as denied:
                # InvalidRoleException: "the specified service role does not grant the appropriate
                # permissions to Amazon EC2 Auto Scaling" (the model's documentation)
                raise InvalidRoleException(role_permissions_message(principal.role_arn, denied.action)) from None
            if found is None:
                # UNCONFIRMED wording; the exception is the one the model lists for this case.
                raise InvalidAutoScalingGroupException(f"Auto Scaling group {name} does not exist.")
