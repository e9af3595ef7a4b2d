"""STS's error codes, as STS answers them."""
from __future__ import annotations

from localcloud.exceptions import ServiceError


class AccessDenied(ServiceError):
    http_status = 403


class ValidationError(ServiceError):
    pass
