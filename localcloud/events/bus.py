"""The EventBridge data plane: match an event against the rules moto stores, deliver to targets.

Rules, targets and buses stay in moto's events backend (PutRule, PutTargets, ... pass through
to moto unchanged); only *delivery* lives here, because moto's own `put_events`
- raises NotImplementedError on a target it does not know (a CodePipeline pipeline ARN), which
  would lose the delivery to every other target of the rule,
- ignores the rule State, so a DISABLED rule would still start a pipeline,
- drops `account` from the delivered event and ignores a target's `Input` and `InputPath`.

Delivery is asynchronous, as on AWS: `publish` returns the event once it is queued, and one
worker thread delivers in publish order (so two pushes start two pipeline executions in order).
Each target is reached through its service's door: a pipeline through CodePipeline's
(`start_execution_for_event`, as the session of the target's role, assumed through STS's door), SQS queues and CloudWatch Logs groups
through theirs; anything else moto can deliver (archives, other buses) goes through moto's rule
code.
"""
from __future__ import annotations

import copy
import json
import logging
import queue
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Callable

from localcloud.exceptions import ServiceError
from localcloud.events import retries
from localcloud.events.retries import InvocationFailed
from localcloud.events.targets import render_input
from localcloud.principal import Principal
from localcloud.sts.exceptions import AccessDenied, ValidationError

log = logging.getLogger("localcloud.events")

EVENTS_SERVICE = "events.amazonaws.com"


def _iso(moment: datetime) -> str:
    # EventBridge's envelope time has second precision: "2019-06-12T10:23:43Z".
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(*, source: str, detail_type: str, detail: dict, resources: list[str], region: str,
             account: str, moment: datetime | None = None, event_id: str | None = None) -> dict:
    """The event as EventBridge hands it to rules and targets (key order as AWS prints it)."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": _iso(moment or datetime.now(timezone.utc)),
        "region": region,
        "resources": list(resources),
        "detail": detail,
    }


def _moto_backend(account: str, region: str):
    from moto.events.models import events_backends

    return events_backends[account][region]


class EventBus:
    def __init__(self, default_account: str, services: Callable, clock=None):
        self.default_account = default_account
        self._services = services  # () -> localcloud.services.Services (built after the bus)
        self.clock = clock  # scales the retry backoff (retries.py); None: AWS seconds as they are
        self._retries: dict[object, threading.Timer] = {}  # deliveries waiting for their next attempt
        self._queue: queue.Queue = queue.Queue()
        self._pending = 0      # queued or being delivered
        self._delivering = 0   # being delivered now
        self._open = True      # False while a reset runs: events are not taken in
        self._generation = 0   # one more per close(): a delivery queued before it is dropped
        self._idle = threading.Condition()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()

    def publish(self, *, source: str, detail_type: str, detail: dict, resources: list[str],
                region: str, account: str | None = None, event_bus: str = "default",
                moment: datetime | None = None) -> dict:
        """Put one event on a bus; returns the full envelope. Matching happens now (against the
        rules as they are at publish time, as AWS does); delivery happens on the worker."""
        account = account or self.default_account
        event = envelope(source=source, detail_type=detail_type, detail=detail, resources=resources,
                         region=region, account=account, moment=moment)
        self.route(event, event_bus=event_bus)
        return event

    def route(self, event: dict, event_bus: str = "default") -> None:
        """Match `event` (a full envelope) against the bus's enabled rules and queue deliveries."""
        bus = self.bus_for(event["account"], event["region"], event_bus)
        matched = [rule for rule in list(bus.rules.values())
                   # ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS is enabled too
                   if str(rule.state).startswith("ENABLED") and self._matches(rule, event)]
        for rule in matched:
            for target in list(rule.targets):
                self._enqueue(event, copy.deepcopy(target), rule, event["region"])

    @staticmethod
    def bus_for(account: str, region: str, name: str):
        """moto's EventBus; raises moto's ResourceNotFoundException if there is none."""
        return _moto_backend(account, region).describe_event_bus(name)

    @staticmethod
    def _matches(rule, event: dict) -> bool:
        # A schedule-only rule has no pattern; moto's matcher would call that "matches all".
        if not rule.event_pattern.get_pattern():
            return False
        try:
            return rule.event_pattern.matches_event(event)
        except Exception:  # a pattern moto cannot evaluate must not break the publisher
            log.exception("rule %s: moto could not evaluate its pattern; the rule is skipped", rule.name)
            return False

    # -- delivery -----------------------------------------------------------------------------
    def _enqueue(self, event: dict, target: dict, rule, region: str) -> None:
        with self._idle:
            if not self._open:  # a reset is under way: the event belongs to the state it clears
                log.debug("event %s not delivered: localcloud is resetting", event["id"])
                return
            self._pending += 1
            generation = self._generation
        self._ensure_worker()
        self._queue.put((generation, (event, target, rule, region, 0, time.monotonic())))

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="localcloud-events", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        while True:
            queued = self._queue.get()
            if queued is None:
                return
            generation, item = queued
            with self._idle:
                current = self._open and generation == self._generation
                if current:
                    self._delivering += 1
                else:  # queued before a reset: its targets are gone
                    self._pending -= 1
                    self._idle.notify_all()
            if not current:
                continue
            done = True
            try:
                self._deliver(*item[:4])
            except InvocationFailed as failure:
                done = not self._retry_later(generation, item, failure)
            except Exception:  # a failed delivery is AWS's FailedInvocations, never a crash
                log.exception("delivery of event %s to %s failed", item[0]["id"], item[1].get("Arn"))
            finally:
                with self._idle:
                    self._delivering -= 1
                    if done:
                        self._pending -= 1
                    self._idle.notify_all()

    # -- failed deliveries: retry, then the dead-letter queue (retries.py) -------------------------
    def _scaled(self, seconds: float) -> float:
        return self.clock.scaled(seconds) if self.clock is not None else seconds

    def _retry_later(self, generation: int, item: tuple, failure: InvocationFailed) -> bool:
        """Schedule the next attempt, or give up (dead-letter queue); True if it stays pending."""
        event, target, rule, region, retries_done, first_at = item
        scale = self._scaled(1.0) or 1.0
        age = (time.monotonic() - first_at) / scale
        step, condition = retries.next_step(retries.RetryPolicy.of(target), failure, retries_done, age)
        if step == "retry":
            wait = self._scaled(retries.delay(retries_done + 1))
            log.info("EventBridge rule %s: delivery to %s failed (%s); retry %d in %.2fs", rule.name,
                     target.get("Arn"), failure, retries_done + 1, wait)
            token = object()
            timer = threading.Timer(wait, self._requeue, args=(token, generation, (*item[:4], retries_done + 1, first_at)))
            timer.daemon = True
            with self._idle:
                if not (self._open and generation == self._generation):
                    return False
                self._retries[token] = timer
            timer.start()
            return True
        log.warning("EventBridge rule %s: delivery of event %s to %s failed (%s)%s; invocation failed", rule.name,
                    event["id"], target.get("Arn"), failure,
                    f" after {retries_done} retries ({condition})" if condition else "")
        self._dead_letter(event, target, rule, failure, condition, retries_done)
        return False

    def _requeue(self, token: object, generation: int, item: tuple) -> None:
        with self._idle:
            if self._retries.pop(token, None) is None:
                return  # drained by a reset, which has already counted it out
            if not (self._open and generation == self._generation):
                self._pending -= 1  # a reset came first: the delivery belongs to the cleared state
                self._idle.notify_all()
                return
        self._ensure_worker()
        self._queue.put((generation, item))

    def _dead_letter(self, event, target, rule, failure: InvocationFailed, condition: str | None,
                     retries_done: int) -> None:
        queue_arn = (target.get("DeadLetterConfig") or {}).get("Arn")
        if not queue_arn:
            return
        attributes = retries.dead_letter_attributes(failure, condition, retries_done, rule.arn, target.get("Arn", ""))
        try:
            self._services().sqs.send_message(Principal.service(EVENTS_SERVICE, queue_arn.split(":")[4]), queue_arn,
                                              json.dumps(event), attributes=attributes)
        except ServiceError as err:  # AWS counts it in InvocationsFailedToBeSentToDlq
            log.warning("EventBridge rule %s: the event could not be sent to its dead-letter queue %s (%s: %s)",
                        rule.name, queue_arn, err.code, err.message)

    def _deliver(self, event: dict, target: dict, rule, region: str) -> None:
        arn = target.get("Arn", "")
        parts = arn.split(":", 5)
        service = parts[2] if len(parts) > 2 else ""
        if service == "codepipeline":
            self._to_pipeline(event, target, rule)
        elif service == "sqs":
            self._to_sqs(event, target, rule, parts)
        elif service == "sns":
            self._to_sns(event, target, rule)
        elif service == "logs" and len(parts) > 5 and parts[5].startswith("log-group:"):
            self._to_log_group(event, target, rule, parts)
        else:
            self._through_moto(event, target, rule)

    def _to_pipeline(self, event, target, rule) -> None:
        """EventBridge assumes the target's role and starts the pipeline as that session; a role
        that is missing or does not trust events.amazonaws.com fails the invocation (AWS counts
        it in FailedInvocations; nothing starts)."""
        services, role_arn = self._services(), target.get("RoleArn")
        account = rule.arn.split(":")[4]
        try:
            if not role_arn:
                raise AccessDenied("a pipeline target needs a RoleArn")
            session = services.sts.assume_role(Principal.service(EVENTS_SERVICE, account), role_arn,
                                               f"events-{event['id']}"[:64], source_arn=rule.arn)
        except (AccessDenied, ValidationError) as err:
            raise InvocationFailed(err.code, f"target role {role_arn} cannot be assumed: {err.message}",
                                   retriable=False) from None
        rule_info = {"Name": rule.name, "Arn": rule.arn, "EventBusName": rule.event_bus_name}
        body = (render_input(event, target, rule_name=rule.name, rule_arn=rule.arn)
                if any(target.get(k) for k in ("Input", "InputPath", "InputTransformer")) else None)
        with _failures():
            services.codepipeline.start_execution_for_event(session.principal, target["Arn"], copy.deepcopy(event),
                                                            rule_info, body)

    # SQS and CloudWatch Logs targets take no role: EventBridge writes to them as itself, and the
    # queue's or log group's resource policy decides (so the principal is the service).
    def _to_sqs(self, event, target, rule, parts) -> None:
        body = render_input(event, target, rule_name=rule.name, rule_arn=rule.arn)
        queue_name = parts[5]
        with _failures():
            self._send_to_queue(event, target, parts, body, queue_name)

    def _send_to_queue(self, event, target, parts, body, queue_name) -> None:
        self._services().sqs.send_message(
            Principal.service(EVENTS_SERVICE, parts[4]), target["Arn"], body,
            # a FIFO target has a message group id (PutTargets requires it: targets_rules.py)
            group_id=(target.get("SqsParameters") or {}).get("MessageGroupId") or None,
            # to a FIFO queue that does not deduplicate by content EventBridge sends the event
            # id as the deduplication id; one that does computes its own from the body
            fallback_deduplication_id=event["id"] if queue_name.endswith(".fifo") else None)

    def _to_sns(self, event, target, rule) -> None:
        """EventBridge publishes as itself; the topic's access policy must allow
        events.amazonaws.com (for this rule, if it says so), or the invocation fails."""
        body = render_input(event, target, rule_name=rule.name, rule_arn=rule.arn)
        account = rule.arn.split(":")[4]
        with _failures():
            self._services().sns.publish(Principal.service(EVENTS_SERVICE, account), target["Arn"], body,
                                         source_arn=rule.arn)

    def _to_log_group(self, event, target, rule, parts) -> None:
        logs, principal, region = self._services().logs, Principal.service(EVENTS_SERVICE, parts[4]), parts[3]
        group = parts[5].split(":", 1)[1].removesuffix(":*")
        stream = event["id"]  # EventBridge writes each event to a stream named after it
        message = render_input(event, target, rule_name=rule.name, rule_arn=rule.arn)
        with _failures():
            logs.create_log_stream(principal, group, stream, region)
            logs.put_log_events(principal, group, stream, [(int(time.time() * 1000), message)], region)

    @staticmethod
    def _through_moto(event, target, rule) -> None:
        """Archives, other buses and whatever else moto's rule code knows; moto wants epoch time."""
        moto_event = dict(event)
        moto_event["time"] = datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
        moto_event["ingestion-time"] = time.time()
        single = copy.copy(rule)
        single.targets = [target]
        try:
            single.send_to_targets(moto_event)
        except NotImplementedError:
            log.warning("localcloud does not deliver EventBridge events to %s (rule %s); the event is dropped",
                        target.get("Arn"), rule.name)

    # -- lifecycle ----------------------------------------------------------------------------
    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued delivery has run (tests and benchmarks; never needed on AWS)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def close(self, timeout: float = 10.0) -> bool:
        """Take in no more events and drop the queued ones; wait, up to `timeout`, for the
        delivery in flight to end (the first step of a reset). False if it did not end in time."""
        deadline = time.monotonic() + timeout
        with self._idle:
            self._open = False
            self._generation += 1
            while self._delivering:
                left = deadline - time.monotonic()
                if left <= 0:
                    log.warning("a reset went ahead while an EventBridge delivery was still running")
                    return False
                self._idle.wait(left)
        self.drain()
        return True

    def open(self) -> None:
        """Take in events again (the reset is over)."""
        with self._idle:
            self._open = True

    def drain(self) -> None:
        """Forget queued deliveries and those waiting to be retried (reset)."""
        with self._idle:
            waiting, self._retries = self._retries, {}
            for timer in waiting.values():
                timer.cancel()
            self._pending -= len(waiting)
            self._idle.notify_all()
        while True:
            try:
                queued = self._queue.get_nowait()
            except queue.Empty:
                return
            if queued is None:
                self._queue.put(None)  # a stop() is waiting for the worker: keep its signal
                return
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def stop(self) -> None:
        self.drain()
        worker = self._worker
        if worker is not None and worker.is_alive():
            self._queue.put(None)
            worker.join(timeout=5)
        self._worker = None


class _failures:
    """A target service's error as EventBridge sees it: a 4xx (permissions, a missing resource,
    a bad request) is not retried; throttling and 5xx are (retries.py)."""

    def __enter__(self):
        return self

    def __exit__(self, kind, err, tb):
        if isinstance(err, ServiceError):
            status = int(getattr(err, "http_status", 400) or 400)
            retriable = status >= 500 or "Throttl" in err.code
            raise InvocationFailed(err.code, err.message, retriable) from None
        return False


def entry_to_event(entry: dict, *, account: str, region: str) -> dict:
    """A PutEvents entry (already checked) as the envelope EventBridge builds from it."""
    moment = entry.get("Time")
    if isinstance(moment, (int, float)):
        moment = datetime.fromtimestamp(moment, timezone.utc)
    elif not isinstance(moment, datetime):
        moment = None
    return envelope(source=entry["Source"], detail_type=entry["DetailType"], detail=json.loads(entry["Detail"]),
                    resources=entry.get("Resources") or [], region=region, account=account, moment=moment)
