"""Processes that localcloud starts on behalf of AWS (build shells, hook scripts, app servers).

Every process carries a marker variable in its environment. Killing by marker finds even a
process that left its process group (`setsid`, double fork), so a terminated instance or a
stopped build really stops serving and nothing outlives `capstone cloud`.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

MARKER_VAR = "LOCALCLOUD_OWNER"


def host_path() -> str:
    """PATH for processes localcloud starts: the interpreter's own bin first, so `python`,
    `pytest` and `aws` are the pinned ones (CodeBuild images ship their runtimes the same way)."""
    own_bin = os.path.dirname(sys.executable)
    rest = [p for p in os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin").split(os.pathsep) if p and p != own_bin]
    return os.pathsep.join([own_bin, *rest])


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A minimal environment: nothing of the host process leaks in (no credentials)."""
    env = {
        "PATH": host_path(),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }
    if extra:
        env.update(extra)
    return env


def spawn(argv: list[str], *, owner: str, env: dict[str, str], cwd: str | Path, sandbox=None,
          **kwargs) -> subprocess.Popen:
    """Start `argv` in its own session (so its whole group can be signalled) tagged with `owner`,
    inside `sandbox` (a localcloud.sandbox.Sandbox) when given. `kwargs` are Popen's stdio ones."""
    env = dict(env)
    env[MARKER_VAR] = owner
    if sandbox is not None:
        return sandbox.spawn(argv, env=env, cwd=cwd, **kwargs)
    return subprocess.Popen(argv, env=env, cwd=str(cwd), start_new_session=True, **kwargs)


def _pids_with_marker(owner: str, prefix: bool) -> list[int]:
    needle = f"{MARKER_VAR}={owner}".encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as fh:
                entries = fh.read().split(b"\0")
                if any(e == needle or (prefix and e.startswith(needle)) for e in entries):
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def kill_owner(owner: str, grace: float = 0.5, prefix: bool = False) -> int:
    """SIGTERM every process tagged `owner` (and its process group), SIGKILL what is left.
    With `prefix`, every owner that starts with `owner` (e.g. all of one localcloud).
    Returns how many live processes it found and stopped (not how many needed the SIGKILL)."""
    me = os.getpid()
    pids = [p for p in _pids_with_marker(owner, prefix) if p != me and alive(p)]
    found = len(pids)
    for pid in pids:
        for send in (lambda: os.killpg(os.getpgid(pid), signal.SIGTERM), lambda: os.kill(pid, signal.SIGTERM)):
            try:
                send()
            except (ProcessLookupError, PermissionError, OSError):
                pass
    deadline = time.monotonic() + grace
    while pids and time.monotonic() < deadline:
        pids = [p for p in pids if alive(p)]
        if pids:
            time.sleep(0.02)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return found


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
        return state != b"Z"
    except OSError:
        return False
