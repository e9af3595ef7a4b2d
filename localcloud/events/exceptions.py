"""events's errors, named and coded as AWS answers them (the service model's exception shapes)."""
from __future__ import annotations

from localcloud.exceptions import ServiceError


class ResourceNotFoundException(ServiceError):
    """An entity that you specified does not exist."""
