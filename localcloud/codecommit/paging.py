"""Opaque continuation tokens for CodeCommit's list operations."""
from __future__ import annotations

import base64
import binascii
from typing import Sequence, TypeVar

from localcloud.aws import AWSError

T = TypeVar("T")


def page(items: Sequence[T], token: str | None, size: int) -> tuple[Sequence[T], str | None]:
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("offset:"))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise AWSError("InvalidContinuationTokenException", "The specified continuation token is not valid.") from None
        if start < 0 or start > len(items):
            raise AWSError("InvalidContinuationTokenException", "The specified continuation token is not valid.")
    end = start + size
    following = base64.urlsafe_b64encode(f"offset:{end}".encode()).decode() if end < len(items) else None
    return items[start:end], following
