"""nextToken pagination shared by the List* operations (opaque to clients, as AWS's is)."""
from __future__ import annotations

import base64

from localcloud.aws import AWSError


def page(items: list, next_token: str | None, size: int) -> tuple[list, str | None]:
    start = 0
    if next_token:
        try:
            start = int(base64.urlsafe_b64decode(next_token.encode()).decode())
        except (ValueError, UnicodeDecodeError):
            raise AWSError("InvalidInputException", f"Invalid next token: {next_token}") from None
    end = start + size
    token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], token


def sort_listing(items, params: dict, default_sort: str) -> list:
    """Order projects or report groups as ListProjects/ListReportGroups do (`sortBy` NAME,
    CREATED_TIME or LAST_MODIFIED_TIME; `sortOrder` ASCENDING or DESCENDING)."""
    key = {"NAME": lambda x: x.name, "CREATED_TIME": lambda x: x.created,
           "LAST_MODIFIED_TIME": lambda x: x.last_modified}[params.get("sortBy") or default_sort]
    return sorted(items, key=key, reverse=params.get("sortOrder") == "DESCENDING")
