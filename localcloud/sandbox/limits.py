"""The resources a sandbox may use: memory from the compute type or instance type, and a
process count, which a pids cgroup enforces where localcloud can make one.

Memory is applied as RLIMIT_AS per process (the launcher sets it, every process inherits it): a
bound on each process, not on the sandbox's total, which would need a memory cgroup. AWS
documents no process limit for CodeBuild or EC2; MAX_PROCESSES is localcloud's own bound so a
fork bomb in a build or hook cannot take the host down.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("localcloud.sandbox")

GIB = 1024 ** 3
MIB = 1024 ** 2
MAX_PROCESSES = 1024  # localcloud's choice (AWS documents none): per sandbox

# ProjectEnvironment.computeType in the CodeBuild API reference ("Use up to N GiB memory"):
# https://docs.aws.amazon.com/codebuild/latest/APIReference/API_ProjectEnvironment.html
# (LINUX_CONTAINER figures; the botocore model's documentation of computeType says the same).
COMPUTE_TYPE_MEMORY_GIB = {
    "BUILD_GENERAL1_SMALL": 4, "BUILD_GENERAL1_MEDIUM": 8, "BUILD_GENERAL1_LARGE": 16,
    "BUILD_GENERAL1_XLARGE": 72, "BUILD_GENERAL1_2XLARGE": 144,
    "BUILD_LAMBDA_1GB": 1, "BUILD_LAMBDA_2GB": 2, "BUILD_LAMBDA_4GB": 4, "BUILD_LAMBDA_8GB": 8,
    "BUILD_LAMBDA_10GB": 10,
}

PIDS_CGROUP_ROOT = Path("/sys/fs/cgroup/pids")  # cgroup v1's pids controller


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 0      # per process; 0 = none
    max_processes: int = MAX_PROCESSES


def for_compute(environment: dict) -> Limits:
    """A build's limits from its environment (computeType; computeConfiguration.memory in GB for
    ATTRIBUTE_BASED_COMPUTE; an instance type's memory for CUSTOM_INSTANCE_TYPE)."""
    compute_type = environment.get("computeType") or ""
    config = environment.get("computeConfiguration") or {}
    if compute_type in COMPUTE_TYPE_MEMORY_GIB:
        return Limits(COMPUTE_TYPE_MEMORY_GIB[compute_type] * GIB)
    if compute_type == "ATTRIBUTE_BASED_COMPUTE" and config.get("memory"):
        return Limits(int(config["memory"]) * GIB)
    if compute_type == "CUSTOM_INSTANCE_TYPE" and config.get("instanceType"):
        return for_instance_type(config["instanceType"])
    return Limits()


def for_instance_type(instance_type: str | None) -> Limits:
    """An EC2 instance's limits: its type's memory, from the instance type data moto serves for
    DescribeInstanceTypes (MemoryInfo.SizeInMiB)."""
    if not instance_type:
        return Limits()
    from moto.ec2.models.instance_types import INSTANCE_TYPES

    size = (INSTANCE_TYPES.get(instance_type) or {}).get("MemoryInfo", {}).get("SizeInMiB")
    return Limits(int(size) * MIB if size else 0)


class PidsCgroup:
    """A pids cgroup holding one sandbox, when this process may create one (root, cgroup v1 pids
    controller mounted writable); otherwise `join` is a no-op and the count is not enforced for
    root (RLIMIT_NPROC, which the launcher sets, binds only other users)."""

    def __init__(self, name: str, max_processes: int):
        self.path: Path | None = None
        if not max_processes or not os.access(PIDS_CGROUP_ROOT, os.W_OK):
            return
        path = PIDS_CGROUP_ROOT / name
        try:
            path.mkdir(exist_ok=True)
            (path / "pids.max").write_text(str(max_processes))
            self.path = path
        except OSError as exc:
            log.debug("no pids cgroup for %s: %s", name, exc)

    def set_max(self, max_processes: int) -> None:
        if self.path is not None and max_processes:
            try:
                (self.path / "pids.max").write_text(str(max_processes))
            except OSError as exc:
                log.debug("could not bound %s: %s", self.path, exc)

    def join(self, pid: int) -> None:
        """Move `pid` in; what it starts from then on is counted too."""
        if self.path is not None:
            try:
                (self.path / "cgroup.procs").write_text(str(pid))
            except OSError as exc:
                log.debug("could not move %s into %s: %s", pid, self.path, exc)

    def remove(self) -> None:
        if self.path is not None:
            try:
                self.path.rmdir()  # only once empty; a sandbox being killed may still be exiting
            except OSError:
                pass
