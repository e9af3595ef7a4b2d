"""CloudWatch's error codes, as the service answers them."""
from __future__ import annotations

from localcloud.exceptions import ServiceError


class ResourceNotFound(ServiceError):
    http_status = 404


class InvalidParameterValue(ServiceError):
    pass
