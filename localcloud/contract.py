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
