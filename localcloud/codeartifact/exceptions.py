"""codeartifact's errors, named and coded as AWS answers them (the service model's exception shapes).

rest-json errors may carry modelled members besides the message (`resourceId` and `resourceType`
on ConflictException and ResourceNotFoundException, `reason` on ValidationException); they go
into the error body through `members` (localcloud/aws.py `error_response`).
"""
from __future__ import annotations

from localcloud.exceptions import ServiceError


class CodeArtifactError(ServiceError):
    def __init__(self, message: str, **members: str):
        super().__init__(message)
        self.members = {k: v for k, v in members.items() if v is not None}


class AccessDeniedException(CodeArtifactError):
    """The operation did not succeed because of an unauthorized access attempt."""
    http_status = 403


class ConflictException(CodeArtifactError):
    """The operation did not succeed because prerequisites are not met."""
    http_status = 409

    def __init__(self, message: str, resource_id: str | None = None, resource_type: str | None = None):
        super().__init__(message, resourceId=resource_id, resourceType=resource_type)


class ResourceNotFoundException(CodeArtifactError):
    """The operation did not succeed because the resource requested is not found in the service."""
    http_status = 404

    def __init__(self, message: str, resource_id: str | None = None, resource_type: str | None = None):
        super().__init__(message, resourceId=resource_id, resourceType=resource_type)


class ServiceQuotaExceededException(CodeArtifactError):
    """The operation did not succeed because it would have exceeded a service limit for your account."""
    http_status = 402

    def __init__(self, message: str, resource_id: str | None = None, resource_type: str | None = None):
        super().__init__(message, resourceId=resource_id, resourceType=resource_type)


class ValidationException(CodeArtifactError):
    """The operation did not succeed because a parameter in the request was sent with an invalid value."""

    def __init__(self, message: str, reason: str = "FIELD_VALIDATION_FAILED"):
        super().__init__(message, reason=reason)
