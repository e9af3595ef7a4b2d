"""The live part of one deployment (`DeploymentRun`: its thread and the signals the API sends it)
and `Ended`, how a deployment stops early. Imported by the lifecycle and by the API; imports nothing
of CodeDeploy but the models.
"""
from __future__ import annotations

import threading
import time

from localcloud.codedeploy.models import Deployment


class Ended(Exception):
    """The deployment ends early with `status` (Failed | Stopped) and errorInformation."""

    def __init__(self, status: str, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class DeploymentRun:
    """The live part of one deployment: its thread and the signals the API sends it."""

    def __init__(self, deployment: Deployment):
        self.deployment = deployment
        self.stop_event = threading.Event()
        self.stop: tuple[str, str, bool | None] | None = None  # (code, message, rollback?)
        self.ready_continue = threading.Event()
        self.skip_termination_wait = threading.Event()
        self.done = threading.Event()
        self.thread: threading.Thread | None = None
        self.in_event = 0  # lifecycle events running now (StopDeployment answers Pending meanwhile)

    def request_stop(self, code: str, message: str, rollback: bool | None = None) -> None:
        if self.stop is None:
            self.stop = (code, message, rollback)
        self.stop_event.set()

    @property
    def stopped(self) -> bool:
        return self.stop_event.is_set()

    def check(self) -> None:
        if self.stop is not None:
            raise Ended("Stopped", self.stop[0], self.stop[1])

    def wait(self, real_seconds: float, until: threading.Event | None = None) -> bool:
        """Sleep up to `real_seconds`, woken by a stop (raises Ended) or by `until` (returns True)."""
        deadline = time.monotonic() + real_seconds
        while True:
            self.check()
            if until is not None and until.is_set():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.stop_event.wait(min(left, 0.05))
