"""A process started inside a sandbox, seen from localcloud: the subset of subprocess.Popen that
localcloud uses (pid, stdin/stdout/stderr, poll, wait, send_signal, terminate, kill).

`pid` is the host's pid of the process (its process group's id too: the launcher starts each
command in a session of its own), so `os.killpg(proc.pid, ...)` and the marker scan of
processes.kill_owner work on it exactly as on an unsandboxed process.
"""
from __future__ import annotations

import os
import select
import signal
import socket
import struct
import subprocess
import threading

_CREDS_SPACE = socket.CMSG_SPACE(struct.calcsize("3i"))


class SandboxedProcess:
    def __init__(self, args, status: socket.socket, pid: int, stdin, stdout, stderr):
        self.args = args
        self.pid = pid
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self.returncode: int | None = None
        self._status = status
        self._lock = threading.Lock()

    def poll(self) -> int | None:
        return self._collect(0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._collect(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout)
        return code

    def _collect(self, timeout: float | None) -> int | None:
        if self.returncode is not None:
            return self.returncode
        try:
            select.select([self._status], [], [], timeout)  # unlocked: poll() must not wait on wait()
        except (OSError, ValueError):
            pass  # closed meanwhile by another thread that collected the status
        with self._lock:
            if self.returncode is None and select.select([self._status], [], [], 0)[0]:
                message = self._status.recv(4096)
                # no message: the launcher is gone (its sandbox was killed), so is the process
                self.returncode = _answer(message, b"exit") if message else -signal.SIGKILL
                self._status.close()
            return self.returncode

    def communicate(self, input=None, timeout: float | None = None):
        """Popen.communicate: feed `input`, read both outputs to EOF, wait for the exit."""
        results: dict[str, object] = {}

        def drain(name, stream):
            results[name] = stream.read()

        readers = [threading.Thread(target=drain, args=(name, stream), daemon=True)
                   for name, stream in (("stdout", self.stdout), ("stderr", self.stderr)) if stream is not None]
        for reader in readers:
            reader.start()
        if self.stdin is not None:
            try:
                if input:
                    self.stdin.write(input)
                self.stdin.close()
            except BrokenPipeError:
                pass
        self.wait(timeout)
        for reader in readers:
            reader.join(timeout)
        return results.get("stdout"), results.get("stderr")

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def __del__(self):
        status = getattr(self, "_status", None)
        if status is not None:
            status.close()


def receive_start(status: socket.socket, args) -> int:
    """Read the launcher's answer to a start request: the child's host pid (from the credentials
    the kernel translated), or the OSError exec failed with, raised as Popen raises it."""
    pid = None
    while True:
        message, ancillary, _, _ = status.recvmsg(65536, _CREDS_SPACE)
        if not message:
            raise OSError(f"the sandbox closed before starting {args[0]!r}")
        if message == b"pid":
            for level, kind, data in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("3i", data[: struct.calcsize("3i")])[0]
            continue
        if message.startswith(b"error "):
            code = _answer(message, b"error")
            raise OSError(code, os.strerror(code), str(args[0]))
        _answer(message, b"started")
        if pid is None:
            raise OSError(f"the sandbox did not say which process {args[0]!r} is")
        return pid


def _answer(message: bytes, word: bytes) -> int:
    """The integer of a launcher's answer `WORD N`; anything else is refused, not trusted."""
    head, _, value = message.partition(b" ")
    if head != word or not value.lstrip(b"-").isdigit():
        raise OSError(f"the sandbox answered {message[:40]!r} where localcloud expected {word.decode()} N")
    return int(value)
