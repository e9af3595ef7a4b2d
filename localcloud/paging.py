"""Opaque continuation tokens for the List* operations of every provider. Each service names its
own error for a token it did not issue (CodeCommit InvalidContinuationTokenException, CodeBuild
InvalidInputException, CodeDeploy/CodePipeline InvalidNextTokenException)."""
from __future__ import annotations

import base64
import binascii
from typing import Sequence, TypeVar

from localcloud.aws import AWSError

T = TypeVar("T")


def page(items: Sequence[T], token: str | None, size: int, *, error_code: str,
         message: str = "The specified next token is not valid.") -> tuple[Sequence[T], str | None]:
    """items[start:start+size] for the position `token` names, and the token of the next page."""
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("offset:"))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise AWSError(error_code, message) from None
        if start < 0 or start > len(items):
            raise AWSError(error_code, message)
    end = start + size
    following = base64.urlsafe_b64encode(f"offset:{end}".encode()).decode() if end < len(items) else None
    return items[start:end], following
