"""Sandboxed execution of the user's code: builds and EC2 instances run in a bubblewrap sandbox.

One `Sandbox` (container.py) is one container (bwrap.py says what it isolates) with a launcher inside
(launcher.py) that starts each command localcloud asks for. A build has one for its life; an
instance has one while it runs, so its hook scripts and the servers they leave running share one
PID namespace, like the processes of one machine. `Sandbox.spawn` answers a Popen-like
`SandboxedProcess` whose pid is the host's, so process groups and the marker scan of
processes.kill_owner work unchanged; the sandbox's own processes carry the owner's marker too,
so the watchdog stops them with the rest.

`Sandboxes` (sandboxes.py) applies the `sandbox` setting: `auto` (the default) sandboxes when bubblewrap works
and otherwise says so once and runs unsandboxed; `mandatory` refuses to run anything
unsandboxed; `off` never sandboxes.
"""
from __future__ import annotations

from localcloud.sandbox import bwrap
from localcloud.sandbox.container import Sandbox, SandboxError
from localcloud.sandbox.limits import Limits, for_compute, for_instance_type
from localcloud.sandbox.process import SandboxedProcess
from localcloud.sandbox.sandboxes import Sandboxes

__all__ = ["Limits", "Sandbox", "SandboxError", "SandboxedProcess", "Sandboxes", "bwrap", "for_compute",
           "for_instance_type"]
