"""EC2's error codes, as EC2 answers them."""
from __future__ import annotations

from localcloud.exceptions import ServiceError


class InvalidInstanceIDNotFound(ServiceError):
    code_name = "InvalidInstanceID.NotFound"


class InvalidInstanceIDMalformed(ServiceError):
    code_name = "InvalidInstanceID.Malformed"


class InvalidParameterValue(ServiceError):
    pass
