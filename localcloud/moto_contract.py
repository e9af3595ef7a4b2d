"""The shared part of the doors to the services moto keeps (S3, IAM, Auto Scaling, ...).

These doors act on moto's backends in-process, so localcloud's model-level patches to moto
(moto_patch.py and the services' moto_hooks.py) apply exactly as they do to API calls. moto's
own exceptions never leave a door: `moto_errors` turns them into the service's typed errors
(its `exceptions.py`), matched by AWS error code.
"""
from __future__ import annotations

from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Iterator

from localcloud.aws import DEFAULT_ACCOUNT_ID, DEFAULT_REGION
from localcloud.contract import Contract
from localcloud.exceptions import AWSError, ServiceError

if TYPE_CHECKING:
    from localcloud.iam.authorizer import Authorizer


class MotoContract(Contract):
    def __init__(self, authorizer: "Authorizer", account_id: str = DEFAULT_ACCOUNT_ID,
                 default_region: str = DEFAULT_REGION):
        super().__init__(authorizer)
        self.account_id = account_id
        self.default_region = default_region

    def _region(self, region: str | None) -> str:
        return region or self.default_region


def errors_of(module: ModuleType) -> dict[str, type[ServiceError]]:
    """{AWS error code: class} of the typed errors a service's exceptions.py declares."""
    found = {}
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, ServiceError) and value.__module__ == module.__name__:
            found[value.code_name or value.__name__] = value
    return found


def moto_error(exc: BaseException) -> tuple[str, str, int] | None:
    """(code, message, HTTP status) of a moto exception, None for anything else. moto has two
    bases: ServiceException (`code` is the error code) and the older RESTError (`error_type`)."""
    from moto.core.exceptions import ServiceException, _RESTError

    if isinstance(exc, ServiceException):
        return str(exc.code), str(exc.message), 400
    if isinstance(exc, _RESTError):
        status = exc.code if isinstance(exc.code, int) else 400
        return str(exc.error_type).split("#")[-1], str(exc.message), status
    return None


@contextmanager
def moto_errors(errors: dict[str, type[ServiceError]]) -> Iterator[None]:
    """Re-raise moto's exceptions as the typed error of the same code (an untyped AWSError with
    moto's code when the service declares no class for it, so nothing moto-shaped escapes)."""
    try:
        yield
    except AWSError:
        raise
    except Exception as exc:
        found = moto_error(exc)
        if found is None:
            raise
        code, message, status = found
        cls = errors.get(code)
        raise (cls(message) if cls is not None else AWSError(code, message, status)) from None


def snapshot(mapping) -> list:
    """The items of a moto dict that request threads may resize while we read it."""
    for _ in range(5):
        try:
            return list(mapping.items())
        except RuntimeError:
            continue
    return []
