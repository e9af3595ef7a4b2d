"""bubblewrap's command line for a localcloud sandbox, and whether bubblewrap works here.

What the arguments give (docs/sandbox.md says what is isolated and what is not):
- `--ro-bind / /`: the host's system, read-only (interpreters, venvs and tools still run);
- `--bind DIR DIR`: only the build's work directory or the instance's root is writable, at the
  same path as on the host, so paths in variables (INSTANCE_ROOT, CODEBUILD_SRC_DIR) hold;
- `--tmpfs /tmp`, `--dev /dev`: a private /tmp and a minimal /dev of its own; an interpreter or
  checkout of localcloud that lives under /tmp is bound back in read-only (runtime_dirs);
- `--unshare-pid` with `--proc /proc`: a PID namespace and a /proc showing only its processes,
  so no host process (nor its /proc/PID/environ) is visible;
- `--unshare-ipc`: no System V IPC or POSIX message queues shared with the host;
- the network namespace is the host's: localcloud and the instances' app servers are on 127.0.0.1;
- `--cap-drop ALL`: as root, bubblewrap keeps root's capabilities unless told (a sandboxed root
  could remount / read-write); without them, root in the sandbox is held by the mounts;
- `--new-session`: no controlling terminal to push input into (TIOCSTI).
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROBE_TIMEOUT = 10.0


def runtime_dirs() -> list[str]:
    """The directories the sandbox runs from: this interpreter (its venv and the Python it was
    made from) and the tree localcloud is installed in (the launcher, and the venv's editable
    install). Where one is under /tmp (a CI clone, a venv made in /tmp), the private /tmp would
    hide it, so it is bound back in, read-only."""
    import localcloud

    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix,
                  str(Path(os.path.realpath(sys.executable)).parent.parent),
                  str(Path(localcloud.__file__).resolve().parent.parent)}
    return sorted(str(Path(c).resolve()) for c in candidates if c)


def _under_tmp(paths: list[str]) -> list[str]:
    """The paths under /tmp, without those inside another one kept."""
    inside = sorted({p for p in paths if p == "/tmp" or p.startswith("/tmp/")})
    kept: list[str] = []
    for path in inside:
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return [p for p in kept if p != "/tmp"]


def argv(writable: Path, bwrap: str = "bwrap", runtime: list[str] | None = None) -> list[str]:
    writable = str(Path(writable).resolve())
    keep = []
    for path in _under_tmp(runtime_dirs() if runtime is None else runtime):
        keep += ["--ro-bind", path, path]
    return [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
            # after /tmp's tmpfs: what the sandbox runs from, read-only, then the work directory
            # (a test's may be under /tmp), writable
            *keep, "--bind", writable, writable, "--chdir", writable,
            "--unshare-pid", "--unshare-ipc", "--cap-drop", "ALL", "--new-session", "--"]


@dataclass(frozen=True)
class Support:
    """Whether a sandbox can start on this machine, and if not, why (for the one warning)."""
    available: bool
    reason: str = ""
    executable: str = ""


@functools.lru_cache(maxsize=1)
def probe() -> Support:
    """Start one trivial sandbox, once per process: bubblewrap may be installed but refused (no
    user namespaces for a non-root user, a seccomp profile that denies mount)."""
    if not sys.platform.startswith("linux"):
        return Support(False, f"sandboxing needs Linux (bubblewrap); this is {sys.platform}")
    found = shutil.which("bwrap")
    if found is None:
        return Support(False, "bubblewrap (bwrap) is not installed; on Debian or Ubuntu: apt-get install bubblewrap")
    probe_dir = Path(os.environ.get("TMPDIR") or "/tmp")
    try:
        done = subprocess.run([*argv(probe_dir, found), "true"], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=PROBE_TIMEOUT,
                              env={"PATH": "/usr/bin:/bin"})
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Support(False, f"bubblewrap could not start a sandbox: {exc}")
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        return Support(False, f"bubblewrap could not start a sandbox: {detail}")
    return Support(True, executable=found)
