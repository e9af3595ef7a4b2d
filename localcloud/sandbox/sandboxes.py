"""The `sandbox` setting applied, and the warm spares that keep a sandbox's start off the
start of a build or an instance."""
from __future__ import annotations

import logging
import shutil
import threading
import uuid
from pathlib import Path

from localcloud.sandbox import bwrap
from localcloud.sandbox.container import Sandbox, SandboxError
from localcloud.sandbox.limits import Limits

log = logging.getLogger("localcloud.sandbox")


class Sandboxes:
    """The `sandbox` setting applied, and warm spares per directory kind.

    `create(base, name, ...)` answers a sandbox and the directory it may write: a spare started
    in advance when there is one (its directory, under `base`, becomes the build's work directory
    or the instance's root), so a build or instance does not wait for bubblewrap and the
    launcher's Python to start; then the next spare starts in the background. Without a sandbox
    (off, or none can start) it answers None and `base / name`."""

    _warned = False
    _warn_lock = threading.Lock()

    def __init__(self, mode: str, marker_prefix: str = ""):
        self.mode = mode
        self.marker_prefix = marker_prefix  # the cloud's token + "/": its watchdog stops the spares too
        self._spares: dict[Path, list[Sandbox]] = {}   # started spares, by the directory they live in
        self._want: dict[Path, int] = {}
        self._lock = threading.Lock()
        self._closed = False

    def check(self) -> None:
        """At start: raise SandboxError in mandatory mode when no sandbox can start."""
        if self.mode == "mandatory":
            support = bwrap.probe()
            if not support.available:
                raise SandboxError(f"LOCALCLOUD_SANDBOX=mandatory, but {support.reason}")

    def available(self) -> bool:
        """Whether builds and instances run sandboxed (warning once when they cannot)."""
        if self.mode == "off":
            return False
        support = bwrap.probe()
        if not support.available:
            if self.mode == "mandatory":
                raise SandboxError(f"LOCALCLOUD_SANDBOX=mandatory, but {support.reason}")
            self._warn_once(support.reason)
            return False
        return True

    def create(self, *, base: Path, name: str, owner: str, limits: Limits) -> tuple[Sandbox | None, Path]:
        base = Path(base)
        if not self.available():
            return None, base / name
        with self._lock:
            spares = self._spares.get(base) or []
            spare = spares.pop(0) if spares else None
        if spare is not None:
            spare.adopt(owner, limits)
            sandbox = spare
        else:
            (base / name).mkdir(parents=True, exist_ok=True)
            sandbox = Sandbox(writable=base / name, owner=owner, limits=limits, executable=bwrap.probe().executable)
            sandbox.prestart()
        self._replenish(base)
        return sandbox, sandbox.writable

    def warm(self, base: Path, count: int = 1) -> None:
        """Keep `count` spares for `base` from now on (at cloud start), so even the first builds
        or instances find one: a blue/green deployment's green instances come together. Says once
        that there is no sandbox, when there is none."""
        if self.available():
            with self._lock:
                self._want[Path(base)] = count
            self._replenish(Path(base))

    def _replenish(self, base: Path) -> None:
        started = []
        with self._lock:
            spares = self._spares.setdefault(base, [])
            while not self._closed and len(spares) < self._want.get(base, 1):
                ident = uuid.uuid4().hex[:12]
                directory = base / f"sandbox-{ident}"
                directory.mkdir(parents=True, exist_ok=True)
                spare = Sandbox(writable=directory, owner="", limits=Limits(), executable=bwrap.probe().executable,
                                marker=f"{self.marker_prefix}sandbox/{ident}")
                spares.append(spare)
                started.append(spare)
        for spare in started:
            spare.prestart()

    def close(self) -> None:
        """Stop the spares and their directories (the cloud stops)."""
        with self._lock:
            self._closed = True
            spares = [spare for kind in self._spares.values() for spare in kind]
            self._spares = {}
        for spare in spares:
            spare.stop()
            shutil.rmtree(spare.writable, ignore_errors=True)

    @classmethod
    def _warn_once(cls, reason: str) -> None:
        with cls._warn_lock:
            if cls._warned:
                return
            cls._warned = True
        log.warning("builds and instances run without a sandbox: %s (LOCALCLOUD_SANDBOX=mandatory makes "
                    "this an error)", reason)
