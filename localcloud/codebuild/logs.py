"""A build's log: masked lines appended to CloudWatch Logs as they are printed.

CodeBuild writes to group `/aws/codebuild/<project>` (creating it if missing) and stream
`<build uuid>`; agent lines read `[Container] 2023/10/30 01:10:45.684838 <text>` and command
output is written as printed. Lines are batched for speed but flushed every FLUSH_INTERVAL, so a
running build's log can be followed. Each event's message ends with a newline, as CodeBuild's
do (it also keeps blank output lines, which CloudWatch would refuse as empty messages).

A service role that may not create the group or the stream, or write to it, is a denial the
build must report (runner.py fails PROVISIONING with ACCESS_DENIED): `denied` keeps the first
refusal, and the log stops writing after it. Any other logging failure is logged here and
does not fail the build.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from datetime import datetime, timezone

from localcloud.iam.exceptions import AccessDeniedByPolicy

log = logging.getLogger("localcloud.codebuild")

FLUSH_INTERVAL = 0.2            # seconds between uploads while a build runs
MAX_EVENT_BYTES = 256 * 1024 - 26   # CloudWatch Logs' event limit minus its per-event overhead
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_000_000
MASK = "***"  # replacement text is UNCONFIRMED in AWS docs; `***` is what public logs show
ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16}\b")


class Masker:
    """Hides Parameter Store / Secrets Manager values and AWS access key ids ("the following are
    hidden in CodeBuild logs"). PLAINTEXT values are not masked, as on AWS."""

    def __init__(self):
        self._values: list[str] = []

    def add(self, value: str) -> None:
        parts = [value] + [p for p in value.splitlines() if p.strip()]
        for part in parts:
            if part and part not in self._values:
                self._values.append(part)
        self._values.sort(key=len, reverse=True)  # longest first: a secret containing another

    def __call__(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        return ACCESS_KEY_ID.sub(MASK, text)


def agent_line(message: str, when: float | None = None) -> str:
    stamp = datetime.fromtimestamp(time.time() if when is None else when, tz=timezone.utc).strftime("%Y/%m/%d %H:%M:%S.%f")
    return f"[Container] {stamp} {message}"


class BuildLog:
    def __init__(self, logs, principal, region: str, group: str, stream: str, masker: Masker):
        self.logs = logs            # CloudWatch Logs' door
        self.principal = principal  # the build's service-role session
        self.region = region
        self.group = group
        self.stream = stream
        self.mask = masker
        self._pending: list[dict] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = False
        self._flusher: threading.Thread | None = None
        #: the service role's first refusal (CreateLogGroup, CreateLogStream or PutLogEvents)
        self.denied: AccessDeniedByPolicy | None = None

    def open(self) -> None:
        """Create the group (as CodeBuild does when it is missing) and the stream."""
        try:
            self.logs.create_log_group(self.principal, self.group, self.region)  # False if it existed
            self.logs.create_log_stream(self.principal, self.group, self.stream, self.region)
            self._ready = True
        except AccessDeniedByPolicy as err:
            self.denied = err
        except Exception:  # a logging failure must not fail the build
            log.exception("cannot create log stream %s/%s", self.group, self.stream)
        self._flusher = threading.Thread(target=self._run, name=f"codebuild-log-{self.stream}", daemon=True)
        self._flusher.start()

    def agent(self, message: str) -> None:
        now = time.time()
        self._append(agent_line(message, now), now)

    def output(self, line: str) -> None:
        self._append(line, time.time())

    def _append(self, text: str, now: float) -> None:
        message = self.mask(text) + "\n"
        data = message.encode("utf-8")
        if len(data) > MAX_EVENT_BYTES:
            message = data[:MAX_EVENT_BYTES - 1].decode("utf-8", "ignore") + "\n"
        with self._lock:
            self._pending.append({"timestamp": int(now * 1000), "message": message})

    def close(self) -> None:
        self._stop.set()
        if self._flusher is not None:
            self._flusher.join(timeout=10)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_INTERVAL):
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending or not self._ready:
            return
        batch, size = [], 0
        for event in pending:
            cost = len(event["message"].encode("utf-8")) + 26
            if batch and (len(batch) >= MAX_BATCH_EVENTS or size + cost > MAX_BATCH_BYTES):
                self._put(batch)
                batch, size = [], 0
            batch.append(event)
            size += cost
        if batch:
            self._put(batch)

    def _put(self, events: list[dict]) -> None:
        try:
            self.logs.put_log_events(self.principal, self.group, self.stream,
                                     [(e["timestamp"], e["message"]) for e in events], self.region)
        except AccessDeniedByPolicy as err:
            self.denied = self.denied or err
            self._ready = False  # nothing more is written once the role is refused
        except Exception:
            log.exception("cannot write %d log events to %s/%s", len(events), self.group, self.stream)
