"""Whether a role's trust policy lets a principal assume it: the check STS makes on AssumeRole,
and the one AWS makes when a service is handed a role (CodeBuild's service role, CodePipeline's
role, an EventBridge target's role).

Hand-written on purpose: no maintained Python library evaluates the Principal element of a
trust policy (moto's access_control evaluates identity policies' Action and Resource only).
Covered: Allow and Deny statements, Principal and NotPrincipal as "*", Service, AWS (account id,
account root, role, assumed-role session, user) and Federated names, Action and NotAction with
wildcards, and Condition blocks with the operators identity policies support (iam/policy.py),
over the keys STS knows at AssumeRole: `aws:PrincipalArn`, `aws:PrincipalAccount`,
`aws:PrincipalType`, `sts:RoleSessionName`, `sts:ExternalId` when the caller passed one, and for
a service `aws:SourceAccount` and `aws:SourceArn` (the resource it acts for, e.g. the CodeBuild
project). A key localcloud does not know is absent, so a condition on it does not hold: the same
documented choice as for identity policies.
Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
"""
from __future__ import annotations

import fnmatch

from typing import Mapping

from localcloud.iam.contract import condition_holds, parse_policy
from localcloud.principal import Principal

ASSUME_ROLE = "sts:AssumeRole"


def _listed(value) -> list:
    if value is None:
        return []
    return [value] if isinstance(value, (str, dict)) else list(value)


def _action_matches(statement: dict, action: str) -> bool:
    def any_match(patterns) -> bool:
        return any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in _listed(patterns))

    if "NotAction" in statement:
        return not any_match(statement["NotAction"])
    return any_match(statement.get("Action"))


def _names_principal(element, principal: Principal) -> bool:
    """Does a Principal element (`"*"` or {"Service"|"AWS"|"Federated": names}) name `principal`?"""
    if element == "*":
        return True
    if not isinstance(element, dict):
        return False
    if principal.is_service:
        return principal.arn in _listed(element.get("Service"))
    for name in _listed(element.get("AWS")):
        if name == "*" or name == principal.arn:
            return True
        # an account id, or its root, trusts every identity of that account
        if name in (principal.account_id, f"arn:aws:iam::{principal.account_id}:root"):
            return True
        # a role ARN trusts the sessions of that role
        if principal.role_arn is not None and name == principal.role_arn:
            return True
    return principal.arn in _listed(element.get("Federated"))


def _principal_matches(statement: dict, principal: Principal) -> bool:
    if "NotPrincipal" in statement:
        return not _names_principal(statement["NotPrincipal"], principal)
    return _names_principal(statement.get("Principal"), principal)


def allows(policy, principal: Principal, action: str = ASSUME_ROLE, context: Mapping[str, object] | None = None) -> bool:
    """Does the trust policy allow `principal` to perform `action` (explicit Deny wins)?
    `context` holds the request's condition keys (see the module's docstring)."""
    context = context or {}
    statements = _listed(parse_policy(policy).get("Statement"))
    allowed = False
    for statement in statements:
        if not isinstance(statement, dict):
            continue
        if not (_action_matches(statement, action) and _principal_matches(statement, principal)):
            continue
        if "Condition" in statement and not condition_holds(statement["Condition"], context):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def trusts(policy, service: str) -> bool:
    """Does a trust policy let `service` (`codebuild.amazonaws.com`) assume the role?"""
    return allows(policy, Principal.service(service))
