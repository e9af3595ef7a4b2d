"""Errors AWS itself would return, raised by name.

`AWSError` carries what the router needs to answer: the error code (the model's exception shape
name, e.g. `RepositoryDoesNotExistException`), the message and the HTTP status. Each service
declares its errors in its own `exceptions.py` as subclasses of `ServiceError`, named exactly as
AWS names them, so code reads `raise PipelineNotFoundException(f"...")` and the code on the
wire cannot drift from the name in the source.
"""
from __future__ import annotations

from typing import ClassVar


class AWSError(Exception):
    """An AWS error answer: `code` is the exception shape name, `status` the HTTP status AWS uses."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


class ServiceError(AWSError):
    """Base of the typed errors of a service. The code is the class name unless `code_name`
    says otherwise (for codes that are not Python identifiers or that two services share under
    one name); `http_status` is the status AWS answers it with."""

    code_name: ClassVar[str | None] = None
    http_status: ClassVar[int] = 400

    def __init__(self, message: str):
        super().__init__(self.code_name or type(self).__name__, message, self.http_status)


class ValidationException(ServiceError):
    """A request that breaks the service model's constraints (the generic code)."""


class SerializationException(ServiceError):
    """A JSON body that is not a JSON object."""


class InternalFailure(ServiceError):
    http_status = 500


class UnsupportedProtocolException(ServiceError):
    http_status = 415


class UnknownOperationException(ServiceError):
    """A JSON request whose X-Amz-Target names no operation of the service (AWS's answer to an
    unknown target on its JSON protocols)."""


class InvalidAction(ServiceError):
    """A query request whose Action the service does not have (AWS's common query error)."""


class MissingAction(ServiceError):
    """A query request without an Action (AWS's common query error)."""


class MalformedQueryString(ServiceError):
    """A query request localcloud cannot read (a bad Content-Length, a truncated body)."""


class RequestEntityTooLargeException(ServiceError):
    """A request body over the protocol's size limit (see localcloud/request_body.py)."""

    http_status = 413


class NotImplementedOperation(ServiceError):
    """AWS's `NotImplemented` (S3's 501 code; the class is named apart from Python's builtin):
    an operation of the model that neither localcloud nor moto carries out. 501, which botocore
    does not retry, never a 500, which it does."""

    code_name = "NotImplemented"
    http_status = 501
