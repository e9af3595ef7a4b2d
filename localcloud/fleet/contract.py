"""The fleet's door: the host an EC2 instance runs on, for the software AWS installs there.

On AWS the CodeDeploy agent is a process on the instance: it reads and writes the instance's
disk and starts hook scripts there; no AWS API sits between them. Here the instance is a
directory and a loopback port (instances.py), and the agent reaches it through `instance_host`.
The principal is still named so the log shows who acted, but there is nothing for IAM to
authorize: what the agent then does against AWS it does as the instance profile's role.
"""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from localcloud.contract import Contract
from localcloud.exceptions import AWSError
from localcloud.principal import Principal

if TYPE_CHECKING:
    from localcloud.fleet.instances import InstanceRuntimes


class InstanceHost(Protocol):
    """What software on an instance may use of it."""

    instance_id: str
    root: Path          # the instance's filesystem root ("/" on EC2)
    app_port: int       # where the instance's port 80 is served on 127.0.0.1

    def env(self) -> dict[str, str]: ...

    def spawn(self, argv: list[str], *, env: dict[str, str] | None = None, cwd: str | Path | None = None,
              **kwargs) -> subprocess.Popen: ...


class FleetContract(Contract):
    action_prefix = "ec2"

    def __init__(self, authorizer, runtimes: "InstanceRuntimes", services):
        super().__init__(authorizer)
        self._runtimes = runtimes
        self._services = services   # () -> localcloud.services.Services (built after the fleet)

    def instance_host(self, principal: Principal, instance_id: str) -> InstanceHost:
        """The host of `instance_id` (created on first use, as an instance's disk exists from launch)."""
        return self._runtimes.runtime(instance_id)

    def instance_role(self, principal: Principal, instance_id: str, region: str | None = None):
        """The role of the instance's profile (IAM's RoleInfo), read through the EC2 and IAM doors
        as `principal`; None without a profile, or when the instance or profile is gone. What
        the metadata service hands out sessions of, and what the CodeDeploy agent acts as."""
        services = self._services()
        try:
            profile = services.ec2.instance(principal, instance_id, region).iam_instance_profile_arn
            return services.iam.instance_profile_role(principal, profile) if profile else None
        except AWSError:
            return None
