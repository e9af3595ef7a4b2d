"""IAM's error codes, as IAM answers them."""
from __future__ import annotations

from localcloud.exceptions import ServiceError


class NoSuchEntity(ServiceError):
    http_status = 404


class ValidationError(ServiceError):
    pass
