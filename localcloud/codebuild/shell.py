"""One shell process fed a build's commands one at a time, as CodeBuild's 0.2 agent does.

Each command is written to a script file and sourced (`. file`) by the long-lived shell, so
`cd` and `export` persist into the next command. After it the shell prints a sentinel carrying
a per-session random token and `$?`. The token never appears in the build's environment or its
command text, so nothing a command prints can be mistaken for it; output and sentinel share one
stream, so every line a command printed is read before its exit status.

A command that ends the shell itself (`exit 3`, or a syntax error under dash) ends only that
command: its status is the shell's exit status and a fresh shell takes the next command.
"""
from __future__ import annotations

import queue
import secrets
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable

from localcloud.processes import kill_owner, spawn

SHELL_ARGV = {"bash": ["bash", "--noprofile", "--norc"], "sh": ["sh"]}


class Interrupted(Exception):
    """The build was stopped or timed out while a command ran (`reason` says which)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ShellSession:
    def __init__(self, *, shell: str, env: dict[str, str], cwd: Path, owner: str, script_dir: Path,
                 on_output: Callable[[str], None], sandbox=None):
        self.argv = SHELL_ARGV[shell]
        self.sandbox = sandbox  # the build's (localcloud.sandbox.Sandbox), or None: unsandboxed
        self.env = env
        self.cwd = cwd
        self.owner = owner
        self.script_dir = script_dir
        self.on_output = on_output
        self.token = "LCB" + secrets.token_hex(16)
        self._count = 0
        self._proc: subprocess.Popen | None = None
        self._results: queue.Queue = queue.Queue()
        self._reader: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def _start(self) -> None:
        self._results = queue.Queue()
        self._proc = spawn(self.argv, owner=self.owner, env=self.env, cwd=self.cwd, sandbox=self.sandbox,
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self._reader = threading.Thread(target=self._read, args=(self._proc, self._results),
                                        name=f"codebuild-shell-{self.owner}", daemon=True)
        self._reader.start()

    def close(self) -> None:
        """End the shell and every process the build started (background servers included)."""
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                proc.stdin.close()  # an idle shell ends at once on EOF: no signal, no grace wait
                proc.wait(timeout=0.2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.sandbox is not None:
            self.sandbox.stop()  # everything in it, at once (its launcher kills them on the way out)
        kill_owner(self.owner)  # whatever it left running in the background
        if proc is not None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
        if self._reader is not None:
            self._reader.join(timeout=2)

    # -- commands -----------------------------------------------------------------------------
    def run(self, command: str, *, deadline: float | None, cancelled: threading.Event, fresh: bool = False) -> int:
        """Run one command; return its exit status. Raise Interrupted on stop or timeout.
        `fresh` gives the command a shell of its own (buildspec 0.1)."""
        if fresh and self._proc is not None:
            self._retire()
        if self._proc is None or self._proc.poll() is not None:
            self._start()
        self._count += 1
        script = self.script_dir / f"script-{self._count}.sh"
        script.write_text(command + "\n")
        # stdin of the command is /dev/null: it must never read the commands that follow it.
        line = f"{{ . '{script}'; }} </dev/null; printf '%s %s\\n' '{self.token}:{self._count}' \"$?\"\n"
        try:
            self._proc.stdin.write(line.encode())
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the shell died between commands; the reader reports its exit status
        return self._await(self._count, deadline, cancelled)

    def _await(self, number: int, deadline: float | None, cancelled: threading.Event) -> int:
        exited_at = None
        while True:
            if cancelled.is_set():
                raise Interrupted("STOPPED")
            if deadline is not None and time.monotonic() >= deadline:
                raise Interrupted("TIMED_OUT")
            wait = 0.05 if deadline is None else max(0.0, min(0.05, deadline - time.monotonic()))
            try:
                kind, value = self._results.get(timeout=wait)
            except queue.Empty:
                # The shell may be gone while a background child it started still holds the
                # output pipe open (so no EOF): after a short grace for in-flight output, its
                # exit status is the command's.
                if self._proc is not None and self._proc.poll() is not None:
                    exited_at = exited_at or time.monotonic()
                    if time.monotonic() - exited_at > 0.3:
                        return self._shell_died()
                continue
            if kind == "status" and value[0] == number:
                return value[1]
            if kind == "eof":
                return self._shell_died()

    def _shell_died(self) -> int:
        proc, self._proc = self._proc, None
        code = proc.wait() if proc is not None else 1
        return code if code >= 0 else 128 - code  # killed by signal n -> 128+n, as shells report it

    def _retire(self) -> None:
        proc, self._proc = self._proc, None
        try:
            proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()

    def _read(self, proc: subprocess.Popen, results: queue.Queue) -> None:
        token = self.token.encode()
        for raw in iter(proc.stdout.readline, b""):
            at = raw.find(token)
            if at < 0:
                self.on_output(raw.decode("utf-8", "replace").rstrip("\r\n"))
                continue
            if at > 0:  # the command's last line had no newline
                self.on_output(raw[:at].decode("utf-8", "replace"))
            try:
                tag, status = raw[at:].decode().split()
                results.put(("status", (int(tag.split(":")[1]), int(status))))
            except ValueError:
                self.on_output(raw.decode("utf-8", "replace").rstrip("\r\n"))
        results.put(("eof", None))
