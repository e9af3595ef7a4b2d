"""The rules PutTargets applies to a target's parameters, which moto 5.2.1 only half applies.

Targets stay in moto's events backend; this wraps its `put_targets` model method, so every
path that adds a target gets the same checks and moto's serializer answers the error:

- an SQS FIFO queue target needs `SqsParameters.MessageGroupId` (botocore `events` model,
  Target.SqsParameters: "the message group ID to use when the target is a FIFO queue"; without
  it AWS answers ValidationException "Parameter(s) SqsParameters must be specified for target:
  <Id>."). moto refuses a target with no SqsParameters at all, but takes `{}`'s sibling
  `{"MessageGroupId": ""}`, and the delivery then fails in SQS (MissingParameter);
- a DeadLetterConfig names an SQS queue;
- `MessageGroupId` is at most 100 characters (the model's `max`); PutTargets is moto's, so the
  router does not validate it against the model.

The whole request fails before any target is stored, as AWS's ValidationException does.
"""
from __future__ import annotations

from localcloud.moto_patch import wrap_method

MESSAGE_GROUP_ID_MAX = 100


def _is_queue(arn: str) -> bool:
    parts = arn.split(":")
    return len(parts) == 6 and parts[0] == "arn" and parts[2] == "sqs" and bool(parts[5])


def _is_fifo_queue(arn: str) -> bool:
    parts = arn.split(":")
    return len(parts) == 6 and parts[2] == "sqs" and parts[5].endswith(".fifo")


def check_targets(targets: list[dict]) -> None:
    from moto.events.exceptions import ValidationException

    for target in targets:
        group_id = (target.get("SqsParameters") or {}).get("MessageGroupId")
        if _is_fifo_queue(str(target.get("Arn", ""))) and not group_id:
            raise ValidationException(f"Parameter(s) SqsParameters must be specified for target: {target.get('Id')}.")
        dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
        if dead_letter is not None and not _is_queue(str(dead_letter)):
            # EventBridge sends undeliverable events only to an SQS queue (User Guide, "Using
            # dead-letter queues"); the wording is localcloud's, AWS's is unconfirmed
            raise ValidationException(f"The dead-letter queue of target {target.get('Id')} must be an SQS queue ARN "
                                      f"(arn:aws:sqs:REGION:ACCOUNT:NAME), got {dead_letter!r}.")
        if group_id is not None and len(str(group_id)) > MESSAGE_GROUP_ID_MAX:
            raise ValidationException(
                f"1 validation error detected: Value '{group_id}' at 'targets.{targets.index(target) + 1}.member.sqsParameters.messageGroupId' "
                f"failed to satisfy constraint: Member must have length less than or equal to {MESSAGE_GROUP_ID_MAX}")


def install() -> None:
    from moto.events.models import EventsBackend

    def put_targets(original, self, name, event_bus_arn, targets, *args, **kwargs):
        check_targets(targets)
        return original(self, name, event_bus_arn, targets, *args, **kwargs)

    wrap_method(EventsBackend, "put_targets", put_targets, tag="target_rules")
