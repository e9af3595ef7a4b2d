"""SQS's door: SendMessage to a queue of moto's SQS backend, named by its ARN.

Authorized as sqs:SendMessage on the queue ARN.
"""
from __future__ import annotations

from localcloud.moto_contract import MotoContract, errors_of, moto_errors
from localcloud.principal import Principal
from localcloud.sqs import exceptions
from localcloud.sqs.exceptions import QueueDoesNotExist

_ERRORS = errors_of(exceptions)


class SQSContract(MotoContract):
    action_prefix = "sqs"

    def send_message(self, principal: Principal, queue_arn: str, body: str, attributes: dict[str, str] | None = None,
                     group_id: str | None = None, deduplication_id: str | None = None,
                     fallback_deduplication_id: str | None = None) -> str:
        """The message id. `attributes` are String message attributes; a FIFO queue needs
        `group_id` (and `deduplication_id` unless it deduplicates by content).
        `fallback_deduplication_id` is the deduplication id for a FIFO queue that does not
        deduplicate by content when the caller names none (EventBridge sends the event id)."""
        self._authorize(principal, "SendMessage", queue_arn)
        parts = queue_arn.split(":")
        if len(parts) != 6 or parts[2] != "sqs":
            raise QueueDoesNotExist("The specified queue does not exist.")
        from moto.sqs.models import sqs_backends

        wire = {name: {"DataType": "String", "StringValue": value} for name, value in (attributes or {}).items()}
        backend = sqs_backends[parts[4]][parts[3]]
        with moto_errors(_ERRORS):
            if deduplication_id is None and fallback_deduplication_id is not None:
                queue = backend.get_queue(parts[5])
                if queue.fifo_queue and str(queue.attributes.get("ContentBasedDeduplication")).lower() != "true":
                    deduplication_id = fallback_deduplication_id
            message = backend.send_message(
                queue_name=parts[5], message_body=body, message_attributes=wire or None,
                group_id=group_id, deduplication_id=deduplication_id)
        return message.id
