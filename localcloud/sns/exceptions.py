"""SNS's error codes, as SNS answers them."""
from __future__ import annotations

from localcloud.exceptions import ServiceError


class NotFound(ServiceError):
    http_status = 404


class InvalidParameter(ServiceError):
    pass


class EndpointDisabled(ServiceError):
    pass


class AuthorizationError(ServiceError):
    """SNS's access-denied code (query protocol)."""
    http_status = 403
