"""IAM's door: roles and instance profiles in moto's IAM backend (one per account, IAM being global).

GetRole is authorized as iam:GetRole on the role's ARN (path included, as IAM evaluates it);
GetInstanceProfile as iam:GetInstanceProfile on the profile's ARN.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import unquote

from localcloud.iam import exceptions
from localcloud.iam.exceptions import NoSuchEntity, ValidationError
from localcloud.moto_contract import MotoContract, errors_of, moto_errors
from localcloud.principal import Principal

_ERRORS = errors_of(exceptions)


@dataclass(frozen=True)
class RoleInfo:
    name: str
    arn: str
    role_id: str
    path: str
    assume_role_policy: dict    # the trust policy, parsed
    max_session_duration: int   # seconds


class IAMContract(MotoContract):
    action_prefix = "iam"

    def _backend(self, account_id: str | None = None):
        from moto.iam.models import iam_backends

        return iam_backends[account_id or self.account_id]["aws"]

    def get_role(self, principal: Principal, role_name: str) -> RoleInfo:
        role = self._find(lambda b: b.get_role(role_name), None)
        self._authorize(principal, "GetRole", role.arn if role else f"arn:aws:iam::{self.account_id}:role/{role_name}")
        if role is None:
            raise NoSuchEntity(f"The role with name {role_name} cannot be found.")
        return _info(role)

    def role_by_arn(self, principal: Principal, arn: str) -> RoleInfo:
        """The role an ARN names (`arn:aws:iam::ACCOUNT:role/PATH/NAME`); the whole ARN must
        match, so a role of that name under another path is not it."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
            raise ValidationError(f"The specified value for roleArn is invalid: {arn}")
        self._authorize(principal, "GetRole", arn)
        role = self._find(lambda b: b.get_role_by_arn(arn), parts[4])
        if role is None:
            raise NoSuchEntity(f"The role with name {parts[5].rsplit('/', 1)[-1]} cannot be found.")
        return _info(role)

    def instance_profile_role(self, principal: Principal, profile_arn: str) -> RoleInfo | None:
        """The role of the instance profile `profile_arn` names (what an instance's credentials
        are sessions of); None for a profile that holds no role. NoSuchEntity for no profile."""
        parts = profile_arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("instance-profile/"):
            raise ValidationError(f"The specified value for instanceProfileArn is invalid: {profile_arn}")
        self._authorize(principal, "GetInstanceProfile", profile_arn)
        with moto_errors(_ERRORS):
            profile = self._backend(parts[4]).get_instance_profile_by_arn(profile_arn)
        roles = list(profile.roles)
        return _info(roles[0]) if roles else None

    def _find(self, lookup, account_id: str | None):
        try:
            with moto_errors(_ERRORS):
                return lookup(self._backend(account_id))
        except NoSuchEntity:
            return None


def role_for_sts(arn: str) -> RoleInfo | None:
    """The role an ARN names, unauthorized: STS reading the role it is asked to hand out is
    not an IAM call anyone makes (AWS logs only the sts:AssumeRole), so it skips the authorizer."""
    from moto.iam.models import iam_backends

    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        return None
    try:
        with moto_errors(_ERRORS):
            return _info(iam_backends[parts[4]]["aws"].get_role_by_arn(arn))
    except NoSuchEntity:
        return None


def parse_policy(document) -> dict:
    """A policy document as IAM stores it (a JSON string, URL-encoded when it came through the
    query API) or already parsed; {} when it is not JSON."""
    if isinstance(document, dict):
        return document
    if not document:
        return {}
    for text in (document, unquote(document)):
        try:
            parsed = json.loads(text)
        except ValueError:
            continue
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _info(role) -> RoleInfo:
    return RoleInfo(name=role.name, arn=role.arn, role_id=role.id, path=role.path,
                    assume_role_policy=parse_policy(role.assume_role_policy_document),
                    max_session_duration=int(role.max_session_duration or 3600))
