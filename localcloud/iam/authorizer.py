"""The one place where a call made as a principal is authorized.

Every service door (`<service>/contract.py`) asks `authorize(principal, action, resource)`
before it acts, with the IAM action (`codebuild:StartBuild`) and the resource ARN AWS would
evaluate. Each decision is recorded, numbered, in the authorization log, which says which
actions each role really used during a run; `GET /_localcloud/iam/authorizations` serves it
read-only (iam/authorizations_api.py), so a client over HTTP can read it too.

With enforcement on (`Settings.iam.enforce`), a role session's call is evaluated against the
role's identity policies (inline and attached, AWS managed included; policy.py) and refused
with AWS's AccessDenied message (iam/exceptions.py AccessDeniedByPolicy); services acting as themselves and the account's own callers
are not restricted here (resource policies are not evaluated). Off, it records only. A role
session's policies are read as the services see them (`iam`, an IAMView): with a propagation
delay, a permission granted or removed less than the delay ago is not in effect yet.
"""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, replace
from itertools import islice
from typing import Mapping

from localcloud.iam import policy
from localcloud.iam.exceptions import AccessDeniedByPolicy
from localcloud.iam.propagation import LIVE, IAMView
from localcloud.principal import Principal

__all__ = ["AccessDeniedByPolicy", "AuthorizationLog", "Authorizer", "Decision", "LogPage"]


@dataclass(frozen=True)
class Decision:
    principal: str
    action: str
    resource: str
    allowed: bool
    #: the decision's place in its log (1, 2, ...), given by AuthorizationLog.record; 0 until then.
    #: A reader that remembers the last sequence it saw reads only what came after (`since`).
    sequence: int = 0


class AuthorizationLog:
    """Decisions in the order they were made, numbered from 1. Bounded, so a long-running cloud
    stays small: the oldest decisions are dropped first. Numbers are never reused, not even
    after clear(), so `since(n)` keeps meaning "after decision n" for every reader."""

    def __init__(self, limit: int = 100_000):
        self._lock = threading.Lock()
        self._decisions: deque[Decision] = deque(maxlen=limit)
        self._last = 0

    def record(self, decision: Decision) -> Decision:
        """Keep `decision` under the next sequence number; returns it numbered."""
        with self._lock:
            self._last += 1
            numbered = replace(decision, sequence=self._last)
            self._decisions.append(numbered)
            return numbered

    def decisions(self) -> list[Decision]:
        with self._lock:
            return list(self._decisions)

    def since(self, sequence: int = 0, limit: int | None = None) -> "LogPage":
        """The decisions numbered after `sequence`, oldest first (at most `limit` of them)."""
        with self._lock:
            kept = len(self._decisions)
            oldest = self._decisions[0].sequence if kept else self._last + 1
            # the kept decisions are numbered oldest, oldest+1, ... without gaps
            start = min(max(sequence + 1 - oldest, 0), kept)
            stop = kept if limit is None else min(kept, start + limit)
            chosen = list(islice(self._decisions, start, stop))
            # decisions after `sequence` that the bound already dropped
            dropped = max(0, oldest - max(sequence + 1, 1))
            return LogPage(chosen, last_sequence=self._last, dropped=dropped)

    @property
    def last_sequence(self) -> int:
        with self._lock:
            return self._last

    def clear(self) -> None:
        with self._lock:
            self._decisions.clear()


@dataclass(frozen=True)
class LogPage:
    decisions: list[Decision]
    #: the number of the latest decision recorded (0 when none ever was)
    last_sequence: int
    #: how many decisions after the asked-for sequence are no longer kept (the log's bound, or clear())
    dropped: int


class Authorizer:
    def __init__(self, log: AuthorizationLog | None = None, enforce: bool = False, iam: IAMView | None = None):
        self.log = log or AuthorizationLog()
        self.enforce = enforce
        self.iam = iam or LIVE

    def authorize(self, principal: Principal, action: str, resource: str,
                  context: Mapping[str, object] | None = None, answered_by: str | None = None) -> None:
        """Return if `principal` may perform `action` on `resource`; raise AccessDenied otherwise
        (in the error form of `answered_by`, the IAM prefix of the service called, when it is
        not the action's own)."""
        outcome = self.decide(principal, action, resource, context)
        self.log.record(Decision(principal.arn, action, resource, outcome == policy.ALLOW))
        if outcome != policy.ALLOW:
            raise AccessDeniedByPolicy(principal, action, resource, explicit=outcome == policy.EXPLICIT_DENY,
                                       answered_by=answered_by)

    def decide(self, principal: Principal, action: str, resource: str,
               context: Mapping[str, object] | None = None) -> str:
        if not self.enforce or not principal.evaluated:
            return policy.ALLOW
        # a role session sees its role's policies as IAM has propagated them (propagation.py);
        # users are not delayed
        documents = (self.iam.role_policies(principal.role_arn) if principal.kind == "assumed-role"
                     else user_policies(principal.arn))
        return policy.evaluate(documents, action, resource, context)


def _documents(entity) -> list:
    """An IAM entity's inline policies, then its attached ones (each at its default version)."""
    documents = list(entity.policies.values())
    for attached in list(entity.managed_policies.values()):
        default = next((v for v in attached.versions if v.is_default), None)
        if default is not None:
            documents.append(default.document)
    return documents


def user_policies(user_arn: str) -> list:
    """The identity policies of a user: its own (inline, attached), then its groups'."""
    from moto.iam.models import iam_backends

    account = user_arn.split(":")[4]
    name = user_arn.rsplit("/", 1)[-1]
    backend = iam_backends[account]["global"]
    try:
        user = backend.get_user(name)
    except Exception:  # a user that is gone has no policies
        return []
    documents = _documents(user)
    for group in list(backend.groups.values()):
        if user in group.users:
            documents += _documents(group)
    return documents
