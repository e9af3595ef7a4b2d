"""One sandbox: a bubblewrap container with the launcher inside, and how localcloud starts a
command in it (the package's docstring says why it is built this way)."""
from __future__ import annotations

import logging
import marshal
import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from localcloud.sandbox import bwrap
from localcloud.sandbox.limits import Limits, PidsCgroup
from localcloud.sandbox.process import SandboxedProcess, receive_start

log = logging.getLogger("localcloud.sandbox")

LAUNCHER = str(Path(__file__).with_name("launcher.py"))
START_TIMEOUT = 10.0
MAX_MESSAGE = 4 * 1024 * 1024


class SandboxError(RuntimeError):
    """A sandbox is required (LOCALCLOUD_SANDBOX=mandatory) and cannot start; the message says why."""


class Sandbox:
    """One bubblewrap container where only `writable` may be written, started on first spawn and
    again after it was stopped (an instance stopped and started). Thread-safe.

    `marker` is the owner marker of the sandbox's own processes (bubblewrap, its init, the
    launcher); it is `owner` unless the sandbox was started as a spare, before anyone owned it
    (see Sandboxes). The commands it starts carry the marker of their request's environment."""

    def __init__(self, *, writable: Path, owner: str, limits: Limits, executable: str = "bwrap",
                 marker: str | None = None):
        self.writable = Path(writable)
        self.owner = owner
        self.marker = marker or owner
        self.limits = limits
        self.executable = executable
        self._control: socket.socket | None = None
        self._bwrap: subprocess.Popen | None = None
        self._cgroup: PidsCgroup | None = None
        self.launcher_pid: int | None = None   # the launcher's host pid
        self._lock = threading.Lock()
        self._generation = 0  # stops so far: a prestart asked for before a stop does not start

    def adopt(self, owner: str, limits: Limits) -> None:
        """A spare becomes `owner`'s, with its limits (memory applies per command; the process
        count is its pids cgroup's bound, set now)."""
        with self._lock:
            self.owner, self.limits = owner, limits
            if self._cgroup is not None:
                self._cgroup.set_max(limits.max_processes)

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if not self._running():
                self._start()

    def prestart(self) -> None:
        """Start in the background, so the sandbox is ready by the first spawn: a build's starts
        while its source downloads, an instance's while its bundle does. A spawn that comes first
        waits for it (the lock); a start that failed is retried, and raised, by the spawn."""
        generation = self._generation

        def run():
            try:
                with self._lock:
                    if self._generation == generation and not self._running():  # not stopped meanwhile
                        self._start()
            except (SandboxError, OSError) as exc:
                log.debug("sandbox for %s did not prestart: %s", self.owner, exc)

        threading.Thread(target=run, name=f"sandbox-start-{self.owner}", daemon=True).start()

    def _running(self) -> bool:
        return self._bwrap is not None and self._bwrap.poll() is None

    def _start(self) -> None:
        from localcloud.processes import MARKER_VAR, clean_env

        self._close()
        host_end, inner_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        host_end.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        for end in (host_end, inner_end):
            end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, MAX_MESSAGE)
        command = [*bwrap.argv(self.writable, self.executable), sys.executable, "-I", "-S", LAUNCHER,
                   str(inner_end.fileno())]
        errors = tempfile.TemporaryFile()
        # The marker in bwrap's environment reaches the launcher (and only them: commands get the
        # environment of their request), so kill_owner and the watchdog find the sandbox itself.
        env = clean_env({MARKER_VAR: self.marker})
        try:
            proc = subprocess.Popen(command, env=env, pass_fds=(inner_end.fileno(),), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True)
        finally:
            inner_end.close()
        try:
            ready = host_end.recvmsg(4096, socket.CMSG_SPACE(struct.calcsize("3i"))) \
                if _readable(host_end, START_TIMEOUT) else (b"", [], 0, None)
        except OSError:
            ready = (b"", [], 0, None)
        message, ancillary = ready[0], ready[1]
        if not message:
            proc.kill()
            proc.wait()
            errors.seek(0)
            detail = errors.read().decode("utf-8", "replace").strip()
            host_end.close()
            raise SandboxError(f"the sandbox for {self.owner} did not start: {detail or 'no answer from its launcher'}")
        errors.close()
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                self.launcher_pid = struct.unpack("3i", data[:12])[0]
        self._cgroup = PidsCgroup("localcloud-" + self.marker.replace("/", "-"), self.limits.max_processes)
        if self.launcher_pid:
            self._cgroup.join(self.launcher_pid)
        self._control, self._bwrap = host_end, proc

    def stop(self) -> None:
        """Kill everything in the sandbox (closing the control socket tells the launcher to)."""
        with self._lock:
            self._generation += 1
            self._close()

    def _close(self) -> None:
        control, self._control = self._control, None
        proc, self._bwrap = self._bwrap, None
        if control is not None:
            control.close()
        if proc is not None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        cgroup, self._cgroup = self._cgroup, None
        if cgroup is not None:
            deadline = time.monotonic() + 1.0
            while cgroup.path is not None and cgroup.path.exists() and time.monotonic() < deadline:
                cgroup.remove()
                if cgroup.path.exists():
                    time.sleep(0.01)

    # -- commands -----------------------------------------------------------------------------
    def spawn(self, argv: list[str], *, env: dict[str, str], cwd: str | Path, stdin=None, stdout=None,
              stderr=None, text: bool = False) -> SandboxedProcess:
        """Start `argv` in the sandbox, in a session of its own, with exactly `env`. stdin, stdout
        and stderr take what Popen takes (None, PIPE, DEVNULL, STDOUT for stderr, a file or fd);
        `text` makes the pipes text, as Popen's does."""
        with self._lock:
            if not self._running():
                self._start()
            control = self._control
        ends, ours, keep = _stdio(stdin, stdout, stderr, text)
        status, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        status.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        limits = self.limits
        request = marshal.dumps({"argv": [str(a) for a in argv], "env": dict(env), "cwd": str(cwd),
                                 "memory": limits.memory_bytes, "processes": limits.max_processes})
        try:
            control.sendmsg([request], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                         struct.pack("4i", *ends, theirs.fileno()))])
        except OSError as exc:
            for f in (*ours, status):
                f.close()
            raise OSError(f"the sandbox for {self.owner} is gone: {exc}") from None
        finally:
            theirs.close()
            for fd in keep:
                os.close(fd)
        try:
            pid = receive_start(status, argv)
        except OSError:
            status.close()
            for f in ours:
                if f is not None:
                    f.close()
            raise
        return SandboxedProcess(argv, status, pid, *ours)


def _readable(sock: socket.socket, timeout: float) -> bool:
    return bool(select.select([sock], [], [], timeout)[0])


def _stdio(stdin, stdout, stderr, text: bool):
    """The three fds to send, the host-side file objects (Popen's .stdin/.stdout/.stderr), and the
    fds to close once sent."""
    keep: list[int] = []
    ends: list[int] = []
    ours: list = []
    for index, spec in enumerate((stdin, stdout, stderr)):
        if spec == subprocess.STDOUT and index == 2:
            ends.append(ends[1])
            ours.append(None)
            continue
        if spec == subprocess.PIPE:
            read, write = os.pipe()
            mine, theirs = (write, read) if index == 0 else (read, write)
            mode = ("w" if index == 0 else "r") + ("" if text else "b")
            ours.append(open(mine, mode, encoding="utf-8" if text else None))
            ends.append(theirs)
            keep.append(theirs)
        elif spec == subprocess.DEVNULL:
            fd = os.open(os.devnull, os.O_RDWR)
            ends.append(fd)
            keep.append(fd)
            ours.append(None)
        elif spec is None:
            ends.append(index)  # inherit localcloud's own, as Popen does
            ours.append(None)
        else:
            ends.append(spec if isinstance(spec, int) else spec.fileno())
            ours.append(None)
    return ends, ours, keep
