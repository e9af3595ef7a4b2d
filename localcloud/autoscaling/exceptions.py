"""Auto Scaling's error codes, as the service answers them."""
from __future__ import annotations

from localcloud.exceptions import ServiceError


class ValidationError(ServiceError):
    pass


class ResourceInUse(ServiceError):
    pass


class AlreadyExists(ServiceError):
    pass


class ResourceContention(ServiceError):
    http_status = 500


class LimitExceeded(ServiceError):
    pass
