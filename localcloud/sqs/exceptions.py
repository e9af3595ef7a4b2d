"""SQS's error codes, as SQS answers them."""
from __future__ import annotations

from localcloud.exceptions import ServiceError


class QueueDoesNotExist(ServiceError):
    code_name = "AWS.SimpleQueueService.NonExistentQueue"


class InvalidParameterValue(ServiceError):
    pass


class MissingParameter(ServiceError):
    pass
