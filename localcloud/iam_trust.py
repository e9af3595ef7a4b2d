"""Whether an IAM role may be assumed by a service: the check AWS makes when a service is handed
a role (CodeBuild's service role, CodePipeline's role, an EventBridge target's role)."""
from __future__ import annotations

import json
from urllib.parse import unquote


def trusts(policy, service: str) -> bool:
    """Does a trust policy let `service` assume the role?"""
    if isinstance(policy, str):
        try:
            policy = json.loads(unquote(policy))
        except ValueError:
            return False
    statements = policy.get("Statement", []) if isinstance(policy, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        principal = statement.get("Principal", {})
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        services = [services] if isinstance(services, str) else services
        if service in services:
            return True
    return False


def role_trusts(iam, role_arn: str, service: str) -> bool:
    name = role_arn.rsplit("/", 1)[-1]
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except Exception:
        return False
    return role.get("Arn") == role_arn and trusts(role.get("AssumeRolePolicyDocument"), service)
