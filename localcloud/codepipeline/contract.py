"""CodePipeline's door: what EventBridge does when a rule's target is a pipeline.

EventBridge assumes the target's role (`RoleArn`) and calls StartPipelineExecution as that
session; the event itself decides the source revisions (a CodeCommit push carries its commit id).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from localcloud.contract import Contract
from localcloud.principal import Principal

if TYPE_CHECKING:
    from localcloud.codepipeline.triggers import EventBridgeTarget


class CodePipelineContract(Contract):
    action_prefix = "codepipeline"

    def __init__(self, authorizer, events_target: "EventBridgeTarget"):
        super().__init__(authorizer)
        self._events_target = events_target

    def start_execution_for_event(self, principal: Principal, pipeline_arn: str, event: dict, rule: dict,
                                  input_body: str | None) -> None:
        """StartPipelineExecution for `event` matched by `rule` ({"Name", "Arn", "EventBusName"}),
        made as the target role's session (`principal`, which EventBridge assumed). A missing
        pipeline fails the invocation. `input_body` is what EventBridge rendered from the
        target's Input, InputPath or InputTransformer (None without one): it may carry
        `sourceRevisions` overrides."""
        self._authorize(principal, "StartPipelineExecution", pipeline_arn)
        self._events_target.deliver(pipeline_arn, event, rule, input_body)
