"""Elastic Load Balancing (v2)'s error codes, as the service answers them."""
from __future__ import annotations

from localcloud.exceptions import ServiceError


class TargetGroupNotFound(ServiceError):
    http_status = 400


class InvalidTarget(ServiceError):
    pass


class ValidationError(ServiceError):
    pass
