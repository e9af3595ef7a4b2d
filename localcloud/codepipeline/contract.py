"""CodePipeline's door: what EventBridge does when a rule's target is a pipeline.

EventBridge acts as the target's role (`RoleArn`) and calls StartPipelineExecution; the event
itself decides the source revisions (a CodeCommit push carries its commit id).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from localcloud.contract import Contract

if TYPE_CHECKING:
    from localcloud.codepipeline.triggers import EventBridgeTarget


class CodePipelineContract(Contract):
    action_prefix = "codepipeline"

    def __init__(self, authorizer, events_target: "EventBridgeTarget"):
        super().__init__(authorizer)
        self._events_target = events_target

    def deliver_event(self, event: dict, target: dict, rule: dict, input_body: str | None) -> None:
        """Start the target pipeline for `event` matched by `rule` ({"Name", "Arn", "EventBusName"}),
        as the target's role; a missing pipeline or an unusable role fails the invocation.
        `input_body` is what EventBridge rendered from the target's Input, InputPath or
        InputTransformer (None without one): it may carry `sourceRevisions` overrides."""
        self._events_target.deliver(event, target, rule, input_body)
