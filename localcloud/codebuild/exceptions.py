"""codebuild's errors, named and coded as AWS answers them (the service model's exception shapes)."""
from __future__ import annotations

from localcloud.exceptions import ServiceError


class InvalidInputException(ServiceError):
    """The input value that was provided is not valid."""


class ResourceAlreadyExistsException(ServiceError):
    """The specified Amazon Web Services resource cannot be created, because an Amazon Web Services resource with the same settings already exists."""


class ResourceNotFoundException(ServiceError):
    """The specified Amazon Web Services resource cannot be found."""
