"""IAM's door: roles and instance profiles in moto's IAM backend (one per account, IAM being global).

GetRole is authorized as iam:GetRole on the role's ARN (path included, as IAM evaluates it);
GetInstanceProfile as iam:GetInstanceProfile on the profile's ARN.

A service or a role session reads IAM as it was `propagation_delay` ago (propagation.py): a role
or a profile's role created since is not there for it yet. The account's own callers read the
current state.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from localcloud.aws import DEFAULT_ACCOUNT_ID, DEFAULT_REGION
from localcloud.iam import exceptions
from localcloud.iam.exceptions import NoSuchEntity, ValidationError
from localcloud.iam.policy import condition_holds
from localcloud.iam.propagation import LIVE, IAMView
from localcloud.iam.roles import RoleInfo, parse_policy
from localcloud.moto_contract import MotoContract, errors_of, moto_errors
from localcloud.principal import Principal

if TYPE_CHECKING:
    from localcloud.iam.authorizer import Authorizer

# STS evaluates trust policies with IAM's condition operators (sts/trust.py)
__all__ = ["IAMContract", "RoleInfo", "condition_holds", "parse_policy"]

_ERRORS = errors_of(exceptions)


class IAMContract(MotoContract):
    action_prefix = "iam"

    def __init__(self, authorizer: "Authorizer", account_id: str = DEFAULT_ACCOUNT_ID,
                 default_region: str = DEFAULT_REGION, view: IAMView | None = None):
        super().__init__(authorizer, account_id, default_region)
        self._view = view or LIVE   # what services and role sessions see (propagation.py)

    def _backend(self, account_id: str | None = None):
        from moto.iam.models import iam_backends

        return iam_backends[account_id or self.account_id]["aws"]

    def get_role(self, principal: Principal, role_name: str) -> RoleInfo:
        role = self._view.as_seen_by(principal).role_named(self.account_id, role_name)
        self._authorize(principal, "GetRole", role.arn if role else f"arn:aws:iam::{self.account_id}:role/{role_name}")
        if role is None:
            raise NoSuchEntity(f"The role with name {role_name} cannot be found.")
        return role

    def role_by_arn(self, principal: Principal, arn: str) -> RoleInfo:
        """The role an ARN names (`arn:aws:iam::ACCOUNT:role/PATH/NAME`); the whole ARN must
        match, so a role of that name under another path is not it."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
            raise ValidationError(f"The specified value for roleArn is invalid: {arn}")
        self._authorize(principal, "GetRole", arn)
        role = self._view.as_seen_by(principal).role(arn)
        if role is None:
            raise NoSuchEntity(f"The role with name {parts[5].rsplit('/', 1)[-1]} cannot be found.")
        return role

    def instance_profile_role(self, principal: Principal, profile_arn: str) -> RoleInfo | None:
        """The role of the instance profile `profile_arn` names (what an instance's credentials
        are sessions of); None for a profile that holds no role (or, for a service, none it sees
        yet). NoSuchEntity for no profile."""
        parts = profile_arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("instance-profile/"):
            raise ValidationError(f"The specified value for instanceProfileArn is invalid: {profile_arn}")
        self._authorize(principal, "GetInstanceProfile", profile_arn)
        with moto_errors(_ERRORS):
            profile = self._backend(parts[4]).get_instance_profile_by_arn(profile_arn)
        view = self._view.as_seen_by(principal)
        names = view.instance_profile_roles(parts[4], profile.name)
        if names is None:  # created too recently for this principal: as if it were not there
            raise NoSuchEntity(f"Instance profile {profile_arn} not found")
        return view.role_named(parts[4], names[0]) if names else None

    def role_for_sts(self, principal: Principal, arn: str) -> RoleInfo | None:
        """The role an ARN names as `principal` (the caller of AssumeRole) sees it, unauthorized:
        STS reading the role it is asked to hand out is not an IAM call anyone makes (AWS logs
        only the sts:AssumeRole), so it skips the authorizer."""
        return self._view.as_seen_by(principal).role(arn)
