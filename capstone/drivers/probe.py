"""A zero-downtime probe: request the ALB continuously while a deployment may run.

Modelled on Terratest's `http_helper.ContinuouslyCheckURL`: one background thread, a bounded
request rate and a bounded duration, every answer recorded as (time, status, version). A failure
is any answer that is not 200, and any request that got no answer (connection error, timeout).

    with Probe(*target.alb_url(dns_name)) as probe:
        ... approve, wait for the deployment ...
    summary = probe.summary()
    summary.assert_no_failed_request()
    summary.assert_versions_move_forward()
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from capstone import evidence
from capstone.drivers import http
from capstone.drivers.http import version_number


@dataclass(frozen=True)
class Sample:
    t: float            # wall-clock time the request was sent (epoch seconds)
    seconds: float      # how long it took
    status: int | None
    version: str | None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.status != 200


@dataclass
class VersionSpan:
    version: str | None
    first: float
    last: float
    answers: int


@dataclass
class ProbeSummary:
    url: str
    started: float
    ended: float
    total: int
    failures: list[Sample]
    spans: list[VersionSpan]          # versions in order of first appearance
    sequence: list[str | None]        # versions in answer order, consecutive repeats collapsed
    statuses: dict[str, int]          # "200" -> count, "error" -> count
    bounded: bool                     # the duration bound ended the probe before stop() did
    samples: list[Sample] = field(repr=False, default_factory=list)

    @property
    def versions(self) -> list[str | None]:
        return [span.version for span in self.spans]

    @property
    def failed_requests(self) -> int:
        return len(self.failures)

    def mixed_seconds(self) -> float:
        """How long two versions were answered side by side (the traffic shift window)."""
        if len(self.spans) < 2:
            return 0.0
        newest_first = self.spans[-1].first
        last_older = max(span.last for span in self.spans[:-1])
        return max(0.0, last_older - newest_first)

    def forward_violation(self) -> str | None:
        """Why the versions did not only move forward, or None if they did.

        During a blue/green traffic shift both fleets are registered for a moment (AllowTraffic
        on green comes before BlockTraffic on blue), so a real ALB answers from both; that is
        not going backward. Going backward is: a version appearing for the first time that is
        older than one already seen, or the probe ending on anything but the newest version.
        """
        numbers = [version_number(span.version) for span in self.spans]
        if any(n is None for n in numbers):
            return f"an answer showed no version (versions seen: {self.versions})"
        for before, after in zip(numbers, numbers[1:]):
            if after <= before:
                return f"v{after} first appeared after v{before} (versions seen: {self.versions})"
        last = next((s.version for s in reversed(self.samples) if s.status == 200), None)
        if self.spans and last != self.spans[-1].version:
            return f"the last answer showed {last}, older than {self.spans[-1].version} seen before"
        return None

    def answers_after(self, t: float) -> list[str | None]:
        """Distinct versions of answers to requests sent at or after t (epoch seconds)."""
        return sorted({s.version for s in self.samples if s.t >= t and s.status == 200}, key=str)

    def describe_failures(self, limit: int = 5) -> str:
        shown = ", ".join(
            f"+{s.t - self.started:.2f}s {s.status if s.status is not None else s.error}" for s in self.failures[:limit])
        more = f" (and {len(self.failures) - limit} more)" if len(self.failures) > limit else ""
        return shown + more

    # -- assertions a scenario makes (messages start with "zero-downtime" for report categories)
    def assert_no_failed_request(self) -> None:
        assert self.total > 0, f"zero-downtime probe of {self.url} made no request"
        assert not self.bounded, (
            f"zero-downtime probe stopped at its duration bound after {self.ended - self.started:.1f}s, "
            "before the deployment ended: the rest of it was not observed")
        assert not self.failures, (
            f"zero-downtime violated: {len(self.failures)} of {self.total} requests to {self.url} failed: "
            f"{self.describe_failures()}")

    def assert_versions_move_forward(self) -> None:
        reason = self.forward_violation()
        assert reason is None, f"zero-downtime probe saw versions go backward: {reason}"

    def to_dict(self) -> dict:
        """Facts for the evidence (no bodies, no headers)."""
        return {
            "url": self.url,
            "started": self.started,
            "seconds": round(self.ended - self.started, 3),
            "total": self.total,
            "failed": self.failed_requests,
            "statuses": self.statuses,
            "versions": [{"version": s.version, "first": s.first, "last": s.last, "answers": s.answers} for s in self.spans],
            "sequence": self.sequence[:50],
            "mixed_seconds": round(self.mixed_seconds(), 3),
            "bounded": self.bounded,
            "first_failures": [
                {"t": s.t, "status": s.status, "error": s.error} for s in self.failures[:10]],
        }


class Probe:
    """Background requests at `rate` per second for at most `max_seconds`."""

    def __init__(self, url: str, headers: dict[str, str] | None = None, *, rate: float = 25.0,
                 max_seconds: float = 600.0, timeout: float = 3.0, name: str = "probe",
                 log: Callable[[str], None] | None = None):
        if not 0 < rate <= 100:
            raise ValueError(f"probe rate must be in (0, 100] requests per second, got {rate}")
        if max_seconds <= 0:
            raise ValueError(f"probe max_seconds must be positive, got {max_seconds}")
        self.url = url
        self.headers = dict(headers or {})
        self.interval = 1.0 / rate
        self.max_seconds = max_seconds
        self.timeout = timeout
        self.name = name
        self._log = log or (lambda line: print(line, flush=True))
        self._samples: list[Sample] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = 0.0
        self._ended = 0.0
        self._bounded = False

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> "Probe":
        if self._thread is not None:
            raise RuntimeError(f"{self.name} already started")
        self._started = time.time()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        self._log(f"[{self.name}] probing {self.url} at {1 / self.interval:.0f} req/s (at most {self.max_seconds:.0f}s)")
        return self

    def stop(self) -> ProbeSummary:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.timeout + 5)
        summary = self.summary()
        self._log(f"[{self.name}] stopped: {summary.total} requests, {summary.failed_requests} failed, "
                  f"versions {summary.versions}")
        # one timeline event per probe: which version was served from when to when (no bodies)
        evidence.event("probe", **summary.to_dict())
        return summary

    def __enter__(self) -> "Probe":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        next_at = time.monotonic()
        deadline = next_at + self.max_seconds
        last_version: object = object()
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                if now >= deadline:
                    self._bounded = True
                    self._log(f"[{self.name}] duration bound of {self.max_seconds:.0f}s reached: stopping")
                    break
                sent, began = time.time(), time.monotonic()
                answer = http.get(self.url, self.headers, timeout=self.timeout)
                sample = Sample(sent, round(time.monotonic() - began, 4), answer.status, answer.version, answer.error)
                with self._lock:
                    self._samples.append(sample)
                if sample.failed:
                    self._log(f"[{self.name}] +{sent - self._started:.2f}s FAILED "
                              f"{sample.status if sample.status is not None else sample.error}")
                elif sample.version != last_version:
                    self._log(f"[{self.name}] +{sent - self._started:.2f}s serving {sample.version}")
                    last_version = sample.version
                # fixed schedule: a slow answer delays the next request, never doubles up
                next_at = max(next_at + self.interval, time.monotonic())
                self._stop.wait(max(0.0, next_at - time.monotonic()))
        finally:
            self._ended = time.time()

    # -- results ------------------------------------------------------------------------------
    def samples(self) -> list[Sample]:
        with self._lock:
            return list(self._samples)

    def summary(self) -> ProbeSummary:
        return summarize(self.url, self.samples(), self._started, self._ended or time.time(), self._bounded)


def summarize(url: str, samples: list[Sample], started: float, ended: float, bounded: bool = False) -> ProbeSummary:
    """Fold samples into spans per version (in order of first appearance) and counts."""
    spans: dict[str | None, VersionSpan] = {}
    sequence: list[str | None] = []
    statuses: Counter[str] = Counter()
    for s in samples:
        statuses["error" if s.status is None else str(s.status)] += 1
        if s.status != 200:
            continue
        span = spans.get(s.version)
        if span is None:
            spans[s.version] = VersionSpan(s.version, s.t, s.t, 1)
        else:
            span.last, span.answers = s.t, span.answers + 1
        if not sequence or sequence[-1] != s.version:
            sequence.append(s.version)
    return ProbeSummary(
        url=url, started=started, ended=ended, total=len(samples), failures=[s for s in samples if s.failed],
        spans=list(spans.values()), sequence=sequence, statuses=dict(statuses), bounded=bounded, samples=samples)
