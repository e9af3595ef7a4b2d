"""Real health checks: HTTP requests to each registered target, on each target group's schedule.

One scheduler thread walks the target groups; probes run on a small pool so a target that
hangs until its timeout does not delay the others ("Each health check request is independent
and the result lasts for the entire interval").

Time: the interval is an AWS wait, so it is scaled by the clock (with a 20 ms floor so a tiny
scale cannot spin a core). The timeout bounds how long the *application* may take to answer,
and the application runs in real time, so it is scaled too but never below
`TIMEOUT_FLOOR_SECONDS` (and never above the configured value): at scale 0.02 a 5 s timeout
would otherwise be 100 ms, and a loaded 2-core machine would fail healthy targets.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import urllib3

from localcloud.fleet import moto_state
from localcloud.fleet.health import HealthRegistry, ProbeResult, RegisteredTarget, TargetGroupHealth, code_matches, parse_matcher, response_code_mismatch

log = logging.getLogger("localcloud.fleet.health")

INTERVAL_FLOOR_SECONDS = 0.02
TIMEOUT_FLOOR_SECONDS = 0.5
IDLE_TICK_SECONDS = 0.25

Address = tuple[str, int]


class HealthChecker:
    def __init__(self, registry: HealthRegistry, clock, resolve: Callable[[object, RegisteredTarget], Address | None]):
        self.registry = registry
        self.clock = clock
        self.resolve = resolve  # (moto target group, target) -> where the target listens, or None
        self._http = urllib3.PoolManager(num_pools=64, maxsize=4, retries=False)
        self._pool: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="localcloud-healthcheck")
        self._thread = threading.Thread(target=self._run, name="localcloud-healthchecks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def wake(self) -> None:
        """Something changed (registration, listener): look again now rather than at the next tick."""
        self._wake.set()

    # -- timing --------------------------------------------------------------------------------
    def interval(self, target_group) -> float:
        return max(INTERVAL_FLOOR_SECONDS, self.clock.scaled(int(target_group.health_check_interval_seconds or 30)))

    def timeout(self, target_group) -> float:
        configured = float(target_group.health_check_timeout_seconds or 5)
        return min(configured, max(TIMEOUT_FLOOR_SECONDS, self.clock.scaled(configured)))

    # -- loop ----------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            wait = IDLE_TICK_SECONDS
            for group in self.registry.groups():
                try:
                    wait = min(wait, self._tick(group))
                except Exception:  # one broken group must not stop every health check
                    log.exception("health check tick failed for %s", group.arn)
            self._wake.wait(max(INTERVAL_FLOOR_SECONDS, wait))
            self._wake.clear()

    def _tick(self, group: TargetGroupHealth) -> float:
        target_group = moto_state.target_group(group.arn)
        if target_group is None:
            self.registry.forget(group.arn)
            return IDLE_TICK_SECONDS
        now = time.monotonic()
        group.expire_draining(now)
        group.set_in_use(moto_state.target_group_in_use(group.arn))
        wait = IDLE_TICK_SECONDS
        if group.in_use:
            if now >= group.next_check:
                group.next_check = now + self.interval(target_group)
                self._probe_all(group, target_group)
            wait = group.next_check - now
        deadline = group.next_deadline()
        if deadline is not None:
            wait = min(wait, deadline - now)
        return wait

    def _probe_all(self, group: TargetGroupHealth, target_group) -> None:
        with group.lock:
            due = [t for t in group.targets.values() if not t.probing]
            for target in due:
                target.probing = True
        for target in due:
            if self._pool is None:
                return
            self._pool.submit(self._probe_one, group, target_group, target)

    def _probe_one(self, group: TargetGroupHealth, target_group, target: RegisteredTarget) -> None:
        try:
            result = self.probe(target_group, target)
            with group.lock:
                if group.targets.get(target.id) is target and group.in_use:
                    target.record(result, int(target_group.healthy_threshold_count or 5),
                                  int(target_group.unhealthy_threshold_count or 2))
        except Exception:
            log.exception("health check of %s in %s failed", target.id, group.arn)
        finally:
            target.probing = False

    # -- the probe -----------------------------------------------------------------------------
    def probe(self, target_group, target: RegisteredTarget) -> ProbeResult:
        address = self.resolve(target_group, target)
        if address is None:  # no runtime, or a terminated one: nothing listens
            return ProbeResult.failed("Target.FailedHealthChecks")
        host, port = address
        configured_port = str(target_group.health_check_port or "traffic-port")
        if getattr(target_group, "target_type", "instance") == "ip" and configured_port.isdigit():
            port = int(configured_port)  # an instance has one APP_PORT; an ip target has real ports
        timeout = self.timeout(target_group)
        path = target_group.health_check_path or "/"
        if not path.startswith("/"):
            path = "/" + path
        try:
            response = self._http.request(
                "GET", f"http://{host}:{port}{path}",
                headers={"User-Agent": "ELB-HealthChecker/2.0", "Connection": "close"},
                timeout=urllib3.Timeout(connect=timeout, read=timeout),
                redirect=False, retries=False,
            )
        except urllib3.exceptions.NewConnectionError:  # refused: (a subclass of ConnectTimeoutError)
            return ProbeResult.failed("Target.FailedHealthChecks")
        except (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ConnectTimeoutError):
            return ProbeResult.failed("Target.Timeout")
        except urllib3.exceptions.HTTPError:
            return ProbeResult.failed("Target.FailedHealthChecks")
        matcher = (getattr(target_group, "matcher", None) or {}).get("HttpCode")
        if code_matches(response.status, parse_matcher(matcher)):
            return ProbeResult(True)
        reason, description = response_code_mismatch(response.status)
        return ProbeResult.failed(reason, description)
