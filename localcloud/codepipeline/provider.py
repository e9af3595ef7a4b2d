"""localcloud's CodePipeline: every operation the suite uses, backed by a real execution engine.

moto's pipelines execute nothing (executions succeed at once), so this provider claims all of them: state in
models.py, operations in api.py, executions in engine.py, actions in actions/, triggers in
triggers.py. State changes are published to EventBridge as AWS does (`aws.codepipeline`
events), on their own thread so the engine never waits for a subscriber.
"""
from __future__ import annotations

import logging
import queue
import threading

from localcloud.codepipeline import actions as action_types
from localcloud.codepipeline.api import CodePipelineAPI
from localcloud.codepipeline.contract import CodePipelineContract
from localcloud.codepipeline.engine import ExecutionEngine, action_principal
from localcloud.codepipeline.models import PARALLEL, Pipeline, PipelineExecution, CodePipelineBackend
from localcloud.codepipeline.triggers import EventBridgeTarget, SourcePoller
from localcloud.principal import Principal
from localcloud.provider import Provider

log = logging.getLogger("localcloud.codepipeline")

#: CodePipeline emits its state-change events as itself
SERVICE_PRINCIPAL = "codepipeline.amazonaws.com"


class CodePipelineProvider(Provider):
    service = "codepipeline"

    def __init__(self, cloud):
        super().__init__(cloud)
        self.backend = CodePipelineBackend()
        self.engine = ExecutionEngine(cloud, self.backend)
        self.poller = SourcePoller(self)
        self.events_target = EventBridgeTarget(self)
        self.api = CodePipelineAPI(self)
        self.contract = CodePipelineContract(cloud.authorizer, self.events_target)
        self._events: queue.Queue = queue.Queue()
        self._publisher: threading.Thread | None = None

    def operations(self):
        return self.api.operations()

    # -- executions ----------------------------------------------------------------------------
    def start_execution(self, pipeline: Pipeline, trigger: dict, *, event: dict | None = None,
                        overrides: list[dict] | None = None, variables: dict | None = None,
                        client_token: str | None = None) -> PipelineExecution:
        """Capture each source action's revision now (the moment of the trigger, concepts-how-it-works.html), then start.
        Captured outside the engine's lock: it calls other providers."""
        revisions: dict[str, dict] = {}
        if pipeline.execution_mode != PARALLEL and not (client_token and client_token in pipeline.client_tokens):
            for action in pipeline.declaration["stages"][0]["actions"]:
                runner = action_types.runner_for(action)
                if runner is None or not hasattr(runner, "capture"):
                    continue
                revision = runner.capture(self.cloud, action_principal(pipeline.declaration, action),
                                          action.get("region") or pipeline.region,
                                          action.get("configuration") or {}, event)
                if revision:
                    revisions[action["name"]] = revision
        for override in overrides or []:
            revisions[override["actionName"]] = {"revisionId": override["revisionValue"],
                                                 "revisionType": override.get("revisionType"), "override": True}
        return self.engine.start(pipeline, trigger, variables=variables, revisions=revisions, client_token=client_token)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        # each state change remembers the reset generation it belongs to (LocalCloud.reset)
        self.engine.listeners.append(
            lambda detail_type, item: self._events.put((self.cloud.generation, detail_type, item)))
        self._publisher = threading.Thread(target=self._publish_loop, args=(self.cloud.services.events,),
                                           name="codepipeline-events", daemon=True)
        self._publisher.start()
        self.poller.start()

    def _publish_loop(self, events) -> None:
        while True:
            item = self._events.get()
            if item is None:
                return
            generation, detail_type, payload = item
            if generation != self.cloud.generation:
                continue  # a change of the state a reset cleared: nobody may hear of it now
            pipeline = payload["pipeline"]
            try:
                events.put_service_event(Principal.service(SERVICE_PRINCIPAL, pipeline.account_id),
                                         source="aws.codepipeline", detail_type=detail_type, detail=payload["detail"],
                                         resources=[pipeline.arn], region=pipeline.region)
            except Exception:
                log.exception("publishing %s failed", detail_type)

    def _abandon_everything(self) -> None:
        with self.backend.cond:
            for pipeline in self.backend.all():
                pipeline.deleted = True
                for execution in pipeline.executions.values():
                    if not execution.final:
                        self.engine.stop(pipeline, execution, abandon=True, reason="localcloud stopped")
            self.backend.cond.notify_all()

    def reset(self) -> None:
        self._abandon_everything()
        with self.backend.cond:
            self.backend.clear()

    def stop(self) -> None:
        self.poller.stop()
        self._abandon_everything()
        if self._publisher is not None:
            self._events.put(None)
            self._publisher.join(2)


def create(cloud) -> CodePipelineProvider:
    return CodePipelineProvider(cloud)
