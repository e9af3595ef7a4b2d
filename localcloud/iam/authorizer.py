"""The one place where a call made as a principal is authorized.

Every service door (`<service>/contract.py`) asks `authorize(principal, action, resource)`
before it acts, with the IAM action (`codebuild:StartBuild`) and the resource ARN AWS would
evaluate. Each decision is recorded in the authorization log, which says which actions each
role really used during a run.

With enforcement on (`Settings.iam.enforce`), a role session's call is evaluated against the
role's identity policies (inline and attached, AWS managed included; policy.py) and refused
with AWS's AccessDenied message; services acting as themselves and the account's own callers
are not restricted here (resource policies are not evaluated). Off, it records only. A role
session's policies are read as the services see them (`iam`, an IAMView): with a propagation
delay, a permission granted or removed less than the delay ago is not in effect yet.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Mapping

from localcloud.exceptions import AWSError, ServiceError
from localcloud.iam import policy
from localcloud.iam.propagation import LIVE, IAMView
from localcloud.principal import Principal


@dataclass(frozen=True)
class Decision:
    principal: str
    action: str
    resource: str
    allowed: bool


class AuthorizationLog:
    """Decisions in the order they were made (bounded, so a long-running cloud stays small)."""

    def __init__(self, limit: int = 100_000):
        self._lock = threading.Lock()
        self._decisions: list[Decision] = []
        self._limit = limit

    def record(self, decision: Decision) -> None:
        with self._lock:
            self._decisions.append(decision)
            if len(self._decisions) > self._limit:
                del self._decisions[: len(self._decisions) - self._limit]

    def decisions(self) -> list[Decision]:
        with self._lock:
            return list(self._decisions)

    def clear(self) -> None:
        with self._lock:
            self._decisions.clear()


class AccessDeniedByPolicy(ServiceError):
    """AWS's refusal of an action no identity policy allows (or one explicitly denies). The code
    is the service's: most JSON services answer AccessDeniedException, the query and XML ones
    AccessDenied (EC2 UnauthorizedOperation, SNS AuthorizationError)."""

    CODES = {"s3": ("AccessDenied", 403), "iam": ("AccessDenied", 403), "sts": ("AccessDenied", 403),
             "ec2": ("UnauthorizedOperation", 403), "autoscaling": ("AccessDenied", 403),
             "elasticloadbalancing": ("AccessDenied", 403), "cloudwatch": ("AccessDenied", 403),
             "sns": ("AuthorizationError", 403), "sqs": ("AccessDenied", 403)}

    def __init__(self, principal: Principal, action: str, resource: str, explicit: bool):
        code, status = self.CODES.get(action.split(":", 1)[0], ("AccessDeniedException", 400))
        reason = ("with an explicit deny in an identity-based policy" if explicit
                  else f"because no identity-based policy allows the {action} action")
        # the code depends on the service, so set it here rather than by class name
        AWSError.__init__(self, code, f"User: {principal.arn} is not authorized to perform: {action} on resource: "
                                      f"{resource} {reason}", status)


class Authorizer:
    def __init__(self, log: AuthorizationLog | None = None, enforce: bool = False, iam: IAMView | None = None):
        self.log = log or AuthorizationLog()
        self.enforce = enforce
        self.iam = iam or LIVE

    def authorize(self, principal: Principal, action: str, resource: str,
                  context: Mapping[str, object] | None = None) -> None:
        """Return if `principal` may perform `action` on `resource`; raise AccessDenied otherwise."""
        outcome = self.decide(principal, action, resource, context)
        self.log.record(Decision(principal.arn, action, resource, outcome == policy.ALLOW))
        if outcome != policy.ALLOW:
            raise AccessDeniedByPolicy(principal, action, resource, explicit=outcome == policy.EXPLICIT_DENY)

    def decide(self, principal: Principal, action: str, resource: str,
               context: Mapping[str, object] | None = None) -> str:
        if not self.enforce or principal.kind != "assumed-role" or not principal.role_arn:
            return policy.ALLOW
        return policy.evaluate(self.iam.role_policies(principal.role_arn), action, resource, context)
