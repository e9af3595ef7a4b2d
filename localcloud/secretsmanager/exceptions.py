"""Secrets Manager's error codes, as the service answers them."""
from __future__ import annotations

from localcloud.exceptions import ServiceError


class ResourceNotFoundException(ServiceError):
    http_status = 400


class InvalidRequestException(ServiceError):
    pass


class InvalidParameterException(ServiceError):
    pass
