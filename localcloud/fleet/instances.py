"""Instance runtimes: what an EC2 instance *is* offline.

Each instance that localcloud runs software on gets a directory (`INSTANCE_ROOT`), a loopback
port (`APP_PORT`) on which its application serves what would be port 80 on EC2, and an owner
marker on every process started for it. Terminating the instance kills those processes, so a
terminated instance really stops serving.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from localcloud.fleet import moto_state
from localcloud.fleet.metadata import PREFIX as METADATA_PREFIX
from localcloud.processes import clean_env, kill_owner, spawn
from localcloud.sandbox import for_instance_type


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class InstanceRuntime:
    instance_id: str
    root: Path
    app_port: int
    owner: str
    terminated: bool = False
    metadata_endpoint: str = ""   # its metadata service (metadata.py)
    region: str | None = None
    processes: list[subprocess.Popen] = field(default_factory=list)
    #: where its processes run (localcloud.sandbox.Sandbox: only `root` writable), or None
    sandbox: object | None = None

    def env(self) -> dict[str, str]:
        """Variables every process on this instance sees, on top of a clean environment: where
        it lives, and where boto3 and the AWS CLI find the instance's Region and its metadata
        service (the instance profile's credentials; metadata.py)."""
        env = {"INSTANCE_ROOT": str(self.root), "APP_PORT": str(self.app_port), "INSTANCE_ID": self.instance_id}
        if self.metadata_endpoint:
            env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = self.metadata_endpoint
        if self.region:
            env.update(AWS_REGION=self.region, AWS_DEFAULT_REGION=self.region)
        return env

    def spawn(self, argv: list[str], *, env: dict[str, str] | None = None, cwd: str | Path | None = None, **kwargs) -> subprocess.Popen:
        """Start a process 'on' this instance: clean environment + instance variables + `env`."""
        if self.terminated:
            raise RuntimeError(f"instance {self.instance_id} is terminated")
        full_env = clean_env({**self.env(), **(env or {})})
        proc = spawn(argv, owner=self.owner, env=full_env, cwd=cwd or self.root, sandbox=self.sandbox, **kwargs)
        self.processes.append(proc)
        return proc

    def kill_processes(self) -> None:
        """Stop everything running on the instance (its sandbox too; the next spawn starts a
        fresh one, as a stopped instance boots again)."""
        kill_owner(self.owner)
        if self.sandbox is not None:
            self.sandbox.stop()

    def terminate(self) -> None:
        self.terminated = True
        self.kill_processes()


class InstanceRuntimes:
    """instance id -> runtime, created on first use (an instance nobody deploys to costs nothing)."""

    def __init__(self, cloud):
        self.cloud = cloud
        self.base = Path(cloud.state_dir) / "instances"
        self._by_id: dict[str, InstanceRuntime] = {}
        self._terminated_ids: set[str] = set()  # terminated before anything ran on them
        self._lock = threading.Lock()

    def runtime(self, instance_id: str) -> InstanceRuntime:
        with self._lock:
            rt = self._by_id.get(instance_id)
            if rt is None:
                owner = self.cloud.owner("instance", instance_id)
                # an instance's processes run in a sandbox of its own (a warm one, or one that boots
                # while the agent downloads the bundle), its root the only writable directory, its
                # memory per process the instance type's
                sandbox, root = self.cloud.sandboxes.create(
                    base=self.base, name=instance_id, owner=owner,
                    limits=for_instance_type(moto_state.instance_type(instance_id)))
                root.mkdir(parents=True, exist_ok=True)
                rt = InstanceRuntime(instance_id, root, free_port(), owner,
                                     terminated=instance_id in self._terminated_ids,
                                     metadata_endpoint=f"{self.cloud.url}{METADATA_PREFIX}{instance_id}/",
                                     region=moto_state.instance_region(instance_id), sandbox=sandbox)
                self._by_id[instance_id] = rt
            return rt

    def get(self, instance_id: str) -> InstanceRuntime | None:
        with self._lock:
            return self._by_id.get(instance_id)

    def terminate(self, instance_id: str) -> None:
        """The instance is gone: kill what runs on it; a later runtime() for it is terminated too."""
        with self._lock:
            self._terminated_ids.add(instance_id)
            rt = self._by_id.get(instance_id)
        if rt is not None and not rt.terminated:
            rt.terminate()

    def all(self) -> list[InstanceRuntime]:
        with self._lock:
            return list(self._by_id.values())

    def reset(self) -> None:
        for rt in self.all():
            rt.terminate()
            shutil.rmtree(rt.root, ignore_errors=True)
        with self._lock:
            self._by_id.clear()
            self._terminated_ids.clear()
