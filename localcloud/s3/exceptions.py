"""S3's error codes, as S3 answers them."""
from __future__ import annotations

from localcloud.exceptions import ServiceError


class NoSuchBucket(ServiceError):
    http_status = 404


class NoSuchKey(ServiceError):
    http_status = 404


class NoSuchVersion(ServiceError):
    http_status = 404


class PreconditionFailed(ServiceError):
    http_status = 412


class MethodNotAllowed(ServiceError):
    """A GET or HEAD naming the version id of a delete marker."""
    http_status = 405


class InvalidArgument(ServiceError):
    pass


class AccessDenied(ServiceError):
    http_status = 403
