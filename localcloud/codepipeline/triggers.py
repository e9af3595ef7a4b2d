"""What starts an execution besides the API: EventBridge rules and PollForSourceChanges.

- EventBridge (pipelines-trigger-source-repo-changes-cli.html): EventBridge assumes a pipeline
  target's RoleArn (through STS's door; a role that is missing or does not trust
  events.amazonaws.com fails the invocation silently, as on AWS) and calls CodePipeline's door,
  `start_execution_for_event`, which hands the event to `EventBridgeTarget.deliver`. Trigger `CloudWatchEvent`; `triggerDetail` is the rule
  ARN (UNCONFIRMED, see docs/aws-behaviour.md). An InputTransformer whose output carries `sourceRevisions` overrides the
  source revision, as pipelines-trigger-source-overrides.html describes.
- Polling: a source action with PollForSourceChanges "true" or omitted is checked every
  POLL_INTERVAL_SECONDS (scaled by the clock); a new head starts trigger `PollForSourceChanges`.
"""
from __future__ import annotations

import json
import logging
import re
import threading

from localcloud.codepipeline.actions import runner_for
from localcloud.codepipeline.declaration import polling_sources
from localcloud.codepipeline.engine import action_principal

log = logging.getLogger("localcloud.codepipeline")

#: How often CodePipeline checks a polled source. AWS does not document the period; about a
#: minute matches observed behaviour (UNCONFIRMED). At time scale 0.02 that is 1.2 s.
POLL_INTERVAL_SECONDS = 60.0
MIN_REAL_INTERVAL = 0.05

PIPELINE_ARN = re.compile(r"^arn:aws[a-z-]*:codepipeline:([a-z0-9-]+):(\d{12}):([A-Za-z0-9.@\-_]+)$")


def source_overrides(input_body: str | None) -> list[dict]:
    """sourceRevisions the target's Input / InputPath / InputTransformer hands the pipeline, as
    StartPipelineExecution would take them (pipelines-trigger-source-overrides)."""
    if input_body is None:
        return []
    try:
        payload = json.loads(input_body)
    except ValueError:
        return []
    if not isinstance(payload, dict) or "sourceRevisions" not in payload:
        return []
    revisions = payload["sourceRevisions"]
    revisions = [revisions] if isinstance(revisions, dict) else revisions
    return [r for r in revisions if isinstance(r, dict) and r.get("actionName") and r.get("revisionValue")]


class EventBridgeTarget:
    def __init__(self, provider):
        self.provider = provider

    def deliver(self, pipeline_arn: str, event: dict, rule: dict, input_body: str | None) -> None:
        """StartPipelineExecution as EventBridge makes it for a matched rule (the caller, the
        door, has authorized the target role's session)."""
        match = PIPELINE_ARN.match(pipeline_arn)
        if not match:
            log.warning("EventBridge target %s is not a pipeline ARN: dropped", pipeline_arn)
            return
        pipeline_region, account, name = match.groups()
        pipeline = self.provider.backend.get(account, pipeline_region, name)
        if pipeline is None or pipeline.deleted:
            log.warning("EventBridge rule %s: pipeline %s does not exist; invocation failed", rule.get("Name"), name)
            return
        self.provider.start_execution(
            pipeline, {"triggerType": "CloudWatchEvent", "triggerDetail": rule["Arn"]},  # UNCONFIRMED (docs/aws-behaviour.md)
            event=event, overrides=source_overrides(input_body),
        )


class SourcePoller:
    """One thread for all polled source actions of this localcloud."""

    def __init__(self, provider):
        self.provider = provider
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    @property
    def interval(self) -> float:
        return max(MIN_REAL_INTERVAL, self.provider.cloud.clock.scaled(POLL_INTERVAL_SECONDS))

    def start(self) -> None:
        self.thread = threading.Thread(target=self._loop, name="codepipeline-poller", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(5)

    def _loop(self) -> None:
        while not self.stop_event.wait(self.interval):
            for pipeline in self.provider.backend.all():
                try:
                    self.check(pipeline)
                except Exception:
                    log.exception("polling pipeline %s failed", pipeline.name)

    def heads(self, declaration: dict, region: str) -> dict[str, str | None]:
        out = {}
        for action in polling_sources(declaration):
            runner = runner_for(action)
            revision = runner.capture(self.provider.cloud, action_principal(declaration, action),
                                      action.get("region") or region,
                                      action.get("configuration") or {}, None)
            out[action["name"]] = (revision or {}).get("revisionId")
        return out

    def remember(self, pipeline) -> None:
        pipeline.polled_heads = self.heads(pipeline.declaration, pipeline.region)

    def check(self, pipeline) -> None:
        if pipeline.deleted:
            return
        heads = self.heads(pipeline.declaration, pipeline.region)
        changed = [name for name, head in heads.items() if head and head != pipeline.polled_heads.get(name)]
        pipeline.polled_heads = heads
        if changed:
            self.provider.start_execution(pipeline, {"triggerType": "PollForSourceChanges", "triggerDetail": changed[0]})
