"""The one place where a call made as a principal is authorized.

Every service door (`<service>/contract.py`) asks `authorize(principal, action, resource)`
before it acts, with the IAM action (`codebuild:StartBuild`) and the resource ARN AWS would
evaluate. Each decision is recorded in the authorization log, which says which actions each
role really used during a run.

This authorizer allows everything (it records only); IAM policy evaluation replaces `decide`.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Mapping

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


class Authorizer:
    def __init__(self, log: AuthorizationLog | None = None):
        self.log = log or AuthorizationLog()

    def authorize(self, principal: Principal, action: str, resource: str,
                  context: Mapping[str, object] | None = None) -> None:
        """Return if `principal` may perform `action` on `resource`; raise the service's access
        denied error otherwise."""
        allowed = self.decide(principal, action, resource, context)
        self.log.record(Decision(principal.arn, action, resource, allowed))

    def decide(self, principal: Principal, action: str, resource: str,
               context: Mapping[str, object] | None = None) -> bool:
        return True
