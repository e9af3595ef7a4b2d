"""Systems Manager's error codes, as the service answers them."""
from __future__ import annotations

from localcloud.exceptions import ServiceError


class ParameterNotFound(ServiceError):
    pass


class ParameterVersionNotFound(ServiceError):
    pass


class ValidationException(ServiceError):
    pass
