"""CloudWatch Logs' error codes, as the service answers them."""
from __future__ import annotations

from localcloud.exceptions import ServiceError


class ResourceNotFoundException(ServiceError):
    pass


class ResourceAlreadyExistsException(ServiceError):
    pass


class InvalidParameterException(ServiceError):
    pass
