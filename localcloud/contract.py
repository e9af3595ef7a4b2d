"""The base of every service's door.

A service reaches another only through that service's `contract.py`: a class whose methods
are the in-process operations other services may call, each taking the acting `Principal`
first. The door authorizes the call (`_authorize`, with the IAM action and resource ARN AWS
would evaluate) and then acts on the service's own state. Doors hand back plain values
(dataclasses, bytes, strings), never another service's internals or wire dicts.

The composition root (server.py) builds every door once and puts them on `LocalCloud.services`,
a typed registry: `cloud.services.codebuild.start_pipeline_build(principal, ...)`.
"""
from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, ClassVar, Mapping

from localcloud.principal import Principal

if TYPE_CHECKING:
    from localcloud.iam.authorizer import Authorizer


class Contract:
    #: the IAM action prefix of the service ("codebuild", "s3", "elasticloadbalancing", ...)
    action_prefix: ClassVar[str] = ""

    def __init__(self, authorizer: "Authorizer"):
        self._authorizer = authorizer

    def _authorize(self, principal: Principal, action: str, resource: str,
                   context: Mapping[str, object] | None = None) -> None:
        """Authorize `action` (without prefix: "StartBuild") on `resource` for `principal`."""
        self._authorizer.authorize(principal, f"{self.action_prefix}:{action}", resource, context)


def wait_for_end(ended: threading.Event, stop: threading.Event, timeout: float, what: str) -> bool:
    """Block until `ended` is set (True) or `stop` is (False); TimeoutError after `timeout` real
    seconds. Woken by the end itself; the short slices only let a `stop` through meanwhile, so
    a door's waiter costs nothing while it waits."""
    deadline = time.monotonic() + timeout
    while not ended.wait(min(0.05, max(deadline - time.monotonic(), 0))):
        if stop.is_set():
            return False
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} did not finish within {timeout:.0f} s")
    return True
